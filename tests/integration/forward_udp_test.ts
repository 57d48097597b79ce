/**
 * `forward` over UDP, end to end: muxd as users run it, Deno datagram
 * sockets and real netcat as clients, a Deno UDP echo as the upstream.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runMuxd, serveJson, startMuxd, startMuxdOnFreePort } from "../_support/process.ts";
import { freePort } from "../_support/socket.ts";
import { eventsOf, logEvents } from "../_support/log.ts";
import type { ServerEvent } from "../../lib/events/mod.ts";
import { nc } from "../_support/netcat.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";

/** A UDP echo on loopback, port 0: each datagram back to its sender, as it came. */
function udpEcho() {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const senders: string[] = [];
  const serving = (async () => {
    try {
      for (;;) {
        const [data, from] = await socket.receive();
        senders.push(`${(from as Deno.NetAddr).port}`);
        await socket.send(data, from);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        throw error;
      }
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    senders,
    async [Symbol.asyncDispose]() {
      socket.close();
      await serving;
    },
  };
}

/** A client socket on loopback, port 0 (an ephemeral port, as a real client's), closed by `using`. */
function client(): Deno.DatagramConn & Disposable {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  return Object.assign(socket, { [Symbol.dispose]: () => socket.close() });
}

/** Sends one datagram to muxd and waits for one back. */
async function roundTrip(socket: Deno.DatagramConn, port: number, bytes: Uint8Array) {
  await socket.send(bytes, { transport: "udp", hostname: "127.0.0.1", port });
  const [reply] = await withTimeout(socket.receive(), 5000, `the reply to ${bytes.length} B`);
  return reply;
}

/** A datagram of `size` bytes that differs for each client and each send. */
function datagram(size: number, client: number, n: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + client * 7 + n * 13) & 0xff;
  if (size > 0) bytes[0] = client;
  return bytes;
}

const SIZES = [1, 100, 1472, 8000, 65_507];

Deno.test("forward relays datagrams of four clients at once, each back to its sender, one for one", async () => {
  await using up = udpEcho();
  await using muxd = await startMuxd(
    serveJson(`udp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}`),
  );
  const port = muxd.port(0);
  const clients = [client(), client(), client(), client()];
  try {
    // The largest datagrams go one client at a time: a socket's receive
    // buffer (about 208 KiB by default) holds only three of them, so four at
    // once may lose one on the way in, as UDP may, whatever the relay does.
    let largest: Promise<unknown> = Promise.resolve();
    await Promise.all(clients.map(async (socket, c) => {
      for (const [n, size] of SIZES.entries()) {
        const sent = datagram(size, c, n);
        const trip = () => roundTrip(socket, port, sent);
        let reply: Uint8Array;
        if (size < 65_507) {
          reply = await trip();
        } else {
          const mine = largest.then(trip);
          largest = mine.catch(() => {});
          reply = await mine;
        }
        assert.deepEqual(reply, sent, `client ${c}, ${size} B`);
      }
    }));
    // Real netcat, one datagram.
    const { text } = await nc(["-u", "-w1", "127.0.0.1", `${port}`], "hello, upstream\n");
    assert.equal(text, "hello, upstream\n");
  } finally {
    for (const socket of clients) socket.close();
  }
  const { stderr } = await muxd.stop();
  const events = logEvents(stderr);
  // One session, and one upstream socket, per client.
  const connected = eventsOf(events, "upstream-connected");
  assert.equal(connected.length, 5);
  assert.equal(new Set(connected.map((e) => e.from.port)).size, 5);
  assert.equal(new Set(up.senders).size, 5);
  // Each client's session counts its own datagrams, and ends at shutdown.
  const closed = eventsOf(events, "session-closed");
  assert.equal(closed.length, 5);
  for (const e of closed.filter((e) => e.datagramsIn === SIZES.length)) {
    assert.equal(e.datagramsOut, SIZES.length);
    assert.equal(e.bytesIn, SIZES.reduce((a, b) => a + b));
    assert.equal(e.reason, "shutdown");
  }
  assert.equal(closed.filter((e) => e.datagramsIn === SIZES.length).length, 4);
  // The 21st reply, netcat's, was logged as a reply of its own session.
  assert.equal(closed.reduce((n, e) => n + e.datagramsOut, 0), 4 * SIZES.length + 1);
});

Deno.test("forward ends a UDP session after session-idle and opens a new one for the next datagram", async () => {
  await using up = udpEcho();
  await using muxd = await startMuxd(
    serveJson(`udp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}&session-idle=0.3`),
  );
  using socket = client();
  assert.deepEqual(await roundTrip(socket, muxd.port(0), datagram(10, 1, 1)), datagram(10, 1, 1));
  await muxd.waitForStderr(`"type":"session-closed"`);
  const [ended] = eventsOf(logEvents(muxd.stderr()), "session-closed");
  assert.equal(ended.reason, "idle");
  assert.ok(ended.durationMs >= 300, `ended after ${ended.durationMs} ms`);
  assert.deepEqual(await roundTrip(socket, muxd.port(0), datagram(10, 1, 2)), datagram(10, 1, 2));
  // The log is written in batches: the second session's line may come a moment later.
  const connected = () => eventsOf(logEvents(muxd.stderr()), "upstream-connected");
  await waitUntil(() => connected().length === 2, 5000, "the second session");
  const [first, second] = connected();
  assert.notEqual(first.from.port, second.from.port);
});

Deno.test("forward keeps a UDP session whose client sends more often than session-idle, and ends it at most a quarter late after the last", async () => {
  await using up = udpEcho();
  await using muxd = await startMuxd(
    serveJson(`udp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}&session-idle=0.3`),
  );
  using socket = client();
  // A datagram every 100 ms for 1.2 s: four times session-idle, never idle for it.
  for (let n = 1; n <= 12; n++) {
    assert.deepEqual(await roundTrip(socket, muxd.port(0), datagram(8, 1, n)), datagram(8, 1, n));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await muxd.waitForStderr(`"type":"session-closed"`);
  const events = logEvents(muxd.stderr());
  assert.equal(eventsOf(events, "upstream-connected").length, 1);
  const [ended] = eventsOf(events, "session-closed");
  assert.equal(ended.reason, "idle");
  assert.equal(ended.datagramsIn, 12);
  // The sweeps come every 75 ms: idle from the last datagram (about 100 ms
  // before the loop ended) for 300 to 375 ms, with room for a late timer.
  assert.ok(ended.durationMs >= 1100 + 300, `ended after ${ended.durationMs} ms`);
  assert.ok(ended.durationMs < 1300 + 375 + 150, `ended after ${ended.durationMs} ms`);
});

Deno.test("forward at max-sessions closes the least recently active session for a new client, and says so", async () => {
  await using up = udpEcho();
  await using muxd = await startMuxd(
    serveJson(`udp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}&max-sessions=2`),
  );
  const port = muxd.port(0);
  using a = client();
  using b = client();
  using c = client();
  assert.deepEqual(await roundTrip(a, port, datagram(5, 1, 1)), datagram(5, 1, 1));
  assert.deepEqual(await roundTrip(b, port, datagram(5, 2, 1)), datagram(5, 2, 1));
  // a is active again: b is now the least recently active.
  assert.deepEqual(await roundTrip(a, port, datagram(5, 1, 2)), datagram(5, 1, 2));
  assert.deepEqual(await roundTrip(c, port, datagram(5, 3, 1)), datagram(5, 3, 1));
  await muxd.waitForStderr(`"type":"session-closed"`);
  const [closed] = eventsOf(logEvents(muxd.stderr()), "session-closed");
  assert.equal(closed.remote.port, (b.addr as Deno.NetAddr).port);
  assert.equal(closed.reason, "evicted");
  assert.deepEqual([closed.datagramsIn, closed.datagramsOut], [1, 1]);
  assert.deepEqual(eventsOf(logEvents(muxd.stderr()), "session-refused"), []);
  // a's session went on; b gets a new one when it sends again.
  assert.deepEqual(await roundTrip(a, port, datagram(5, 1, 3)), datagram(5, 1, 3));
  assert.deepEqual(await roundTrip(b, port, datagram(5, 2, 2)), datagram(5, 2, 2));
  // b's second session is a new one.
  const bPort = (b.addr as Deno.NetAddr).port;
  await waitUntil(
    () =>
      eventsOf(logEvents(muxd.stderr()), "upstream-connected")
        .filter((e) => e.remote.port === bPort).length === 2,
    5000,
    "b's second session",
  );
});

Deno.test("forward answers 300 short-lived UDP clients from 127.0.0.1 in a row with default options", async () => {
  // As a test suite does: each client on a port of its own, gone after its
  // answer, far more of them than max-sessions' 256 within session-idle.
  await using up = udpEcho();
  await using muxd = await startMuxd(
    serveJson(`udp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}`),
  );
  const port = muxd.port(0);
  for (let i = 0; i < 300; i++) {
    using one = client();
    const sent = datagram(7, i, 1);
    assert.deepEqual(await roundTrip(one, port, sent), sent, `client ${i + 1}`);
  }
});

/**
 * Serves a UDP relay to itself through a host name (the plan cannot see
 * where it leads), sends it one datagram from 127.0.0.1, and returns the
 * events once the ring's drop is logged and a ring that went on would
 * have shown (every hop opens a session and says so).
 */
async function sendRound(args: (port: number) => string[]): Promise<ServerEvent[]> {
  const { muxd, port } = await startMuxdOnFreePort(args);
  await using _ = muxd;
  using socket = client();
  await socket.send(new TextEncoder().encode("round"), {
    transport: "udp",
    hostname: "127.0.0.1",
    port,
  });
  await muxd.waitForStderr(`"reason":"loop"`);
  await new Promise((r) => setTimeout(r, 300));
  return logEvents((await muxd.stop()).stderr);
}

Deno.test("forward to itself through a host name sends a datagram round once, then drops it as a ring's", async () => {
  const events = await sendRound((p) =>
    serveJson(`udp://127.0.0.1:${p}=forward?to=localhost:${p}`)
  );
  assert.equal(eventsOf(events, "upstream-connected").length, 1);
  const rings = eventsOf(events, "reply-suppressed");
  assert.deepEqual(rings.map((e) => e.reason), ["loop"]);
  assert.match(rings[0].detail, /a ring of muxd's relays/);
});

Deno.test("forward to itself through a host name, on a dual-stack [::] socket, is dropped as a ring's too", async () => {
  // The socket sees the relay's own IPv4 session socket as ::ffff:127.0.0.1.
  const events = await sendRound((p) => [
    ...serveJson(`udp://[::]:${p}=forward?to=localhost:${p}&wildcard=kernel`),
    "--public",
  ]);
  assert.equal(eventsOf(events, "upstream-connected").length, 1);
  assert.deepEqual(eventsOf(events, "reply-suppressed").map((e) => e.reason), ["loop"]);
});

Deno.test("serve refuses a UDP forward to its own socket name, in one line, before binding", async () => {
  const port = freePort();
  const spec = `udp://127.0.0.1:${port}=forward?to=127.0.0.1:${port}`;
  const { code, stderr } = await runMuxd(["serve", "-l", spec]);
  assert.equal(code, 2);
  assert.equal(
    stderr.trim(),
    `muxd: Cannot use listen spec "${spec}" (argument 2 after serve): its upstream 127.0.0.1:${port} ` +
      "is this listener itself: each datagram would go round without end. Forward to another server",
  );
});
