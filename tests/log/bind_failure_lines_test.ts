import assert from "node:assert/strict";
import type { BindFailedEvent, ServerEvent } from "../../lib/events/event.ts";
import { BindFailureLines } from "../../lib/log/bind_failure_lines.ts";

const EMFILE = "too many open files: raise the limit";
const RANGE = "tcp://127.0.0.1:9000-9009=echo";

function failed(
  port: number,
  reason = EMFILE,
  origin: string | null = RANGE,
): BindFailedEvent {
  return {
    type: "bind-failed",
    time: 0,
    transport: "tcp",
    listener: `tcp://127.0.0.1:${port}=echo`,
    service: "echo",
    local: { address: "127.0.0.1", port },
    code: "EMFILE",
    reason,
    ...(origin === null ? {} : { origin }),
  };
}

function recorder() {
  const out: string[] = [];
  const lines = new BindFailureLines(
    (e: ServerEvent) => out.push(`event ${e.type} ${"local" in e ? e.local.port : ""}`),
    (line) => out.push(line),
  );
  return { out, lines };
}

Deno.test("BindFailureLines tells the ports of one spec that failed for one reason in one line, where the first was", () => {
  const { out, lines } = recorder();
  for (const port of [9000, 9001, 9002, 9005]) lines.sink(failed(port));
  lines.sink(failed(9003, "address already in use"));
  lines.flush();
  assert.deepEqual(out, [
    `cannot bind tcp 127.0.0.1 on 4 ports, 9000-9002 and 9005 (of ${RANGE}): ${EMFILE}`,
    "event bind-failed 9003",
  ]);
});

Deno.test("BindFailureLines counts a port that one spec, written more than once, failed on once, and says how many listeners failed", () => {
  const { out, lines } = recorder();
  const one = "tcp://127.0.0.1:9000=echo";
  for (let i = 0; i < 3; i++) lines.sink(failed(9000, EMFILE, one));
  for (const port of [9000, 9001, 9000, 9001]) lines.sink(failed(port));
  lines.flush();
  assert.deepEqual(out, [
    `cannot bind tcp 127.0.0.1:9000, for 3 listeners (of ${one}): ${EMFILE}`,
    `cannot bind tcp 127.0.0.1 on 2 ports, 9000-9001, for 4 listeners (of ${RANGE}): ${EMFILE}`,
  ]);
});

Deno.test("BindFailureLines passes every other event at once, and a failure alone, a port-0 one or one without its origin as it is", () => {
  const { out, lines } = recorder();
  lines.sink({
    type: "listener-closed",
    time: 0,
    transport: "tcp",
    listener: "tcp://127.0.0.1:7=echo",
    service: "echo",
    local: { address: "127.0.0.1", port: 7 },
  });
  assert.deepEqual(out, ["event listener-closed 7"]);
  lines.sink(failed(0, EMFILE, "tcp://127.0.0.1:0=echo"));
  lines.sink(failed(0, EMFILE, "tcp://127.0.0.1:0=echo"));
  lines.sink(failed(9000, EMFILE, null));
  lines.sink(failed(9001, EMFILE, null));
  lines.flush();
  assert.deepEqual(out.slice(1), [
    "event bind-failed 0",
    "event bind-failed 0",
    "event bind-failed 9000",
    "event bind-failed 9001",
  ]);
});

Deno.test("BindFailureLines writes what one task emitted at the end of that task, without flush()", async () => {
  const { out, lines } = recorder();
  lines.sink(failed(9000));
  lines.sink(failed(9001));
  assert.deepEqual(out, []);
  await Promise.resolve();
  assert.deepEqual(out, [
    `cannot bind tcp 127.0.0.1 on 2 ports, 9000-9001 (of ${RANGE}): ${EMFILE}`,
  ]);
  lines.flush();
  assert.equal(out.length, 1);
});
