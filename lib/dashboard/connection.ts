/**
 * One dashboard connection from its first byte to its close: request heads
 * read under a deadline and a size bound, answered one after the other on
 * a kept connection, or turned into an event stream. Exactly one error
 * boundary: whatever happens, the connection is closed and the server goes
 * on.
 *
 * @module
 */

import type { EventStreams } from "./event_streams.ts";
import type { EventStream } from "./event_stream.ts";
import { beatUntilGone, HEARTBEAT } from "./half_closed.ts";
import { findHeadEnd, parseRequestHead, type RequestHead } from "./http.ts";
import type { Link } from "./link.ts";
import type { FixedResponse } from "./response.ts";

/** What to send for one request. */
export type Answer =
  | {
    readonly kind: "response";
    readonly response: FixedResponse;
    /** Close the connection after it, whatever the client asked. */
    readonly close: boolean;
  }
  | { readonly kind: "events" };

/** The bounds on one connection, in milliseconds and bytes. */
export interface ConnectionLimits {
  /** A request head must be complete this long after the connection opened, or after its first byte on a kept connection. */
  readonly headerTimeoutMs: number;
  /** A kept connection may wait this long for its next request. */
  readonly idleTimeoutMs: number;
  /** A request head may be this long at most; a longer one gets 431. */
  readonly maxHeadBytes: number;
  /** A closing connection waits this long at most for the client to close its side. */
  readonly lingerMs: number;
}

/** What a connection needs from its server. */
export interface ConnectionContext {
  /** The bounds. */
  readonly limits: ConnectionLimits;
  /** Answers a well-formed request head. */
  readonly answer: (head: RequestHead) => Answer;
  /** The response to a head that does not parse (400). */
  readonly badRequest: FixedResponse;
  /** The response to a head longer than `maxHeadBytes` (431). */
  readonly headTooLarge: FixedResponse;
  /** The head of an event-stream response. */
  readonly eventStreamHead: Uint8Array;
  /** The event streams. */
  readonly streams: EventStreams;
  /** A buffer to read bytes into that nobody looks at, shared by every connection. */
  readonly discard: Uint8Array;
  /** Called with an error that is not a lost peer: a bug. */
  readonly unexpected: (error: unknown) => void;
}

/** The first read buffer of a request head; it doubles while the head is longer, up to `maxHeadBytes`. */
const FIRST_READ = 2048;

/** Bytes a client may send on an event stream (it has nothing to say there) before it is closed. */
const MAX_EVENT_STREAM_INPUT = 16 * 1024;

/**
 * Serves one connection until it ends, then closes it. Never rejects.
 *
 * @param link The connection.
 * @param ctx What the server provides.
 * @returns Resolves once the connection is closed.
 */
export async function serveConnection(link: Link, ctx: ConnectionContext): Promise<void> {
  try {
    link.noDelay();
    if (await converse(link, ctx) === "events") await streamEvents(link, ctx);
    await link.lingeringClose(ctx.limits.lingerMs, ctx.discard, ctx.limits.maxHeadBytes);
  } catch (error) {
    ctx.unexpected(error);
  } finally {
    link.close();
  }
}

/** Answers requests until the connection is done, or a request asks for the event stream. */
async function converse(link: Link, ctx: ConnectionContext): Promise<"events" | "done"> {
  let carried: Uint8Array = new Uint8Array(0);
  for (let fresh = true;; fresh = false) {
    const read = await readHead(link, carried, fresh, ctx.limits);
    if (read === null) return "done";
    if (read === "too-large") {
      await link.write(ctx.headTooLarge.bytes({ head: false, close: true }));
      return "done";
    }
    const head = parseRequestHead(read.head);
    carried = read.rest;
    if (head === null) {
      await link.write(ctx.badRequest.bytes({ head: false, close: true }));
      return "done";
    }
    const answer = ctx.answer(head);
    if (answer.kind === "events") {
      if (head.method === "GET") return "events";
      await link.write(ctx.eventStreamHead);
      return "done";
    }
    const close = answer.close || !head.keepAlive;
    const sent = await link.write(answer.response.bytes({ head: head.method === "HEAD", close }));
    if (!sent || close) return "done";
  }
}

