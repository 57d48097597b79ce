/**
 * Limits end to end, on a real muxd process with its JSON log: max-conns
 * (the N+1th connection is closed at once, "listener-full"),
 * max-conns-per-source ("source-full", while another source address still
 * gets in), conn-rate (a burst, then "rate", then accepted again a moment
 * later), --max-connections ("server-full" across listeners), deny and allow
 * (a refused TCP peer gets not one byte; a denied UDP sender gets no reply
 * and a "denied" reply-suppressed record), and chargen's caps (max-bytes
 * ends the stream at exactly that many bytes of the RFC 864 pattern,
 * max-seconds=1 ends it within 1.5 s).
 */

import assert from "node:assert/strict";
import type { ConnectionRefusedEvent } from "../../lib/events/mod.ts";
import { countEvents, eventsOf, logEvents } from "../_support/log.ts";
import { type MuxdProcess, serveJson, startMuxd } from "../_support/process.ts";
import { closeQuietly, echoRoundTrip, firstRead, readToEnd } from "../_support/socket.ts";
import { sleep, waitUntil, withTimeout } from "../_support/wait.ts";
import { nc } from "../_support/netcat.ts";

const PING = new TextEncoder().encode("ping\n");

/** Connects to 127.0.0.1:port and checks that echo answers. */
async function admitted(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    assert.ok(
      await withTimeout(echoRoundTrip(conn, PING), 10_000, "an echo round trip"),
      `muxd closed the connection to port ${port} instead of echoing: it was refused`,
    );
  } catch (error) {
    conn.close();
    throw error;
  }
  return conn;
}

/**
 * Connects and checks that muxd closes the connection without a byte (an
 * admitted one would wait for the client: echo, or whoami after its answer),
 * then returns the refusal it logged for this connection.
 */
async function refused(muxd: MuxdProcess, port: number): Promise<ConnectionRefusedEvent> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const clientPort = (conn.localAddr as Deno.NetAddr).port;
  const how = await withTimeout(firstRead(conn), 5000, "muxd closing a refused connection");
  assert.ok(how === "eof" || how === "reset", `a refused peer got ${how} bytes`);
  const mine = () =>
    eventsOf(logEvents(muxd.stderr()), "connection-refused").find((e) =>
      e.remote.port === clientPort
    );
  await waitUntil(() => mine() !== undefined, 10_000, "the connection-refused record");
  return mine()!;
}

/** Waits until muxd logged `count` closed connections. */
async function closedCount(muxd: MuxdProcess, count: number): Promise<void> {
  await waitUntil(
    () => countEvents(muxd.stderr(), "connection-closed") >= count,
    10_000,
    `${count} connection-closed records`,
  );
}

Deno.test('muxd serve closes the connection past max-conns at once, logs "listener-full", and admits again after a close', async () => {
  await using muxd = await startMuxd(serveJson("tcp://127.0.0.1:0=echo?max-conns=3"));
  const port = muxd.port(0);
  const open = [await admitted(port), await admitted(port), await admitted(port)];
  try {
    const refusal = await refused(muxd, port);
    assert.equal(refusal.reason, "listener-full");
    assert.match(refusal.detail, /max-conns/);
    // The three admitted ones are unaffected.
    for (const conn of open) assert.ok(await echoRoundTrip(conn, PING));
    open.shift()!.close();
    await closedCount(muxd, 1);
    open.push(await admitted(port));
    assert.equal((await refused(muxd, port)).reason, "listener-full");
  } finally {
    for (const conn of open) closeQuietly(conn);
  }
});

Deno.test('muxd serve refuses a source past max-conns-per-source with "source-full" while another source gets in', async () => {
  await using muxd = await startMuxd(serveJson("tcp://127.0.0.1:0=echo?max-conns-per-source=2"));
  const port = muxd.port(0);
  const open = [await admitted(port), await admitted(port)];
  try {
    const refusal = await refused(muxd, port);
    assert.equal(refusal.reason, "source-full");
    assert.equal(refusal.remote.address, "127.0.0.1");
    // From 127.0.0.2 the listener still has room.
    const other = await nc(["-N", "-s", "127.0.0.2", "127.0.0.1", `${port}`], "other source\n");
    assert.equal(other.text, "other source\n", other.stderr);
    open.shift()!.close();
    await closedCount(muxd, 2);
    open.push(await admitted(port));
  } finally {
    for (const conn of open) closeQuietly(conn);
  }
});

