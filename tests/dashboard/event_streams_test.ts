import assert from "node:assert/strict";
import {
  EventStreams,
  type Snapshot,
  type StatsSummary,
  type StreamTarget,
} from "../../lib/dashboard/mod.ts";
import { ev, UDP_ECHO } from "./_events.ts";
import { SseReader } from "../_support/sse.ts";

/**
 * A stream target that behaves like a connection to a browser that reads
 * only when the test reads: each write waits until the reader has taken
 * the bytes before it.
 */
function browser(): {
  target: StreamTarget;
  sse: SseReader;
  writes: Uint8Array[];
  closed: () => boolean;
} {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(
    undefined,
    { highWaterMark: 0 },
    { highWaterMark: 0 },
  );
  const writer = writable.getWriter();
  const writes: Uint8Array[] = [];
  let closed = false;
  const target: StreamTarget = {
    writeSome: async (bytes) => {
      writes.push(bytes);
      await writer.write(bytes);
      return bytes.length;
    },
    close: () => {
      closed = true;
      void writer.close();
    },
    isGone: () => false,
  };
  return { target, sse: new SseReader(readable), writes, closed: () => closed };
}

/** A live table with nothing running. */
const NO_LIVE = { processes: [], relays: [], ended: [], now: 0 };

/** Lets the frame timer (flushMs 0) and everything queued before it run. */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function fanOut(
  options: { queueLimit: number; snapshotMs?: number },
  version = () => 0,
): EventStreams {
  return new EventStreams(
    () => ({
      sockets: [],
      failures: [],
      stats: { since: version() } as unknown as StatsSummary,
      arrivals: [],
      live: NO_LIVE,
    }),
    { snapshotMs: 0, ...options, flushMs: 0 },
  );
}

Deno.test("EventStreams.publish() drops events for a slow stream, counts them, then sends a snapshot", async () => {
  let version = 0;
  const streams = fanOut({ queueLimit: 4 }, () => version);
  const { target, sse, closed } = browser();
  streams.open(target);
  try {
    // The browser reads nothing yet: the first frame waits in the queue, the second does not fit.
    for (let i = 0; i < 3; i++) streams.publish(ev.datagram(UDP_ECHO, i), null);
    await nextFrame();
    for (let i = 3; i < 6; i++) streams.publish(ev.datagram(UDP_ECHO, i), null);
    await nextFrame();
    assert.equal(streams.dropped, 3);
    version = 1;
    const first = await sse.next();
    assert.equal(first?.event, "snapshot");
    assert.equal((JSON.parse(first.data) as Snapshot).dropped, 0);
    const delivered = [];
    for (let i = 0; i < 3; i++) delivered.push(JSON.parse((await sse.next())!.data).bytesIn);
    assert.deepEqual(delivered, [0, 1, 2], "the first events, in order");
    // Once the browser has caught up it gets the state as it is now.
    const caughtUp = await sse.next();
    assert.equal(caughtUp?.event, "snapshot");
    const snapshot = JSON.parse(caughtUp.data) as Snapshot;
    assert.deepEqual([snapshot.dropped, snapshot.stats.since], [3, 1]);
    // Caught up: events flow again.
    streams.publish(ev.datagram(UDP_ECHO, 42), null);
    assert.equal(JSON.parse((await sse.next())!.data).bytesIn, 42);
  } finally {
    streams.close();
  }
  assert.equal(await sse.next(), null, "close() ends the stream and closes its target");
  assert.ok(closed());
  assert.equal(streams.clients, 0);
});

Deno.test("EventStreams.publish() serializes each event once: every stream is sent the same bytes", async () => {
  const streams = fanOut({ queueLimit: 16 });
  const browsers = [browser(), browser(), browser()];
  for (const b of browsers) streams.open(b.target);
  try {
    for (const b of browsers) assert.equal((await b.sse.next())?.event, "snapshot");
    streams.publish(ev.datagram(UDP_ECHO, 1), null);
    streams.publish(ev.datagram(UDP_ECHO, 2), null);
    for (const b of browsers) {
      assert.equal(JSON.parse((await b.sse.next())!.data).bytesIn, 1);
      assert.equal(JSON.parse((await b.sse.next())!.data).bytesIn, 2);
    }
    const frames = browsers.map((b) => b.writes.at(-1));
    assert.ok(frames[0] !== undefined);
    assert.ok(frames.every((f) => f === frames[0]), "one frame object for every stream");
  } finally {
    streams.close();
    await Promise.all(browsers.map((b) => b.sse.cancel()));
  }
});

