/**
 * ProcessTable's places: a claim over a cap waits its turn, first come first
 * served, and gives up with the cap's name after its wait or when stopped.
 */

import assert from "node:assert/strict";
import { ProcessTable } from "../../lib/services/process_table.ts";

const ONE = { maxProcs: 1, maxProcsPerSource: 8 };
const SOCKET = "tcp 127.0.0.1:7300";

Deno.test("ProcessTable.claimWhenFree() hands a freed place to those waiting, in the order they asked", async () => {
  const table = new ProcessTable();
  const stop = new AbortController();
  const first = table.claim(SOCKET, "127.0.0.1", ONE);
  assert.notEqual(typeof first, "string");
  const order: string[] = [];
  const second = table.claimWhenFree(SOCKET, "127.0.0.2", ONE, 10_000, stop.signal)
    .then((claim) => (order.push("second"), claim));
  const third = table.claimWhenFree(SOCKET, "127.0.0.3", ONE, 10_000, stop.signal)
    .then((claim) => (order.push("third"), claim));
  // Nobody overtakes those waiting: the cap holds for a plain claim too.
  assert.equal(table.claim(SOCKET, "127.0.0.4", ONE), "too-many-processes");
  (first as { free(): void }).free();
  const got = await second;
  assert.notEqual(typeof got, "string");
  assert.deepEqual(order, ["second"]);
  (got as { release(): void }).release();
  const last = await third;
  assert.deepEqual(order, ["second", "third"]);
  (last as { release(): void }).release();
  (first as { release(): void }).release();
  assert.equal(table.size, 0);
});

Deno.test("ProcessTable.claimWhenFree() names the cap after its wait, and at once when stopped", async () => {
  const table = new ProcessTable();
  const stop = new AbortController();
  const held = table.claim(SOCKET, "127.0.0.1", { maxProcs: 8, maxProcsPerSource: 1 });
  assert.notEqual(typeof held, "string");
  assert.equal(
    await table.claimWhenFree(
      SOCKET,
      "127.0.0.1",
      { maxProcs: 8, maxProcsPerSource: 1 },
      50,
      stop.signal,
    ),
    "too-many-from-source",
  );
  const waiting = table.claimWhenFree(SOCKET, "127.0.0.2", ONE, 10_000, stop.signal);
  stop.abort();
  assert.equal(await waiting, "too-many-processes");
  (held as { release(): void }).release();
  assert.equal(table.size, 0);
});

Deno.test("ProcessTable.claimWhenFree() refuses at once past maxWaiting, naming that", async () => {
  const table = new ProcessTable();
  const stop = new AbortController();
  const held = table.claim(SOCKET, "127.0.0.1", ONE);
  const waiting = table.claimWhenFree(SOCKET, "127.0.0.1", ONE, 10_000, stop.signal, 1);
  assert.equal(
    await table.claimWhenFree(SOCKET, "127.0.0.1", ONE, 10_000, stop.signal, 1),
    "too-many-waiting",
  );
  stop.abort();
  assert.equal(await waiting, "too-many-processes");
  (held as { release(): void }).release();
});