/**
 * Reads one request head, with the bytes already read after the last one,
 * under the limits' deadlines (the control API reads its heads with it too).
 *
 * @param link The connection.
 * @param carried Bytes read after the previous head, if any.
 * @param fresh `true` for the connection's first request.
 * @param limits The deadlines and the size bound.
 * @returns The head and the bytes after it; `"too-large"`; or `null` when the
 *   peer went away or the deadline passed (the deadline closes the link).
 */
export async function readHead(
  link: Link,
  carried: Uint8Array,
  fresh: boolean,
  limits: ConnectionLimits,
): Promise<{ head: Uint8Array; rest: Uint8Array } | "too-large" | null> {
  let buffer = new Uint8Array(Math.min(limits.maxHeadBytes, Math.max(FIRST_READ, carried.length)));
  buffer.set(carried.subarray(0, buffer.length));
  let filled = Math.min(carried.length, buffer.length);
  let end = findHeadEnd(buffer, 0, filled);
  // A kept connection may idle until its next request starts; then the head has its deadline.
  const waiting = !fresh && filled === 0;
  let timer = setTimeout(
    () => link.close(),
    waiting ? limits.idleTimeoutMs : limits.headerTimeoutMs,
  );
  try {
    while (end < 0) {
      if (filled === buffer.length) {
        if (filled >= limits.maxHeadBytes) return "too-large";
        const bigger = new Uint8Array(Math.min(limits.maxHeadBytes, filled * 2));
        bigger.set(buffer);
        buffer = bigger;
      }
      // Until the head is complete the connection holds its slot idly: the
      // acceptor may close it to make room for a new one.
      const n = await link.readRequest(buffer.subarray(filled));
      if (n === null) return null;
      if (waiting && filled === 0) {
        clearTimeout(timer);
        timer = setTimeout(() => link.close(), limits.headerTimeoutMs);
      }
      const from = Math.max(0, filled - 2);
      filled += n;
      end = findHeadEnd(buffer, from, filled);
    }
  } finally {
    clearTimeout(timer);
  }
  return { head: buffer.subarray(0, end), rest: buffer.slice(end, filled) };
}

/**
 * Sends the event-stream head, then hands the connection to the event
 * streams, reading and dropping what the client sends meanwhile (it has
 * nothing to say), until the client goes away or sends more than it may,
 * or the streams close the connection. An open stream waits here, in this
 * one function and the read: what a browser costs is mostly its connection.
 * A client that half-closes its side still reads: its stream goes on, with
 * heartbeats that tell when it has gone (see half_closed.ts).
 */
async function streamEvents(link: Link, ctx: ConnectionContext): Promise<void> {
  link.beginStream();
  if (!await link.write(ctx.eventStreamHead)) return;
  const stream = ctx.streams.open(link);
  try {
    for (let dropped = 0; dropped <= MAX_EVENT_STREAM_INPUT;) {
      const n = await link.readSome(ctx.discard);
      if (n === null) return await beatUntilGone(link, () => beat(stream));
      dropped += n;
    }
  } catch (error) {
    if (!link.isGone(error)) throw error;
  } finally {
    stream.close();
  }
}

const HEARTBEAT_PIECE = { bytes: HEARTBEAT, events: 0 } as const;

/**
 * Queues a heartbeat on a stream with nothing else on its way (a write under
 * way tells just as well whether the client has gone).
 *
 * @returns `false` once the stream has ended.
 */
function beat(stream: EventStream): Promise<boolean> {
  if (stream.idle) stream.push(HEARTBEAT_PIECE);
  return Promise.resolve(!stream.ended);
}