Deno.test("EventStreams.publish() serializes at most queueLimit events per frame and sends a snapshot after them for the rest", async () => {
  let version = 0;
  const streams = fanOut({ queueLimit: 4 }, () => version);
  const { target, sse } = browser();
  streams.open(target);
  try {
    assert.equal((await sse.next())?.event, "snapshot");
    for (let i = 0; i < 10; i++) streams.publish(ev.datagram(UDP_ECHO, i), null);
    version = 10; // the state after all ten
    await nextFrame();
    assert.equal(streams.dropped, 6);
    const delivered = [];
    for (let i = 0; i < 4; i++) delivered.push(JSON.parse((await sse.next())!.data).bytesIn);
    assert.deepEqual(delivered, [0, 1, 2, 3]);
    // The state after every event comes last: nothing older follows it.
    const snapshot = await sse.next();
    assert.equal(snapshot?.event, "snapshot");
    const state = JSON.parse(snapshot.data) as Snapshot;
    assert.deepEqual([state.dropped, state.stats.since], [6, 10]);
  } finally {
    streams.close();
    await sse.cancel();
  }
});

Deno.test("EventStreams serializes the state for a lagging stream at most every snapshotMs, however often events overflow", async () => {
  let version = 0;
  let builds = 0;
  const streams = fanOut({ queueLimit: 4, snapshotMs: 200 }, () => (builds++, version));
  const { target, sse } = browser();
  streams.open(target);
  let snapshots = 0;
  let last: Snapshot | null = null;
  // Each event's bytesIn is its number: none may come after a snapshot that holds it.
  const older: number[] = [];
  const reading = (async () => {
    for (let m = await sse.next(); m !== null; m = await sse.next()) {
      if (m.event === "snapshot") {
        snapshots++;
        last = JSON.parse(m.data) as Snapshot;
      } else if (m.event === "message" && last !== null) {
        const n = (JSON.parse(m.data) as { bytesIn: number }).bytesIn;
        if (n < last.stats.since) older.push(n);
      }
    }
  })();
  try {
    // Ten events a frame against a limit of four: every frame overflows.
    let frames = 0;
    for (const started = performance.now(); performance.now() - started < 1000; frames++) {
      for (let i = 0; i < 10; i++) streams.publish(ev.datagram(UDP_ECHO, version++), null);
      await nextFrame();
    }
    assert.ok(frames >= 20, `only ${frames} frames in 1 s`);
    // One at open, then one per 200 ms at most (a frame each, before).
    assert.ok(builds <= 7, `${builds} snapshots serialized in ${frames} frames`);
    // The flood over, the stream that lagged gets the state after all of it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(snapshots, builds);
    assert.deepEqual(older, [], "events older than the snapshot before them");
    const state = last as Snapshot | null;
    assert.equal(state?.stats.since, version);
    assert.ok(state.dropped > 0);
  } finally {
    streams.close();
    await reading;
  }
});

Deno.test("EventStreams.open() ends the stream and closes its target when the peer has gone", async () => {
  const errors: unknown[] = [];
  const streams = new EventStreams(
    () => ({ sockets: [], failures: [], stats: {} as StatsSummary, arrivals: [], live: NO_LIVE }),
    { flushMs: 0 },
    (error) => errors.push(error),
  );
  let closed!: () => void;
  const targetClosed = new Promise<void>((resolve) => closed = resolve);
  const stream = streams.open({
    writeSome: () => Promise.reject(new Deno.errors.BrokenPipe("gone")),
    close: closed,
    isGone: (error) => error instanceof Deno.errors.BrokenPipe,
  });
  await targetClosed;
  assert.ok(stream.ended);
  assert.equal(streams.clients, 0);
  assert.deepEqual(errors, [], "a lost peer is not an error");
  streams.close();
});

