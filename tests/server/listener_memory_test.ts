/**
 * What listeners added and removed one at a time, as the control API does,
 * leave behind: each UDP socket's 64 KiB receive buffer must not stay in
 * the process once its listener is removed.
 */

import assert from "node:assert/strict";
import { start } from "../../mod.ts";
import { udpRoundTrip } from "../_support/socket.ts";

const MIB = 1024 * 1024;

/** Sends one datagram to the port and returns the reply as text ("" when none came in 1 s). */
async function echo(port: number, text: string): Promise<string> {
  const reply = await udpRoundTrip(port, new TextEncoder().encode(text));
  return reply === null ? "" : new TextDecoder().decode(reply);
}

/** Runs tests/_support/listener_churn_memory.ts in a child, for a GC of its own (--expose-gc). */
async function churn(
  transport: "tcp" | "udp",
  listeners: number,
): Promise<Record<"before" | "after", { heap: number; outside: number }>> {
  const output = await new Deno.Command("deno", {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      "--allow-net",
      "--unstable-net",
      new URL("../_support/listener_churn_memory.ts", import.meta.url).pathname,
      transport,
      String(listeners),
      "1",
    ],
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

Deno.test(
  "MuxdServer.remove() leaves no UDP receive buffer behind (1,000 UDP listeners added and removed)",
  async () => {
    const { before, after } = await churn("udp", 1000);
    // A 64 KiB buffer kept for each would be 62.5 MiB.
    assert.ok(
      after.outside - before.outside < 32 * MIB,
      `RSS outside the JS heap grew from ${mib(before.outside)} to ${mib(after.outside)}`,
    );
  },
);

Deno.test(
  "MuxdServer.remove() leaves nothing of a TCP listener that served a connection in the JS heap",
  async () => {
    const { before, after } = await churn("tcp", 1000);
    // Code compiled on the way costs a few hundred KiB once; a listener's
    // socket and counts kept for each would be over 3 MiB.
    assert.ok(
      after.heap - before.heap < 1.5 * MIB,
      `the JS heap used grew from ${mib(before.heap)} to ${mib(after.heap)}`,
    );
  },
);

Deno.test(
  "MuxdServer.add() after a UDP listener's removal: the next one, on a reused receive buffer, echoes beside another that receives",
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
