/**
 * chargen against clients that do not read, and against its own time cap.
 * Each stream to a client that does not read fills its socket buffers and
 * then waits on a write that never completes; that write must not hold up
 * shutdown: SIGTERM stops chargen at once, not at the end of the grace
 * period. A stream cut by `max-seconds` while a write is in flight must
 * still count every byte the client gets, and no byte it does not.
 */

import assert from "node:assert/strict";
import { eventsOf, logEvents } from "../_support/log.ts";
import { serveJson, startMuxd } from "../_support/process.ts";
import { closeQuietly } from "../_support/socket.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";

/** The send queues (bytes) of muxd's established connections from `port`, from `ss`. */
async function sendQueues(port: number): Promise<number[]> {
  const out = await new Deno.Command("ss", {
    args: ["-tnH", "state", "established", `( sport = :${port} )`],
    stdout: "piped",
  }).output();
  // Recv-Q Send-Q Local Peer, without the state column once a state is given.
  return new TextDecoder().decode(out.stdout).trim().split("\n").filter((l) => l !== "")
    .map((l) => Number(l.trim().split(/\s+/)[1]));
}

/**
 * Waits until `count` connections from `port` have data queued that their
 * clients do not read, and the queues stopped growing: each stream's write
 * is waiting.
 */
async function waitForStalledStreams(port: number, count: number): Promise<void> {
  let last: number[] = [];
  await waitUntil(
    async () => {
      const now = await sendQueues(port);
      const stalled = now.length === count && now.every((q) => q > 0) &&
        now.toSorted().join() === last.toSorted().join();
      last = now;
      return stalled;
    },
    10_000,
    `${count} chargen streams waiting on clients that do not read`,
  );
}

// With latency, chargen's bytes wait in the fault's delay line as well: that
// must not hold the connection either.
for (const faults of ["", "&latency=20"]) {
  Deno.test(`muxd serve stops chargen streams that wait on non-reading clients at once on SIGTERM${faults === "" ? "" : `, with ${faults.slice(1)}`}`, async () => {
    await using muxd = await startMuxd([
      "serve",
      "--grace",
      "30",
      "-l",
      `tcp://127.0.0.1:0=chargen?max-seconds=60${faults}`,
    ]);
    const stalled: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        stalled.push(await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) }));
      }
      // Every stream's write waits once its socket's send queue stops growing.
      await waitForStalledStreams(muxd.port(0), 50);
      const signalled = performance.now();
      const { code, stderr } = await withTimeout(
        muxd.stop("SIGTERM"),
        20_000,
        "muxd stopping with 50 stalled chargen streams",
      );
      const took = performance.now() - signalled;
      assert.equal(code, 0);
      // The grace period is 30 s: chargen must not wait it out.
      assert.ok(took < 5000, `muxd took ${Math.round(took)} ms to stop`);
      // muxd ended them, and its log says so, each before its last line.
      assert.equal(
        stderr.match(/ closed after .*, closed at shutdown$/gm)?.length,
        50,
        stderr,
      );
      assert.match(stderr, /INF bye\n$/);
    } finally {
      for (const conn of stalled) closeQuietly(conn);
    }
  });
}

Deno.test("muxd serve ends chargen with latency at max-seconds while its client does not read", async () => {
  await using muxd = await startMuxd(
    serveJson("tcp://127.0.0.1:0=chargen?max-seconds=0.5&latency=20"),
  );
  using _client = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "connection-closed").length === 1,
    10_000,
    "the connection's close at max-seconds, its client not reading",
    () => muxd.stderr(),
  );
  const [closed] = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.ok(closed.durationMs < 2000, `closed after ${closed.durationMs} ms`);
});

/** Reads a connection to its end as fast as it can, keeping only the count. */
async function countToEnd(conn: Deno.Conn): Promise<number> {
  const buffer = new Uint8Array(256 * 1024);
  let total = 0;
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) total += n;
  return total;
}

Deno.test("muxd serve counts in connection-closed exactly the chargen bytes a client got when max-seconds cuts a write in flight", async () => {
  // With a fast reader, writes complete all the time, so a 20 ms cap nearly
  // always falls on one that reached the kernel while its count is still on
  // its way to JavaScript: a count that leaves it out is short on most of
  // these streams.
  const streams = 12;
  await using muxd = await startMuxd(serveJson("tcp://127.0.0.1:0=chargen?max-seconds=0.02"));
  const got = new Map<number, number>();
  for (let i = 0; i < streams; i++) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
    // A clean end of stream: a reset would throw here.
    got.set(
      conn.localAddr.port,
      await withTimeout(countToEnd(conn), 10_000, `chargen stream ${i}`),
    );
  }
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "connection-closed").length === streams,
    10_000,
    `${streams} connection-closed events`,
  );
  const counted = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.deepEqual(
    counted.map((e) => [e.remote.port, e.reason, e.bytesOut]),
    counted.map((e) => [e.remote.port, "done", got.get(e.remote.port)]),
  );
});
