import assert from "node:assert/strict";
import {
  bindFailuresText,
  failedPortsText,
  groupBindFailures,
} from "../../lib/bind/failure_groups.ts";
import { buildPlan } from "../../lib/plan/plan.ts";
import type { SpecSource } from "../../lib/spec/types.ts";

const EMFILE = "too many open files: raise the limit";
const IN_USE = "address already in use: held by process 42 (python3)";

function planned(...texts: string[]) {
  const { plan, errors } = buildPlan(
    texts.map((text, i): { text: string; source: SpecSource } => ({
      text,
      source: { kind: "argument", index: 2 * i + 2 },
    })),
  );
  assert.deepEqual(errors, []);
  return plan.listeners;
}

Deno.test("groupBindFailures() puts the ports of one range that failed for one reason in one group", () => {
  const listeners = planned("tcp://127.0.0.1:9000-9009=echo");
  const failures = listeners.map((listener, i) => ({
    listener,
    reason: i === 3 ? IN_USE : EMFILE,
  }));
  const groups = groupBindFailures(failures);
  assert.deepEqual(groups.map((g) => g.map((f) => f.listener.port)), [
    [9000, 9001, 9002, 9004, 9005, 9006, 9007, 9008, 9009],
    [9003],
  ]);
});

Deno.test("groupBindFailures() keeps TCP and UDP, two specs, and two addresses of an interface apart", () => {
  const listeners = planned(
    "tcp://127.0.0.1:9000-9001=echo",
    "udp://127.0.0.1:9000-9001=echo",
    "tcp://127.0.0.1:9002-9003=echo",
    "tcp://127.0.0.1:0=echo",
    "tcp://127.0.0.1:0=echo",
  );
  const groups = groupBindFailures(listeners.map((listener) => ({ listener, reason: EMFILE })));
  assert.deepEqual(
    groups.map((g) => g.map((f) => `${f.listener.transport} ${f.listener.port}`)),
    [["tcp 9000", "tcp 9001"], ["udp 9000", "udp 9001"], ["tcp 9002", "tcp 9003"], ["tcp 0"], [
      "tcp 0",
    ]],
  );
});

Deno.test("bindFailuresText() names every port of a group, runs of them as ranges", () => {
  const listeners = planned("tcp://127.0.0.1:9000-9009=echo");
  const group = [0, 1, 2, 4, 7, 8, 9].map((i) => ({ listener: listeners[i], reason: EMFILE }));
  assert.equal(
    bindFailuresText(group),
    "Cannot bind tcp 127.0.0.1 on 7 ports, 9000-9002, 9004 and 9007-9009 " +
      `(of tcp://127.0.0.1:9000-9009=echo): ${EMFILE}`,
  );
  assert.equal(
    bindFailuresText(group, true),
    "Cannot bind tcp 127.0.0.1 on 7 ports, 9000-9002, 9004 and 9007-9009 " +
      `(of tcp://127.0.0.1:9000-9009=echo, argument 2): ${EMFILE}`,
  );
});

Deno.test("bindFailuresText() words a group of one as bindFailureText() does", () => {
  const [listener] = planned("udp://[::1]:9000-9001=echo");
  assert.equal(
    bindFailuresText([{ listener, reason: IN_USE }]),
    `Cannot bind udp [::1]:9000 (udp://[::1]:9000=echo): ${IN_USE}`,
  );
});

Deno.test("failedPortsText() writes an IPv6 address in brackets, without a port", () => {
  const listeners = planned("udp://[::1]:9000-9002=echo");
  assert.equal(
    failedPortsText(listeners.map((listener) => ({ listener, reason: EMFILE }))),
    "udp [::1] on 3 ports, 9000-9002 (of udp://[::1]:9000-9002=echo)",
  );
});
