import assert from "node:assert/strict";
import { BindError, bindFailureText } from "../../lib/bind/bind_error.ts";
import { formatEvent } from "../../lib/events/format.ts";
import { buildPlan } from "../../lib/plan/plan.ts";

const REASON = "address already in use: another socket holds tcp [::1]:7007";

function planned(text: string) {
  const { plan, errors } = buildPlan([{ text, source: { kind: "argument", index: 2 } }]);
  assert.deepEqual(errors, []);
  return plan.listeners;
}

Deno.test("BindError names the socket name and the spec as start-up's log line does", () => {
  const [l] = planned("tcp://[::1]:7007=echo");
  const error = new BindError(l, new Deno.errors.AddrInUse("os"), REASON);
  assert.equal(error.message, `Cannot bind tcp [::1]:7007 (tcp://[::1]:7007=echo): ${REASON}`);
  // Start-up logs the bind-failed event: the same words, as a log line starts (lower case).
  const line = formatEvent({
    type: "bind-failed",
    time: 0,
    transport: l.transport,
    listener: l.spec,
    service: l.service,
    local: { address: l.hostname, port: l.port },
    code: "EADDRINUSE",
    reason: REASON,
  });
  assert.equal(line, `c${error.message.slice(1)}`);
});

Deno.test("bindFailureText() adds where the spec came from, for a reload's line", () => {
  const [l] = planned("udp://127.0.0.1:7007=echo");
  assert.equal(
    bindFailureText(l, "address not available", true),
    "Cannot bind udp 127.0.0.1:7007 (udp://127.0.0.1:7007=echo, argument 2): address not available",
  );
});
