import assert from "node:assert/strict";
import { start } from "../../mod.ts";
import type { ControlContext } from "../../lib/control/connection.ts";
import { MAX_STREAM_WRITE, SseMessages, streamEvents } from "../../lib/control/event_feed.ts";
import { Link } from "../../lib/dashboard/link.ts";
import type { MuxdServer } from "../../lib/server/muxd_server.ts";

/** The server side of a real connection, counting what its event stream writes. */
class CountingLink extends Link {
  /** The length of each write, in order. */
  readonly writes: number[] = [];

  override write(bytes: Uint8Array): Promise<boolean> {
    this.writes.push(bytes.length);
    return super.write(bytes);
  }
}

/** One event stream of `server` over a loopback connection, as the control API runs it. */
async function openStream(server: MuxdServer, eventBuffer: number) {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const link = new CountingLink(await listener.accept());
  const stop = new AbortController();
  const ctx: ControlContext = {
    limits: { headerTimeoutMs: 5000, idleTimeoutMs: 5000, maxHeadBytes: 16384, lingerMs: 1000 },
    maxBodyBytes: 1 << 20,
    bound: { hostname: "127.0.0.1", port: listener.addr.port },
    token: "t".repeat(32),
    route: () => Promise.reject(new Error("an event stream routes no request")),
    server,
    eventBuffer,
    messages: new SseMessages(),
    stopping: stop.signal,
    discard: new Uint8Array(4096),
    unexpected: (error) => {
      throw error;
    },
  };
  const streaming = streamEvents(link, ctx);
  let text = "";
  const buffer = new Uint8Array(65536);
  /** Reads until `count` messages (`\n\n`-ended blocks) after the head's comment have come. */
  const readMessages = async (count: number): Promise<string[]> => {
    for (;;) {
      const blocks = text.split("\n\n").slice(0, -1);
      if (blocks.length >= count + 1) return blocks.slice(1);
      const n = await client.read(buffer);
      assert.notEqual(n, null, `the stream ended after ${blocks.length} blocks`);
      text += new TextDecoder().decode(buffer.subarray(0, n!));
    }
  };
  await readMessages(0);
  assert.ok(text.startsWith("HTTP/1.1 200 OK\r\n"));
  const close = async () => {
    stop.abort();
    await streaming;
    client.close();
  };
  return { link, readMessages, close };
}

/** Adds `count` TCP listeners at once: the server says each is listening, in one burst. */
async function addListeners(server: MuxdServer, count: number): Promise<number[]> {
  const specs = Array.from({ length: count }, () => "tcp://127.0.0.1:0=discard");
  const sockets = await server.add(specs);
  return sockets.map((s) => s.local.port);
}

function listeningPort(message: string): number {
  assert.match(message, /^data: \{"type":"listening",/);
  return JSON.parse(message.slice("data: ".length)).local.port;
}

Deno.test("streamEvents() sends the events a stream holds when it takes one in one write", async () => {
  await using server = await start();
  const stream = await openStream(server, 1024);
  try {
    const ports = await addListeners(server, 100);
    const messages = await stream.readMessages(100);
    assert.deepEqual(messages.map(listeningPort), ports);
    // The head, then the 100 events in one write (one per event would be 100 writes).
    assert.equal(stream.link.writes.length, 2, `writes: ${stream.link.writes}`);
  } finally {
    await stream.close();
  }
});

Deno.test("streamEvents() sends a gap and the events held after it in the same write, as documented", async () => {
  await using server = await start();
  const stream = await openStream(server, 10);
  try {
    const ports = await addListeners(server, 100);
    // The stream takes the first event (unless the burst came before it waited), the
    // subscription holds the last 10, and a gap counts the ones between.
    let messages = await stream.readMessages(11);
    if (!messages[0].startsWith("event: gap\n")) messages = await stream.readMessages(12);
    const gapAt = messages.findIndex((m) => m.startsWith("event: gap\n"));
    assert.ok(gapAt === 0 || gapAt === 1, `gap at ${gapAt}: ${messages.join(" | ")}`);
    const gap = messages[gapAt].match(
      /^event: gap\ndata: \{"type":"gap","time":\d+,"dropped":(\d+)\}$/,
    );
    assert.ok(gap !== null, messages[gapAt]);
    const events = messages.filter((_, i) => i !== gapAt).map(listeningPort);
    assert.equal(events.length + Number(gap[1]), 100);
    assert.deepEqual(events.slice(-10), ports.slice(-10));
    assert.equal(stream.link.writes.length, 2, `writes: ${stream.link.writes}`);
  } finally {
    await stream.close();
  }
});

Deno.test("streamEvents() writes at most MAX_STREAM_WRITE bytes of held events at once, past one message", async () => {
  await using server = await start();
  const stream = await openStream(server, 1024);
  try {
    const ports = await addListeners(server, 500);
    const messages = await stream.readMessages(500);
    assert.deepEqual(messages.map(listeningPort), ports);
    const longest = Math.max(...messages.map((m) => m.length + 2));
    const [, ...writes] = stream.link.writes;
    assert.ok(writes.length >= 2 && writes.length <= 3, `writes: ${writes}`);
    for (const length of writes) assert.ok(length < MAX_STREAM_WRITE + longest, `${length} bytes`);
    assert.ok(writes[0] >= MAX_STREAM_WRITE, `the first write takes ${writes[0]} bytes`);
  } finally {
    await stream.close();
  }
});
