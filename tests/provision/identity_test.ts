/**
 * A listener's identity is typed: its transport, socket name, service and
 * parsed options, not its spec text. Checks the comparisons, and that a
 * reconfiguration keeps a listener whose options are written differently
 * but mean the same.
 */

import assert from "node:assert/strict";
import {
  buildPlan,
  type Plan,
  type PlannedListener,
  sameListener,
  sameSocketName,
} from "../../lib/plan/mod.ts";
import { start } from "../../lib/server/mod.ts";

function plan(...texts: string[]): Plan {
  const { plan, errors } = buildPlan(
    texts.map((text, i) => ({ text, source: { kind: "argument", index: i + 1 } })),
  );
  assert.deepEqual(errors, []);
  return plan;
}

function listener(text: string): PlannedListener {
  return plan(text).listeners[0];
}

Deno.test("sameListener() compares parsed options, not their text", () => {
  const table: [a: string, b: string, same: boolean][] = [
    ["tcp://127.0.0.1:7007=echo?idle=30", "tcp://127.0.0.1:7007=echo?idle=30.0", true],
    ["tcp://127.0.0.1:7007=echo", "tcp://127.0.0.1:7007=echo?idle=300", true],
    ["tcp://127.0.0.1:7007=echo", "tcp://127.0.0.1:7007=echo?idle=30", false],
    ["tcp://127.0.0.1:7007=echo", "tcp://127.0.0.1:7007=whoami", false],
    ["tcp://127.0.0.1:7007=echo", "udp://127.0.0.1:7007=echo", false],
    ["tcp://[::1]:7007=echo", "tcp://[0:0::1]:7007=echo", true],
    ["udp://127.0.0.1:7017=qotd?quote=a", "udp://127.0.0.1:7017=qotd?quote=a", true],
    ["udp://127.0.0.1:7017=qotd?quote=a", "udp://127.0.0.1:7017=qotd?quote=b", false],
    [
      "tcp://127.0.0.1:7007=echo?allow=10.0.0.0/8",
      "tcp://127.0.0.1:7007=echo?allow=10.0.0.0/8",
      true,
    ],
    [
      "tcp://127.0.0.1:7007=echo?allow=10.0.0.0/8",
      "tcp://127.0.0.1:7007=echo?allow=10.0.0.0/16",
      false,
    ],
    ["tcp://127.0.0.1:7007=echo?reuse=false", "tcp://127.0.0.1:7007=echo", true],
  ];
  for (const [a, b, same] of table) {
    assert.equal(sameListener(listener(a), listener(b)), same, `${a} and ${b}`);
  }
});

Deno.test("sameSocketName() never matches port 0, where the OS picks each port", () => {
  assert.ok(
    !sameSocketName(listener("tcp://127.0.0.1:0=echo"), listener("tcp://127.0.0.1:0=echo")),
  );
  assert.ok(sameSocketName(listener("udp://[::1]:7=echo"), listener("udp://[::1]:7=size")));
});

Deno.test("buildPlan() parses each option once into a typed field", () => {
  const chargen = listener("tcp://127.0.0.1:7019=chargen?max-bytes=1000");
  assert.deepEqual(chargen.options, { maxBytes: 1000, maxSeconds: 60 });
  const qotd = listener("udp://127.0.0.1:7017=qotd?quote=hi");
  assert.deepEqual(qotd.options.quote, new TextEncoder().encode("hi\r\n"));
  const limited = listener("tcp://127.0.0.1:7007=echo?idle=1.5&reuse=true");
  assert.equal(limited.limits.idleMs, 1500);
  assert.equal(limited.reuse, true);
  assert.equal(listener("udp://127.0.0.1:7007=echo?reply-to=any").limits.replyTo, "any");
});

Deno.test("RunningServer.reconfigure() keeps a listener whose options mean the same, written differently", async () => {
  const server = await start(plan("tcp://127.0.0.1:0=echo?idle=30"));
  try {
    const port = server.sockets[0].local.port;
    const { added, removed, kept, failures } = await server.reconfigure(
      plan("tcp://127.0.0.1:0=echo?idle=30.0"),
    );
    assert.deepEqual({ added, removed, kept, failures }, {
      added: 0,
      removed: 0,
      kept: 1,
      failures: 0,
    });
    assert.equal(server.sockets[0].local.port, port, "the same socket");

    const changed = await server.reconfigure(plan("tcp://127.0.0.1:0=echo?idle=60"));
    assert.deepEqual(
      [changed.added, changed.removed, changed.kept, changed.failures],
      [1, 1, 0, 0],
    );
  } finally {
    await server.close({ graceMs: 0 });
  }
});
