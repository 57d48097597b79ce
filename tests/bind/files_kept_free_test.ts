import assert from "node:assert/strict";
import { bindAll } from "../../lib/bind/bind.ts";
import { FILES_KEPT_FREE, keepFilesFree } from "../../lib/bind/files_kept_free.ts";
import { planOf } from "../_support/plan.ts";

/** An error as Deno throws it when the process is out of file descriptors. */
const EMFILE = Object.assign(new Error("Too many open files (os error 24)"), { code: "EMFILE" });

/** Binds `count` echo listeners on ports the OS picks, and one more whose bind met EMFILE. */
function boundPastTheLimit(count: number) {
  const { listeners } = planOf(
    ...Array.from({ length: count + 1 }, () => "tcp://127.0.0.1:0=echo"),
  );
  const result = bindAll(listeners.slice(0, count));
  return {
    listeners,
    result: { ...result, failures: [{ listener: listeners[count], cause: EMFILE }] },
  };
}

Deno.test("keepFilesFree() unbinds the last FILES_KEPT_FREE listeners after EMFILE, as failures with its cause, in plan order", () => {
  const served = FILES_KEPT_FREE + 8;
  const { listeners, result } = boundPastTheLimit(served + FILES_KEPT_FREE);
  const kept = keepFilesFree(result, listeners);
  try {
    assert.equal(kept.bound.length, served);
    assert.deepEqual(kept.bound.map((b) => b.listener), listeners.slice(0, served));
    assert.deepEqual(kept.failures.map((f) => f.listener), listeners.slice(served));
    assert.ok(kept.failures.every((f) => f.cause === EMFILE));
    // Their sockets are closed: the ports are free again.
    for (const b of result.bound.slice(served)) {
      Deno.listen({ hostname: "127.0.0.1", port: b.local.port }).close();
    }
  } finally {
    for (const b of kept.bound) b.socket.close();
  }
});

Deno.test("keepFilesFree() under a limit so low that fewer than twice FILES_KEPT_FREE bound keeps half of them serving", () => {
  const { listeners, result } = boundPastTheLimit(9);
  const kept = keepFilesFree(result, listeners);
  try {
    assert.deepEqual([kept.bound.length, kept.failures.length], [5, 5]);
  } finally {
    for (const b of kept.bound) b.socket.close();
  }
});

Deno.test("keepFilesFree() changes nothing without EMFILE", () => {
  const { listeners } = planOf("tcp://127.0.0.1:0=echo", "tcp://127.0.0.1:0=echo");
  const result = bindAll(listeners);
  try {
    assert.equal(keepFilesFree(result, listeners), result);
  } finally {
    for (const b of result.bound) b.socket.close();
  }
});

Deno.test("keepFilesFree() beside listeners that serve already (a reload) unbinds up to FILES_KEPT_FREE of those it bound, not half", () => {
  // Half stayed bound: each reload past the limit took half of the
  // descriptors the one before had left free.
  const { listeners, result } = boundPastTheLimit(9);
  const kept = keepFilesFree(result, listeners, 40);
  try {
    assert.deepEqual([kept.bound.length, kept.failures.length], [0, 10]);
  } finally {
    for (const b of kept.bound) b.socket.close();
  }
  const more = boundPastTheLimit(FILES_KEPT_FREE + 3);
  const some = keepFilesFree(more.result, more.listeners, 40);
  try {
    assert.deepEqual([some.bound.length, some.failures.length], [3, FILES_KEPT_FREE + 1]);
  } finally {
    for (const b of some.bound) b.socket.close();
  }
});
