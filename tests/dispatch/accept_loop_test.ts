/**
 * The accept loop's answer to accept errors it does not know: a pause
 * before each retry and one warning while they last, not an error line
 * every 50 ms.
 */

import assert from "node:assert/strict";
import type { BoundTcpSocket } from "../../lib/bind/bind.ts";
import { acceptLoop } from "../../lib/dispatch/tcp.ts";
import type { DispatchContext } from "../../lib/dispatch/context.ts";
import type { ServerEvent } from "../../lib/events/mod.ts";
import type { PlannedListener } from "../../lib/plan/plan.ts";

/**
 * A listener whose accept fails `times` times with `error`, then reports
 * itself closed (BadResource), as a closed listener does.
 */
function failingListener(error: Error, times: number): Deno.TcpListener {
  let calls = 0;
  return {
    accept: () =>
      Promise.reject(calls++ < times ? error : new Deno.errors.BadResource("listener closed")),
  } as unknown as Deno.TcpListener;
}

Deno.test("acceptLoop() pauses on an accept error it does not know and warns once, not per retry", async () => {
  const events: ServerEvent[] = [];
  const bound: BoundTcpSocket = {
    transport: "tcp",
    listener: { spec: "tcp://127.0.0.1:7=echo", service: "echo" } as PlannedListener,
    socket: failingListener(Object.assign(new Error("Invalid argument"), { code: "EINVAL" }), 10),
    local: { address: "127.0.0.1", port: 7 },
    faults: null,
  };
  // Only these two parts are used before an accept succeeds.
  const ctx = {
    emit: (event: ServerEvent) => events.push(event),
    signal: new AbortController().signal,
  } as unknown as DispatchContext;
  const started = performance.now();
  await acceptLoop(bound, ctx);
  const elapsed = performance.now() - started;
  assert.deepEqual(events.map((event) => event.type), ["accept-paused"]);
  const [paused] = events;
  assert.ok(paused.type === "accept-paused");
  assert.equal(paused.code, "EINVAL");
  assert.equal(paused.detail, "Invalid argument");
  // Ten failures, each followed by the retry pause of 50 ms.
  assert.ok(elapsed >= 10 * 45, `the loop retried after ${elapsed.toFixed(0)} ms, without pausing`);
});
