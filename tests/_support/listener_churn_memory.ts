/**
 * A program for tests/server/listener_memory_test.ts: adds listeners one
 * call at a time and removes them, as the control API does, and prints as
 * JSON the JS heap used and the resident memory outside it (RSS minus V8's
 * heap), after a full GC, before and after the rounds. Run with
 * `--v8-flags=--expose-gc --allow-net --unstable-net`. Arguments: `tcp` or
 * `udp`, the listeners per round, the rounds. A TCP listener serves one
 * connection before it is removed.
 *
 * @module
 */

import { type MuxdServer, start } from "../../mod.ts";

const [transport, perRound, rounds] = [Deno.args[0], Number(Deno.args[1]), Number(Deno.args[2])];
type Gc = (options?: { type: "major"; flavor: "last-resort" }) => void;
const gc = (globalThis as { gc?: Gc }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");

/** The JS heap used and RSS outside V8's heap after a full GC, in bytes. */
async function settle(): Promise<{ heap: number; outside: number }> {
  // Removed sockets' resources are released on the next turns of the loop.
  await new Promise((resolve) => setTimeout(resolve, 100));
  // The last-resort flavour also returns V8's pooled pages to the system.
  gc!({ type: "major", flavor: "last-resort" });
  const { rss, heapTotal, heapUsed } = Deno.memoryUsage();
  return { heap: heapUsed, outside: rss - heapTotal };
}

/** Opens one connection to the port, sends a byte, reads the echo and closes. */
async function visit(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new Uint8Array([1]));
    await conn.read(new Uint8Array(1));
  } finally {
    conn.close();
  }
}

async function round(server: MuxdServer, n: number): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const [socket] = await server.add(`${transport}://127.0.0.1:0=echo`);
    if (transport === "tcp") await visit(socket.local.port);
    ids.push(socket.id);
  }
  for (const id of ids) await server.remove(id);
}

await using server = await start();
// A first round compiles the code paths and fills the runtime's pools.
await round(server, 50);
const before = await settle();
for (let i = 0; i < rounds; i++) await round(server, perRound);
const after = await settle();
console.log(JSON.stringify({ before, after }));
