import assert from "node:assert/strict";
import { faultsFrom, planTcpConnection, Random, thousands } from "../../lib/faults/mod.ts";
import type { TcpFaults } from "../../lib/faults/mod.ts";
import { DelayLine } from "../../lib/faults/delay_line.ts";

function tcp(options: Record<string, string>): TcpFaults {
  const faults = faultsFrom(options, "tcp");
  assert.ok(faults?.transport === "tcp");
  return faults.tcp;
}

Deno.test("planTcpConnection() draws one chance per set fault, in the fixed order", () => {
  const faults = tcp({
    latency: "10@0.5",
    bandwidth: "1000@0.5",
    slice: "1@0.5",
    "reset-after": "100@0.5",
    "close-after": "100@0.5",
    hang: "0.5",
    "stall-after": "100@0.5",
  });
  for (let n = 1; n <= 50; n++) {
    const plan = planTcpConnection(faults, new Random(9, n));
    const draws = new Random(9, n);
    const expected = Array.from({ length: 9 }, () => draws.next() < 0.5);
    const got = plan === null ? Array(9).fill(false) : [
      plan.latencyInMs !== null,
      plan.latencyOutMs !== null,
      plan.bandwidthIn !== null,
      plan.bandwidthOut !== null,
      plan.slice !== null,
      plan.resetAfter !== null,
      plan.closeAfter !== null,
      plan.hang,
      plan.stallAfter !== null,
    ];
    assert.deepEqual(got, expected, `connection ${n}`);
  }
});

Deno.test("planTcpConnection() draws nothing for a fault of chance 1, and gives null when none is chosen", () => {
  const always = planTcpConnection(tcp({ latency: "10", hang: "0.5" }), new Random(3, 1));
  const draws = new Random(3, 1);
  assert.equal(always?.hang, draws.next() < 0.5, "latency took no draw: hang had the first");
  assert.equal(planTcpConnection(tcp({ hang: "0" }), new Random(3, 1)), null);
  assert.equal(planTcpConnection(tcp({ jitter: "10" }), new Random(3, 1)), null);
});

Deno.test("DelayLine keeps order under jitter: no chunk is due before the one ahead of it", async () => {
  const line = new DelayLine(5, 5, new Random(1));
  for (let i = 0; i < 50; i++) await line.push(new Uint8Array([i]));
  line.end();
  const got: number[] = [];
  for (let chunk = await line.take(1); chunk !== null; chunk = await line.take(1)) {
    got.push(chunk[0]);
  }
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("DelayLine.push() waits for room once the line holds its limit", async () => {
  const line = new DelayLine(0, 0, new Random(1), 10);
  await line.push(new Uint8Array(4));
  let pushed = false;
  const full = line.push(new Uint8Array(8)).then(() => pushed = true);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(pushed, false, "12 bytes held: the producer waits");
  assert.equal((await line.take(100))?.length, 4);
  await full;
  assert.equal(pushed, true);
  line.fail(new Error("done"));
  await assert.rejects(line.take(1), /done/);
});

Deno.test("thousands() writes what toLocaleString('en-US') with 3 decimals at most writes", () => {
  const values = [
    0,
    1,
    7,
    100,
    999,
    1000,
    4096,
    10_000,
    65_536,
    1_000_000,
    123_456_789,
    1e15,
    0.5,
    0.25,
    0.001,
    0.0004,
    0.0006,
    2.5,
    1234.5678,
    99.9999,
    999_999.9996,
    -1,
    -1234.5,
    -0.0001,
  ];
  for (const n of values) {
    assert.equal(thousands(n), n.toLocaleString("en-US", { maximumFractionDigits: 3 }), `${n}`);
  }
});
