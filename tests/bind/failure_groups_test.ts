import assert from "node:assert/strict";
import {
  bindFailuresText,
  failedPortsText,
  groupBindFailures,
  reasonForPorts,
  reasonShape,
} from "../../lib/bind/failure_groups.ts";
import { buildPlan } from "../../lib/plan/plan.ts";
import type { SpecSource } from "../../lib/spec/types.ts";

const EMFILE = "too many open files: raise the limit";
const IN_USE = "address already in use: held by process 42 (python3)";

/** The loopback interface as `Deno.networkInterfaces()` lists it. */
const LO: Deno.NetworkInterfaceInfo[] = [
  {
    family: "IPv4",
    name: "lo",
    address: "127.0.0.1",
    netmask: "255.0.0.0",
    scopeid: null,
    cidr: "127.0.0.1/8",
    mac: "00:00:00:00:00:00",
  },
  {
    family: "IPv6",
    name: "lo",
    address: "::1",
    netmask: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    scopeid: 0,
    cidr: "::1/128",
    mac: "00:00:00:00:00:00",
  },
];

function planned(...texts: string[]) {
  const { plan, errors } = buildPlan(
    texts.map((text, i): { text: string; source: SpecSource } => ({
      text,
      source: { kind: "argument", index: 2 * i + 2 },
    })),
    { interfaces: LO },
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
    "tcp://lo:9010-9011=echo",
  );
  const groups = groupBindFailures(listeners.map((listener) => ({ listener, reason: EMFILE })));
  assert.deepEqual(
    groups.map((g) =>
      g.map((f) => `${f.listener.transport} ${f.listener.hostname} ${f.listener.port}`)
    ),
    [
      ["tcp 127.0.0.1 9000", "tcp 127.0.0.1 9001"],
      ["udp 127.0.0.1 9000", "udp 127.0.0.1 9001"],
      ["tcp 127.0.0.1 9002", "tcp 127.0.0.1 9003"],
      ["tcp 127.0.0.1 0"],
      ["tcp 127.0.0.1 0"],
      ["tcp 127.0.0.1 9010", "tcp 127.0.0.1 9011"],
      ["tcp ::1 9010", "tcp ::1 9011"],
    ],
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

Deno.test("reasonShape() leaves out a failure's own port where a socket name or the word port names it, and nothing else", () => {
  const cases: [reason: string, port: number, shape: string][] = [
    [
      "holds tcp 127.0.0.1:9001, held by tcp 0.0.0.0:9001 of process 9001",
      9001,
      "holds tcp 127.0.0.1:PORT, held by tcp 0.0.0.0:PORT of process 9001",
    ],
    ["holds udp [::1]:9001 or [::]:9001", 9001, "holds udp [::1]:PORT or [::]:PORT"],
    ["uses port 9001 on an address", 9001, "uses port PORT on an address"],
    [
      "holds tcp://127.0.0.1:9001=echo (argument 2)",
      9001,
      "holds tcp://127.0.0.1:PORT=echo (argument 2)",
    ],
    [
      "held by tcp 127.0.0.1:90011 and 127.0.0.1:19001 <- 127.0.0.1:9001",
      9001,
      "held by tcp 127.0.0.1:90011 and 127.0.0.1:19001 <- 127.0.0.1:PORT",
    ],
    ["too many open files", 9001, "too many open files"],
    ["Fix: give one of them another port (9002).", 9001, "Fix: give one of them other ports."],
    ["held by tcp 127.0.0.1:0", 0, "held by tcp 127.0.0.1:0"],
  ];
  for (const [reason, port, shape] of cases) assert.equal(reasonShape(reason, port), shape, reason);
});

Deno.test("groupBindFailures() groups the ports of a range that one program holds, and bindFailuresText() names them all in its reason", () => {
  const listeners = planned("tcp://127.0.0.1:9000-9009=echo");
  const held = (port: number, pid: number) =>
    `address already in use: another socket holds tcp 127.0.0.1:${port}; held by a listening ` +
    `socket tcp 127.0.0.1:${port} of process ${pid} (python3)`;
  // 9000-9005 by one program, 9006-9007 by another.
  const failures = listeners.slice(0, 8).map((listener) => ({
    listener,
    reason: held(listener.port, listener.port < 9006 ? 42 : 43),
  }));
  const groups = groupBindFailures(failures);
  assert.deepEqual(groups.map((g) => g.length), [6, 2]);
  assert.equal(
    bindFailuresText(groups[0]),
    "Cannot bind tcp 127.0.0.1 on 6 ports, 9000-9005 (of tcp://127.0.0.1:9000-9009=echo): " +
      held(9000, 42).replaceAll(":9000", ":9000-9005"),
  );
  assert.equal(
    reasonForPorts(held(9006, 43), 9006, [9006, 9007]),
    held(9006, 43).replaceAll(":9006", ":9006-9007"),
  );
});