Deno.test('muxd serve refuses connections past twice conn-rate with "rate", and only for a moment', async () => {
  // The slowest rate: a token comes back every second, so the burst and the
  // refusal need only fit in a second, even on a busy machine.
  await using muxd = await startMuxd(serveJson("tcp://127.0.0.1:0=echo?conn-rate=1"));
  const port = muxd.port(0);
  // A burst of twice the rate, each closed at once so that only the rate counts.
  for (let i = 0; i < 2; i++) (await admitted(port)).close();
  const refusal = await refused(muxd, port);
  assert.equal(refusal.reason, "rate");
  assert.match(refusal.detail, /in a moment/);
  // One token a second: one is back a second after the burst.
  await sleep(1100);
  (await admitted(port)).close();
});

Deno.test('muxd serve --max-connections refuses with "server-full" across listeners', async () => {
  await using muxd = await startMuxd([
    ...serveJson("tcp://127.0.0.1:0=echo", "tcp://127.0.0.2:0=echo"),
    "--max-connections",
    "2",
  ]);
  const [first, second] = [muxd.port(0), muxd.port(1)];
  const open = [
    await admitted(first),
    await Deno.connect({ hostname: "127.0.0.2", port: second }),
  ];
  try {
    assert.ok(await echoRoundTrip(open[1], PING));
    const refusal = await refused(muxd, first);
    assert.equal(refusal.reason, "server-full");
    assert.match(refusal.detail, /--max-connections/);
    open.shift()!.close();
    await closedCount(muxd, 1);
    open.push(await admitted(first));
  } finally {
    for (const conn of open) closeQuietly(conn);
  }
});

Deno.test("muxd serve gives a TCP peer in deny, or outside allow, not one byte", async () => {
  await using muxd = await startMuxd(serveJson(
    "tcp://127.0.0.1:0=whoami?deny=127.0.0.1",
    "tcp://127.0.0.1:0=whoami?allow=127.0.0.2",
  ));
  const [denied, allowed] = [muxd.port(0), muxd.port(1)];
  assert.equal((await refused(muxd, denied)).reason, "denied");
  assert.equal((await refused(muxd, allowed)).reason, "denied");
  const fromDenied = await nc(["-d", "127.0.0.1", `${denied}`]);
  assert.equal(fromDenied.stdout.length, 0);
  // The allowed address is served, and whoami names it.
  const fromAllowed = await nc(["-d", "-s", "127.0.0.2", "127.0.0.1", `${allowed}`]);
  assert.match(fromAllowed.text, /^remote: 127\.0\.0\.2:\d+$/m, fromAllowed.stderr);
  // Log lines are written in batches: wait for the served connection's close.
  await muxd.waitForStderr('"type":"connection-closed"');
  const events = logEvents(muxd.stderr());
  assert.equal(eventsOf(events, "connection-refused").length, 3);
  assert.equal(eventsOf(events, "connection-opened").length, 1);
});

Deno.test('muxd serve gives a denied UDP sender no reply and logs "denied"', async () => {
  await using muxd = await startMuxd(serveJson(
    "udp://127.0.0.1:0=echo?deny=127.0.0.1",
    "udp://127.0.0.1:0=echo?deny=127.0.0.2",
  ));
  const [denied, open] = [muxd.port(0), muxd.port(1)];
  const [toDenied, toOpen] = await Promise.all([
    nc(["-u", "-w1", "127.0.0.1", `${denied}`], "anyone?\n"),
    nc(["-u", "-w1", "127.0.0.1", `${open}`], "anyone?\n"),
  ]);
  assert.equal(toDenied.stdout.length, 0, "a denied sender got a reply");
  assert.equal(toOpen.text, "anyone?\n", "the listener that does not deny 127.0.0.1");
  await waitUntil(
    () => countEvents(muxd.stderr(), "reply-suppressed") >= 1,
    10_000,
    "the reply-suppressed record",
  );
  const events = logEvents(muxd.stderr());
  const suppressed = eventsOf(events, "reply-suppressed");
  assert.deepEqual(
    suppressed.map((e) => [e.reason, e.local.port, e.remote.address, e.bytesIn, e.bytesOut]),
    [["denied", denied, "127.0.0.1", 8, 0]],
  );
  // Refused before the service saw it: no datagram record for the denied listener.
  assert.deepEqual(eventsOf(events, "datagram").map((e) => e.local.port), [open]);
});

