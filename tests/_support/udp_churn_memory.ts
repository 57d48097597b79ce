/**
 * A program for tests/server/listener_memory_test.ts: adds UDP listeners
 * one call at a time and removes them, as the control API does, and prints
 * as JSON how resident memory outside the JS heap (RSS minus V8's heap)
 * changed over the rounds, measured after a full GC. Run with
 * `--v8-flags=--expose-gc --allow-net --unstable-net`; the arguments are
 * the listeners per round and the rounds.
 *
 * @module
 */

import { start } from "../../mod.ts";

const [perRound, rounds] = Deno.args.map(Number);
const gc = (globalThis as { gc?: (options?: { type: "major"; flavor: "last-resort" }) => void })
  .gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");

/** RSS minus V8's heap after a full GC, in bytes. */
async function outsideHeap(): Promise<number> {
  // Removed sockets' resources are released on the next turns of the loop.
  await new Promise((resolve) => setTimeout(resolve, 100));
  // The last-resort flavour also returns V8's pooled pages to the system.
  gc!({ type: "major", flavor: "last-resort" });
  const { rss, heapTotal } = Deno.memoryUsage();
  return rss - heapTotal;
}

await using server = await start();
async function round(n: number): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await server.add("udp://127.0.0.1:0=echo"))[0].id);
  for (const id of ids) await server.remove(id);
}
// A first round compiles the code paths and fills the runtime's pools.
await round(50);
const before = await outsideHeap();
for (let i = 0; i < rounds; i++) await round(perRound);
const after = await outsideHeap();
console.log(JSON.stringify({ before, after }));
