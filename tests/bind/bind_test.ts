/**
 * bindAll() and bindOne() against the real kernel: port 0 resolved, every
 * failure reported with the OS error that caused it (lib/explain/ words it),
 * and `?reuse=true` sharing a port.
 */

import assert from "node:assert/strict";
import { bindAll, bindOne, type BoundSocket } from "../../lib/bind/mod.ts";
import { planOf } from "../_support/plan.ts";
import { freePort } from "../_support/socket.ts";

function closeAll(bound: readonly BoundSocket[]): void {
  for (const b of bound) b.socket.close();
}

Deno.test("bindAll() binds TCP and UDP on port 0 and gives each the port the OS picked", () => {
  const plan = planOf("tcp://127.0.0.1:0=echo", "udp://127.0.0.1:0=echo");
  const { bound, failures } = bindAll(plan.listeners);
  try {
    assert.deepEqual(failures, []);
    assert.deepEqual(bound.map((b) => [b.transport, b.local.address]), [
      ["tcp", "127.0.0.1"],
      ["udp", "127.0.0.1"],
    ]);
    for (const b of bound) assert.notEqual(b.local.port, 0);
    assert.equal(bound[0].listener, plan.listeners[0]);
    assert.equal(bound[1].listener, plan.listeners[1]);
  } finally {
    closeAll(bound);
  }
});

Deno.test("bindAll() goes on past a port in use and returns the failure with the OS error", () => {
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const plan = planOf(
    `tcp://127.0.0.1:${held.addr.port}=echo`,
    "tcp://127.0.0.1:0=whoami",
  );
  const { bound, failures } = bindAll(plan.listeners);
  try {
    assert.equal(bound.length, 1);
    assert.equal(bound[0].listener, plan.listeners[1]);
    assert.equal(failures.length, 1);
    const [failure] = failures;
    assert.ok(failure.cause instanceof Deno.errors.AddrInUse, String(failure.cause));
    assert.equal(failure.listener, plan.listeners[0]);
  } finally {
    closeAll(bound);
  }
});

Deno.test("bindOne() throws the OS error for an address that is not this host's", () => {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): on no host's interfaces. Binding sends nothing.
  const [listener] = planOf("udp://192.0.2.1:0=echo").listeners;
  assert.throws(() => bindOne(listener).socket.close(), (error) => {
    assert.ok(error instanceof Deno.errors.AddrNotAvailable, String(error));
    return true;
  });
});

Deno.test("bindOne() lets two listeners with ?reuse=true share one TCP port", () => {
  const port = freePort();
  const [first, second] = planOf(
    `tcp://127.0.0.1:${port}=echo?reuse=true`,
    `tcp://127.0.0.1:${port}=whoami?reuse=true`,
  ).listeners;
  const a = bindOne(first);
  try {
    const b = bindOne(second);
    b.socket.close();
    assert.equal(b.local.port, port);
  } finally {
    a.socket.close();
  }
});
