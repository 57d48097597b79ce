/**
 * `GET /v1/events`: the server's events as Server-Sent Events, one
 * `data:` line of JSON per event, the same events the log writes. Each
 * stream is one subscription of the library's, bounded the same way: a
 * reader slower than the events loses the oldest and gets an `event: gap`
 * message counting them.
 *
 * @module
 */

import { beatUntilGone, HEARTBEAT } from "../dashboard/half_closed.ts";
import type { Link } from "../dashboard/link.ts";
import type { SubscribedEvent } from "../events/subscription.ts";
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
    for await (const item of events) {
      if (!await send(encoder.encode(sseMessage(item)))) break;
    }
  } finally {
    ctx.stopping.removeEventListener("abort", stop);
    stop();
    link.close();
    await watch;
  }
}
