/**
 * DatagramFaults on its own: which datagrams each fault hits, in what
 * order they are delivered, and that nothing held is lost unsaid.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ActiveFaults,
  DatagramFaults,
  type DatagramWay,
  faultsFrom,
  MAX_HELD_BYTES,
  REORDER_MAX_MS,
} from "../../lib/faults/mod.ts";
import type { SocketName } from "../../lib/spec/types.ts";
import { waitUntil } from "../_support/wait.ts";

const CLIENT: SocketName = { address: "127.0.0.1", port: 40000 };

/** The socket faults of a UDP spec's options. */
function active(options: Record<string, string>): ActiveFaults {
  return new ActiveFaults(faultsFrom(options, "udp")!);
}

/** One 4-byte datagram holding `n`. */
function numbered(n: number): Uint8Array {
  return new Uint8Array(new Uint32Array([n]).buffer);
}

function numberOf(bytes: Uint8Array): number {
  return new Uint32Array(bytes.slice().buffer)[0];
}

/** Passes datagrams 0..count-1 one way; returns what came out and what was said. */
function run(
  faults: DatagramFaults,
  socket: ActiveFaults,
  count: number,
  on: DatagramWay = "request",
) {
  const got: number[] = [];
  for (let n = 0; n < count; n++) {
    faults.pass(socket, on, CLIENT, numbered(n), (b) => got.push(numberOf(b)));
  }
  return { got };
}

function reporter(said: string[]) {
  return (fault: string, on: string, _remote: SocketName, detail: string) =>
    said.push(`${fault} ${on}: ${detail}`);
}

Deno.test("DatagramFaults.pass() drops the same datagrams for the same seed, within binomial bounds", () => {
  const dropped = (seed: string) => {
    const said: string[] = [];
    const faults = new DatagramFaults(reporter(said));
    const { got } = run(faults, active({ drop: "0.5", seed }), 10_000);
    faults.close();
    const kept = new Set(got);
    assert.equal(said.length, 10_000 - got.length, "one drop event per datagram dropped");
    return [...Array(10_000).keys()].filter((n) => !kept.has(n));
  };
  const a = dropped("7");
  // n = 10,000, p = 0.5: σ = 50, and 4σ either way.
  assert.ok(a.length >= 4800 && a.length <= 5200, `${a.length} dropped`);
  assert.deepEqual(dropped("7"), a);
  assert.notDeepEqual(dropped("8"), a);
});

Deno.test("DatagramFaults.pass() leaves requests alone when faults-on=reply, and the reverse", () => {
  const faults = new DatagramFaults(() => {});
  const socket = active({ drop: "1", "faults-on": "reply" });
  assert.equal(run(faults, socket, 10, "request").got.length, 10);
  assert.equal(run(faults, socket, 10, "reply").got.length, 0);
  const both = active({ drop: "1", "faults-on": "both" });
  assert.equal(run(faults, both, 10, "request").got.length, 0);
  faults.close();
});

Deno.test("DatagramFaults.pass() with reorder=0.5 lets a later datagram go ahead of each held one, losing none", async () => {
  const said: string[] = [];
  const faults = new DatagramFaults(reporter(said));
  const got: number[] = [];
  const socket = active({ reorder: "0.5", "reorder-window": "1", seed: "3" });
  for (let n = 0; n < 1000; n++) {
    faults.pass(socket, "request", CLIENT, numbered(n), (b) => got.push(numberOf(b)));
  }
  // The last may still wait for a later one; it goes after REORDER_MAX_MS.
  await new Promise((resolve) => setTimeout(resolve, REORDER_MAX_MS + 50));
  assert.equal(faults.waiting, 0);
  assert.deepEqual([...got].sort((a, b) => a - b), [...Array(1000).keys()], "none lost");
  const late = got.filter((n, i) => i > 0 && n < got[i - 1]).length;
  assert.ok(late > 0, "some went out of order");
  const reorders = said.filter((s) => s.startsWith("reorder")).length;
  // n = 1,000, p = 0.5: σ ≈ 15.8; 4σ either way.
  assert.ok(reorders >= 437 && reorders <= 563, `${reorders} reordered`);
  faults.close();
});