Deno.test("EventStreams.open() reports a write that throws, ends the stream and closes its target", async () => {
  const errors: unknown[] = [];
  const streams = new EventStreams(
    () => ({ sockets: [], failures: [], stats: {} as StatsSummary, arrivals: [], live: NO_LIVE }),
    { flushMs: 0 },
    (error) => errors.push(error),
  );
  let closed!: () => void;
  const targetClosed = new Promise<void>((resolve) => closed = resolve);
  streams.open({
    writeSome: () => Promise.reject(new TypeError("a bug")),
    close: closed,
    isGone: () => false,
  });
  await targetClosed;
  assert.equal(streams.clients, 0);
  assert.ok(errors[0] instanceof TypeError);
  streams.close();
});

Deno.test("EventStreams.open() after close() gives a stream that has already ended", () => {
  const streams = fanOut({ queueLimit: 4 });
  streams.close();
  const writes: Uint8Array[] = [];
  let closed = false;
  const stream = streams.open({
    writeSome: (bytes) => Promise.resolve(writes.push(bytes) && bytes.length),
    close: () => closed = true,
    isGone: () => false,
  });
  assert.ok(stream.ended);
  assert.ok(closed);
  assert.equal(streams.clients, 0);
  assert.equal(writes.length, 0);
});

Deno.test("EventStreams.open() while a frame gathers sends the new stream no event older than its snapshot", async () => {
  let version = 0;
  const streams = fanOut({ queueLimit: 16 }, () => version);
  const early = browser();
  streams.open(early.target);
  const late = browser();
  try {
    assert.equal((await early.sse.next())?.event, "snapshot");
    // Three events wait for the frame when the second browser opens: its
    // snapshot holds them already.
    for (let i = 0; i < 3; i++) streams.publish(ev.datagram(UDP_ECHO, version++), null);
    streams.open(late.target);
    streams.publish(ev.datagram(UDP_ECHO, version++), null);
    await nextFrame();
    streams.publish(ev.datagram(UDP_ECHO, version++), null);
    const first = await late.sse.next();
    assert.equal(first?.event, "snapshot");
    assert.equal((JSON.parse(first.data) as Snapshot).stats.since, 3);
    const after = [];
    for (let i = 0; i < 2; i++) after.push(JSON.parse((await late.sse.next())!.data).bytesIn);
    assert.deepEqual(after, [3, 4], "the events after its snapshot, none before");
    const all = [];
    for (let i = 0; i < 5; i++) all.push(JSON.parse((await early.sse.next())!.data).bytesIn);
    assert.deepEqual(all, [0, 1, 2, 3, 4], "the stream open before gets every event");
  } finally {
    streams.close();
    await Promise.all([early.sse.cancel(), late.sse.cancel()]);
  }
});

Deno.test("EventStreams.open() while a full frame overflows gives the new stream its snapshot alone, nothing dropped", async () => {
  let version = 0;
  const streams = fanOut({ queueLimit: 2 }, () => version);
  const early = browser();
  streams.open(early.target);
  const late = browser();
  try {
    assert.equal((await early.sse.next())?.event, "snapshot");
    for (let i = 0; i < 3; i++) streams.publish(ev.datagram(UDP_ECHO, version++), null);
    const stream = streams.open(late.target);
    await nextFrame();
    streams.publish(ev.datagram(UDP_ECHO, version++), null);
    const first = await late.sse.next();
    assert.equal((JSON.parse(first!.data) as Snapshot).stats.since, 3);
    assert.equal(JSON.parse((await late.sse.next())!.data).bytesIn, 3);
    assert.equal(stream.dropped, 0, "it missed nothing its snapshot did not hold");
    // The stream open before got the frame, then the state after the overflow.
    const seen = [];
    for (let i = 0; i < 4; i++) {
      const m = (await early.sse.next())!;
      seen.push(m.event === "snapshot" ? "snapshot" : JSON.parse(m.data).bytesIn);
    }
    assert.deepEqual(seen, [0, 1, "snapshot", 3]);
  } finally {
    streams.close();
    await Promise.all([early.sse.cancel(), late.sse.cancel()]);
  }
});
