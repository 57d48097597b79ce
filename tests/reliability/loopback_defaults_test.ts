/**
 * The default limits do not throttle a test suite on loopback. With no
 * options, muxd once refused a loopback client past 200 new connections a
 * second (bursts of 400) and past 256 open ones: a 300-connection test lost
 * 44. Per-source limits now hold by default only for sources outside
 * loopback; the per-listener and total caps still protect the process.
 */

import assert from "node:assert/strict";
import { countEvents } from "../_support/log.ts";
import { serveJson, startMuxd } from "../_support/process.ts";
import { closeQuietly, echoRoundTrip, readToEnd } from "../_support/socket.ts";
import { withTimeout } from "../_support/wait.ts";

const PING = new TextEncoder().encode("ping\n");

/** One echo conversation; `false` when muxd closed the connection instead (refused). */
async function echoed(port: number): Promise<boolean> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(PING);
    await conn.closeWrite();
    return (await readToEnd(conn)).length === PING.length;
  } catch (error) {
    // A refused connection is closed at once: writing to it may fail.
    if (error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset) {
      return false;
    }
    throw error;
  }
}

Deno.test("muxd serve with default limits holds 300 connections open from 127.0.0.1", async () => {
  await using muxd = await startMuxd(serveJson("tcp://127.0.0.1:0=echo"));
  const conns: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 300; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) }));
    }
    const echoed = await withTimeout(
      Promise.all(conns.map((c) => echoRoundTrip(c, PING).catch(() => false))),
      10_000,
      "300 echo round trips",
    );
    assert.equal(echoed.filter((ok) => !ok).length, 0, "connections refused or not echoed");
  } finally {
    for (const conn of conns) closeQuietly(conn);
  }
  assert.equal(countEvents(muxd.stderr(), "connection-refused"), 0);
});

Deno.test("muxd serve with default limits takes 3,000 new connections from 127.0.0.1 as fast as they come", async () => {
  await using muxd = await startMuxd(serveJson("tcp://127.0.0.1:0=echo"));
  const port = muxd.port(0);
  const started = performance.now();
  let refused = 0;
  // 50 clients at a time, each a whole echo conversation: bounded in count.
  await withTimeout(
    Promise.all(Array.from({ length: 50 }, async () => {
      for (let i = 0; i < 60; i++) {
        if (!await echoed(port)) refused++;
      }
    })),
    60_000,
    "3,000 echo conversations",
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`3,000 connections in ${seconds.toFixed(2)} s (${Math.round(3000 / seconds)}/s)`);
  assert.equal(refused, 0, `${refused} of 3,000 connections were refused`);
  assert.equal(countEvents(muxd.stderr(), "connection-refused"), 0);
});

Deno.test("muxd serve holds loopback clients to conn-rate when the spec sets it", async () => {
  // One a second, bursts of 2: of 20 conversations, at least 5 are refused
  // unless they take 13 s, however busy the machine.
  await using muxd = await startMuxd(serveJson("tcp://127.0.0.1:0=echo?conn-rate=1"));
  const port = muxd.port(0);
  let refused = 0;
  const started = performance.now();
  for (let i = 0; i < 20; i++) {
    if (!await echoed(port)) refused++;
  }
  const took = performance.now() - started;
  assert.ok(
    refused >= 5,
    `only ${refused} of 20 quick connections were refused at conn-rate=1, in ${
      Math.round(took)
    } ms\n${muxd.stderr()}`,
  );
});