Deno.test("DatagramFaults.pass() sends a held datagram after REORDER_MAX_MS when no later one comes", async () => {
  const said: string[] = [];
  const faults = new DatagramFaults(reporter(said));
  const start = performance.now();
  const sent = new Promise<number>((resolve) =>
    faults.pass(
      active({ reorder: "1", "reorder-window": "3", "faults-on": "reply" }),
      "reply",
      CLIENT,
      numbered(9),
      (b) => {
        assert.equal(numberOf(b), 9);
        resolve(performance.now() - start);
      },
    )
  );
  assert.equal(faults.waiting, 1);
  const waited = await sent;
  assert.ok(waited >= REORDER_MAX_MS - 1, `sent after ${waited} ms`);
  assert.deepEqual(said, [
    "reorder reply: held back 100 ms, the longest it waits (0 of 3 later datagrams went ahead)",
  ]);
  faults.close();
});

Deno.test("DatagramFaults.close() says each datagram still held, and clears its timer", () => {
  const said: string[] = [];
  const faults = new DatagramFaults(reporter(said));
  const delivered: Uint8Array[] = [];
  faults.pass(active({ delay: "60000" }), "request", CLIENT, numbered(1), (b) => delivered.push(b));
  faults.pass(
    active({ reorder: "1", "faults-on": "both" }),
    "reply",
    CLIENT,
    numbered(2),
    (b) => delivered.push(b),
  );
  assert.equal(faults.waiting, 2);
  faults.close();
  assert.equal(faults.waiting, 0);
  assert.equal(delivered.length, 0);
  assert.deepEqual(said, [
    "delay request: sent 60000 ms late",
    "drop request: not sent: the listener closed during its 60000 ms delay",
    "drop reply: not sent: the listener closed while reorder held it",
  ]);
  // After close nothing is held: a delayed datagram is said dropped at once.
  faults.pass(active({ delay: "10" }), "request", CLIENT, numbered(3), (b) => delivered.push(b));
  assert.equal(faults.waiting, 0);
  assert.equal(said.at(-1), "drop request: not sent: the listener closed");
});

Deno.test("DatagramFaults.pass() corrupts exactly one byte of a copy, and truncates only longer datagrams", () => {
  const said: string[] = [];
  const faults = new DatagramFaults(reporter(said));
  const original = new Uint8Array(100).fill(7);
  const copy = original.slice();
  let out: Uint8Array | null = null;
  faults.pass(
    active({ corrupt: "1", seed: "5", "faults-on": "reply" }),
    "reply",
    CLIENT,
    original,
    (b) => out = b,
  );
  assert.deepEqual(original, copy, "the caller's bytes are left as they were");
  const differ = [...out!].filter((b, i) => b !== original[i]).length;
  assert.equal(differ, 1);
  const cut: number[] = [];
  const truncate = active({ truncate: "10" });
  for (const size of [5, 10, 11, 1000]) {
    faults.pass(truncate, "request", CLIENT, new Uint8Array(size), (b) => cut.push(b.length));
  }
  assert.deepEqual(cut, [5, 10, 10, 10]);
  assert.deepEqual(said.slice(1), [
    "truncate request: cut from 11 B to 10 B",
    "truncate request: cut from 1000 B to 10 B",
  ]);
  faults.close();
});

Deno.test("DatagramFaults.pass() holds at most MAX_HELD_BYTES, and says each datagram it could not hold", () => {
  const said: string[] = [];
  const faults = new DatagramFaults(reporter(said));
  const delayed = active({ delay: "60000" });
  const mib = new Uint8Array(1024 * 1024);
  for (let i = 0; i < MAX_HELD_BYTES / mib.length + 2; i++) {
    faults.pass(delayed, "request", CLIENT, mib, () => assert.fail("delivered"));
  }
  assert.equal(faults.waiting, MAX_HELD_BYTES / mib.length);
  assert.deepEqual(said.slice(-2), [
    "drop request: not held for delay: 32 MiB already wait on this socket",
    "drop request: not held for delay: 32 MiB already wait on this socket",
  ]);
  faults.close();
  assert.equal(faults.waiting, 0);
});

Deno.test("DatagramFaults.pass() keeps a copy of a datagram it holds, cut or not: the caller's buffer may change", async () => {
  const faults = new DatagramFaults(() => {});
  const buffer = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const got: number[][] = [];
  const socket = active({ delay: "1", truncate: "4" });
  faults.pass(socket, "request", CLIENT, buffer.subarray(0, 6), (b) => got.push([...b]));
  faults.pass(socket, "request", CLIENT, buffer.subarray(0, 2), (b) => got.push([...b]));
  buffer.fill(0);
  await waitUntil(() => got.length === 2, 5000, "both datagrams");
  assert.deepEqual(got, [[1, 2, 3, 4], [1, 2]]);
  faults.close();
});
