/**
 * What listeners added and removed one at a time, as the control API does,
 * leave behind: each UDP socket's 64 KiB receive buffer must not stay in
 * the process once its listener is removed.
 */

import assert from "node:assert/strict";
import { start } from "../../mod.ts";

const MIB = 1024 * 1024;

/** Sends one datagram to the port and returns the reply. */
async function echo(port: number, text: string): Promise<string> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await socket.send(new TextEncoder().encode(text), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    const [reply] = await socket.receive();
    return new TextDecoder().decode(reply);
  } finally {
    socket.close();
  }
}

Deno.test(
  "MuxdServer.remove() leaves no UDP receive buffer behind (1,000 UDP listeners added and removed)",
  async () => {
    const listeners = 1000;
    // A child process, for a GC of its own (--expose-gc) and a clean count.
    const output = await new Deno.Command("deno", {
      args: [
        "run",
        "--v8-flags=--expose-gc",
        "--allow-net",
        "--unstable-net",
        new URL("../_support/udp_churn_memory.ts", import.meta.url).pathname,
        String(listeners),
        "1",
      ],
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    const { before, after } = JSON.parse(new TextDecoder().decode(output.stdout));
    // A 64 KiB buffer kept for each would be 62.5 MiB.
    const limit = listeners * 64 * 1024 / 2;
    assert.ok(
      after - before < limit,
      `RSS outside the JS heap grew from ${(before / MIB).toFixed(1)} to ` +
        `${(after / MIB).toFixed(1)} MiB over ${listeners} UDP listeners added and removed`,
    );
  },
);

Deno.test(
  "MuxdServer.add() hands a removed UDP listener's receive buffer to the next one, which echoes",
  async () => {
    await using server = await start();
    const [first] = await server.add("udp://127.0.0.1:0=echo");
    const [second] = await server.add("udp://127.0.0.1:0=echo");
    await server.remove(first.id);
    const [third] = await server.add("udp://127.0.0.1:0=echo");
    // Both open at once, each with its own buffer: a reply never carries the other's bytes.
    const [a, b] = await Promise.all([
      echo(second.local.port, "x".repeat(2000)),
      echo(third.local.port, "y".repeat(1000)),
    ]);
    assert.equal(a, "x".repeat(2000));
    assert.equal(b, "y".repeat(1000));
  },
);
