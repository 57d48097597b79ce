/**
 * A client that resets its connections before muxd accepts them (an
 * ordinary connect scan does this) must not slow down the listener for
 * anyone else. Such a connection makes `accept()` throw `NotConnected`; it
 * concerns that one connection, so muxd accepts again at once and logs it at
 * debug level, never as a failed service.
 */

import assert from "node:assert/strict";
import net from "node:net";
import { countEvents, eventsOf, logEvents } from "../_support/log.ts";
import { serveDebug, startMuxd } from "../_support/process.ts";
import { readToEnd } from "../_support/socket.ts";
import { sleep, withTimeout } from "../_support/wait.ts";

/** Resets sent per burst, and bursts: 400 resets over about 2 s, bounded in count and time. */
const RESETS_PER_BURST = 20;
const BURSTS = 20;
const BURST_EVERY_MS = 100;

/**
 * Opens a connection and resets it (SO_LINGER 0, then close) as soon as it
 * is established, before muxd has had a turn to accept it.
 */
function connectAndReset(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.resetAndDestroy();
      resolve();
    });
    socket.once("error", reject);
  });
}

/** Asks whoami on `port` and returns the reply. */
async function whoami(port: number): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return new TextDecoder().decode(await readToEnd(conn));
}

Deno.test("muxd serve answers a normal client at once while another resets hundreds of connections a second", async () => {
  // The limits are lifted so that only accept errors could get in the way.
  await using muxd = await startMuxd(
    serveDebug("tcp://127.0.0.1:0=whoami?conn-rate=100000&max-conns-per-source=100000"),
  );
  const port = muxd.port(0);
  let stop = false;
  let resets = 0;
  const flood = (async () => {
    for (let burst = 0; burst < BURSTS && !stop; burst++) {
      const sent = Array.from({ length: RESETS_PER_BURST }, () => connectAndReset(port));
      await Promise.all(sent);
      resets += sent.length;
      await sleep(BURST_EVERY_MS);
    }
  })();
  const replies: number[] = [];
  try {
    // A normal client, one request after another, while the resets go on.
    // With a pause per reset (50 ms each, as muxd once did), 200 resets a
    // second starve it completely.
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const reply = await withTimeout(whoami(port), 1000, `whoami request ${i + 1}`);
      replies.push(performance.now() - started);
      assert.match(reply, /^transport: tcp\n/);
      await sleep(50);
    }
  } finally {
    stop = true;
    await flood;
  }
  // Give the last resets time to reach the log.
  await sleep(200);
  const stderr = muxd.stderr();
  const events = logEvents(stderr);
  assert.deepEqual(eventsOf(events, "error"), [], "a reset before accept is not a service error");
  assert.deepEqual(eventsOf(events, "accept-paused"), [], "a reset is not resource exhaustion");
  const aborted = countEvents(stderr, "connection-aborted");
  // Some resets arrive after the accept: those connections are accepted and
  // end "reset"; the rest are the aborted ones. Both are accounted for.
  const closedByReset = eventsOf(events, "connection-closed").filter((e) => e.reason === "reset");
  assert.ok(aborted + closedByReset.length > 0, `none of ${resets} resets was seen`);
  for (const e of eventsOf(events, "connection-aborted")) {
    assert.equal(e.name, "NotConnected");
    assert.deepEqual(e.local, { address: "127.0.0.1", port });
  }
  const sorted = replies.toSorted((a, b) => a - b);
  console.log(
    `${resets} resets (${aborted} before accept, ${closedByReset.length} after); ` +
      `whoami p50 ${sorted[10].toFixed(1)} ms, max ${sorted[19].toFixed(1)} ms`,
  );
});

/**
 * One echo after the resets: a connection that comes after them proves muxd
 * has reached them in its queue.
 */
async function echoAfterResets(port: number): Promise<void> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("ok\n"));
  await conn.closeWrite();
  assert.equal(new TextDecoder().decode(await readToEnd(conn)), "ok\n");
}

Deno.test("muxd serve does not log a reset before accept at the default level", async () => {
  await using muxd = await startMuxd(["serve", "-l", "tcp://127.0.0.1:0=echo"]);
  const port = muxd.port(0);
  for (let i = 0; i < 20; i++) await connectAndReset(port);
  await echoAfterResets(port);
  await muxd.waitForStderr(/closed after/);
  assert.doesNotMatch(muxd.stderr(), / ERR /);
  assert.doesNotMatch(muxd.stderr(), /NotConnected/);
});

Deno.test("muxd serve --log-lines holds back the debug lines of connections reset before accept past it", async () => {
  await using muxd = await startMuxd([
    "serve",
    "--log-level",
    "debug",
    "--log-lines",
    "5",
    "-l",
    "tcp://127.0.0.1:0=echo?conn-rate=100000&max-conns-per-source=100000",
  ]);
  const port = muxd.port(0);
  for (let i = 0; i < 200; i++) await connectAndReset(port);
  await echoAfterResets(port);
  const { code, stderr } = await muxd.stop("SIGTERM");
  assert.equal(code, 0, stderr);
  const local = `tcp 127\\.0\\.0\\.1:${port}`;
  const written = stderr.match(
    new RegExp(` DBG ${local} -> echo: a connection was reset before it could be accepted`, "g"),
  )?.length ?? 0;
  const held = [
    ...stderr.matchAll(
      new RegExp(
        ` INF ${local} -> echo: \\d+ lines? not written .*?(\\d+) connections? reset before ` +
          "accept",
        "g",
      ),
    ),
  ].reduce((n, m) => n + Number(m[1]), 0);
  // Most of 200 resets sent back to back come before muxd accepts them.
  assert.ok(held > 0, `${written} lines written, none held back:\n${stderr}`);
  assert.ok(written + held <= 200, stderr);
});
