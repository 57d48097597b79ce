/**
 * `GET /v1/events`: the server's events as Server-Sent Events, one
 * `data:` line of JSON per event, the same events the log writes. Each
 * stream is one subscription of the library's, bounded the same way: a
 * reader slower than the events loses the oldest and gets an `event: gap`
 * message counting them. Each event is encoded once for every stream, and
 * a stream that fell behind sends the events it holds in one write.
 *
 * @module
 */

import { beatUntilGone, HEARTBEAT } from "../dashboard/half_closed.ts";
import type { Link } from "../dashboard/link.ts";
import type { ServerEvent } from "../events/event.ts";
import type { EventSubscription, SubscribedEvent } from "../events/subscription.ts";
import type { ControlContext } from "./connection.ts";

const encoder = new TextEncoder();

const HEAD = encoder.encode(
  "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n" +
    "cache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n" +
    // A first comment, so that a client sees the stream open before any event.
    ": muxd events\n\n",
);

/** Bytes a client may send on an event stream (it has nothing to say) before it is closed. */
const MAX_INPUT = 16 * 1024;

/**
 * One SSE message per item: `data: {json}` for an event, `event: gap` for
 * events a slow reader lost.
 *
 * @param item What the subscription yielded.
 * @returns The message's text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sseMessage } from "./event_feed.ts";
 * assert.equal(sseMessage({ type: "gap", time: 0, dropped: 3 }), 'event: gap\ndata: {"type":"gap","time":0,"dropped":3}\n\n');
 * ```
 */
export function sseMessage(item: SubscribedEvent): string {
  const data = `data: ${JSON.stringify(item)}\n\n`;
  return item.type === "gap" ? `event: gap\n${data}` : data;
}

/**
 * Bytes a stream gathers into one write, at most: the events it holds when
 * it takes one go out together, up to this (a single message may exceed it).
 */
export const MAX_STREAM_WRITE = 64 * 1024;

/**
 * Each event's SSE message as bytes, encoded once for all the streams of
 * one control API: every stream takes the same event objects from the
 * server, so the first stream to send one encodes it, and the others write
 * the same bytes. An entry lives as long as its event does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SseMessages } from "./event_feed.ts";
 *
 * const messages = new SseMessages();
 * const event = { type: "listening", time: 0, transport: "tcp", listener: "tcp://127.0.0.1:7=echo", service: "echo", local: { address: "127.0.0.1", port: 7 } } as const;
 * assert.equal(messages.bytes(event), messages.bytes(event));
 * assert.equal(new TextDecoder().decode(messages.bytes({ type: "gap", time: 0, dropped: 3 })), 'event: gap\ndata: {"type":"gap","time":0,"dropped":3}\n\n');
 * ```
 */
export class SseMessages {
  #encoded = new WeakMap<ServerEvent, Uint8Array>();

  /**
   * The item's message, as {@linkcode sseMessage} writes it, in UTF-8.
   *
   * @param item What a subscription yielded; a gap is one stream's own, and is not kept.
   * @returns The bytes, shared: not to be changed.
   */
  bytes(item: SubscribedEvent): Uint8Array {
    if (item.type === "gap") return encoder.encode(sseMessage(item));
    let bytes = this.#encoded.get(item);
    if (bytes === undefined) {
      bytes = encoder.encode(sseMessage(item));
      this.#encoded.set(item, bytes);
    }
    return bytes;
  }
}

/**
 * The item's message and those of the items held after it, as one piece of
 * at most {@linkcode MAX_STREAM_WRITE} bytes (or the first message alone).
 */
function gather(
  first: SubscribedEvent,
  events: EventSubscription,
  messages: SseMessages,
): Uint8Array {
  const pieces = [messages.bytes(first)];
  let length = pieces[0].length;
  while (length < MAX_STREAM_WRITE) {
    const item = events.nextHeld();
    if (item === undefined) break;
    const bytes = messages.bytes(item);
    pieces.push(bytes);
    length += bytes.length;
  }
  if (pieces.length === 1) return pieces[0];
  const joined = new Uint8Array(length);
  let at = 0;
  for (const bytes of pieces) {
    joined.set(bytes, at);
    at += bytes.length;
  }
  return joined;
}

/**
 * Streams events to the connection until the client goes away, sends more
 * than it may, or the control API closes. The subscription starts before
 * the head goes out: an event that happens after the client has read the
 * head is in the stream. A client that half-closes its side still reads:
 * its stream goes on, with heartbeats that tell when it has gone (see
 * half_closed.ts).
 *
 * @param link The connection.
 * @param ctx The server's context.
 */
export async function streamEvents(link: Link, ctx: ControlContext): Promise<void> {
  link.beginStream();
  const events = ctx.server.subscribe({ buffer: ctx.eventBuffer });
  const stop = () => void events.return();
  ctx.stopping.addEventListener("abort", stop);
  // One write at a time, the events' and the heartbeats'; once one fails, all do.
  let writes: Promise<boolean> = Promise.resolve(true);
  const send = (bytes: Uint8Array) => writes = writes.then((ok) => ok && link.write(bytes));
  // The client has nothing to say: reading tells when it goes away, or
  // half-closes its side, after which heartbeats tell.
  const watch = (async () => {
    try {
      for (let dropped = 0; dropped <= MAX_INPUT;) {
        const n = await link.readSome(ctx.discard);
        if (n === null) return await beatUntilGone(link, () => send(HEARTBEAT));
        dropped += n;
      }
    } catch (error) {
      if (!link.isGone(error)) throw error;
    } finally {
      stop();
    }
  })();
  try {
    if (ctx.stopping.aborted || !await send(HEAD)) return;
    // A stream that fell behind writes what it holds in one write, not one
    // per event: it catches up instead of staying behind.
    for await (const item of events) {
      if (!await send(gather(item, events, ctx.messages))) break;
    }
  } finally {
    ctx.stopping.removeEventListener("abort", stop);
    stop();
    link.close();
    await watch;
  }
}