/**
 * Reads a connection to its end, keeping only the count, at most 64 KiB
 * every 5 ms: slow enough that chargen's default max-bytes (100 MiB) is
 * not what ends the stream within a second.
 */
async function countToEndSlowly(conn: Deno.Conn): Promise<number> {
  const buffer = new Uint8Array(64 * 1024);
  let total = 0;
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    total += n;
    await sleep(5);
  }
  return total;
}

/** The RFC 864 pattern, written out independently of muxd. */
function rfc864(byteCount: number): Uint8Array {
  let ring = "";
  for (let c = 0x21; c <= 0x7e; c++) ring += String.fromCharCode(c);
  ring += " ";
  const twice = ring + ring;
  let text = "";
  for (let n = 0; text.length < byteCount; n++) text += twice.slice(n % 95, n % 95 + 72) + "\r\n";
  return new TextEncoder().encode(text.slice(0, byteCount));
}

Deno.test("muxd serve ends chargen at exactly max-bytes, and within 1.5 s at max-seconds=1", async () => {
  await using muxd = await startMuxd(serveJson(
    "tcp://127.0.0.1:0=chargen?max-bytes=100000",
    "tcp://127.0.0.1:0=chargen?max-seconds=1",
  ));
  const [bytesCapped, timeCapped] = [muxd.port(0), muxd.port(1)];
  const bytes = await withTimeout(
    (async () => {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port: bytesCapped });
      return await readToEnd(conn, 200_000);
    })(),
    5000,
    "chargen with max-bytes",
  );
  assert.equal(bytes.length, 100_000);
  assert.deepEqual(bytes, rfc864(100_000));

  const started = performance.now();
  const streamed = await withTimeout(
    (async () => {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port: timeCapped });
      return await countToEndSlowly(conn);
    })(),
    5000,
    "chargen with max-seconds",
  );
  const drained = performance.now() - started;
  await closedCount(muxd, 2);
  const closed = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.deepEqual(closed.map((e) => [e.reason, e.bytesOut]), [
    ["done", 100_000],
    ["done", streamed],
  ]);
  // muxd's own account: the client takes longer, draining what the socket buffers hold.
  const took = closed[1].durationMs;
  assert.ok(took >= 1000 && took < 1500, `muxd ended the stream after ${Math.round(took)} ms`);
  assert.ok(streamed > 0 && streamed < 100 * 1024 * 1024, `${streamed} bytes`);
  console.log(
    `max-seconds=1: muxd ended the stream after ${Math.round(took)} ms, ${streamed} B; ` +
      `the client read its end after ${Math.round(drained)} ms`,
  );
});

Deno.test("muxd serve ends chargen at max-seconds even for a client that stopped reading", async () => {
  await using muxd = await startMuxd(serveJson("tcp://127.0.0.1:0=chargen?max-seconds=1"));
  using _stalled = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  // The client reads nothing: chargen fills the socket buffers and its write waits.
  await waitUntil(
    () => countEvents(muxd.stderr(), "connection-closed") >= 1,
    10_000,
    "muxd to close the stalled chargen connection at max-seconds=1",
  );
  // muxd's own account, which a busy test process does not lengthen.
  const [closed] = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.ok(closed.durationMs < 1500, `closed after ${Math.round(closed.durationMs)} ms`);
});

Deno.test("muxd serve counts max-conns per listener when two port-0 listeners share one spec text", async () => {
  const spec = "tcp://127.0.0.1:0=echo?max-conns=1";
  await using muxd = await startMuxd(serveJson(spec, spec));
  const [first, second] = [muxd.port(0), muxd.port(1)];
  assert.notEqual(first, second);
  using _one = await admitted(first);
  // Another socket, so another listener with its own max-conns: it has room.
  using _two = await admitted(second);
  assert.equal((await refused(muxd, first)).reason, "listener-full");
});
