/**
 * The Server-Sent Events fan-out: one stream per browser, fed from the event
 * stream. Each event is serialized once; the events of a short interval go
 * out as one frame of bytes that every stream shares, so a stream costs a
 * queue of references, not copies. A slow browser never holds muxd up: each
 * stream holds a bounded number of events, drops the rest (and counts them),
 * and gets a fresh snapshot once it has caught up.
 *
 * @module
 */

import type { ServerEvent } from "../events/event.ts";
import { EventStream, type Piece, type StreamFeed, type StreamTarget } from "./event_stream.ts";
import type { BindFailure, SocketRow, StatsSummary } from "./stats.ts";
import type { Arrival } from "./recent_arrivals.ts";
import type { LiveChange, LiveState, TrafficUpdate } from "./live_table.ts";

/** The whole state a page needs to draw itself from scratch. */
export interface Snapshot {
  /** Every row of the socket table. */
  readonly sockets: readonly SocketRow[];
  /** Every bind failure, with its explanation. */
  readonly failures: readonly BindFailure[];
  /** The totals. */
  readonly stats: StatsSummary;
  /**
   * The latest arrivals (at most 100), oldest first, so that a page opened
   * after the traffic lists them at once.
   */
  readonly arrivals: readonly Arrival[];
  /** The programs and relays running now, and the latest that ended. */
  readonly live: LiveState;
  /** Events this stream dropped so far because the browser read too slowly. */
  readonly dropped: number;
}

/** Options for {@linkcode EventStreams}. */
export interface EventStreamsOptions {
  /**
   * Events one stream may hold while its browser is slow; more are dropped.
   * It also bounds the events of one frame: past it, the events of the
   * interval are not serialized at all, and every stream gets a snapshot.
   * @default 256
   */
  readonly queueLimit?: number;
  /** How long a browser waits before it reconnects, in milliseconds. @default 1000 */
  readonly retryMs?: number;
  /**
   * How long events gather into one frame before it is sent, in
   * milliseconds: a stream gets at most one write per interval, however
   * many events there are.
   * @default 100
   */
  readonly flushMs?: number;
  /**
   * How often at most the whole state is serialized again for streams that
   * fell behind, in milliseconds: while events overflow every frame, a
   * stream that lags drops them and waits for the next snapshot rather
   * than cost one each frame (with thousands of sockets or relays, a
   * snapshot is megabytes of JSON). A new stream gets one at once.
   * @default 1000
   */
  readonly snapshotMs?: number;
}

const encoder = new TextEncoder();

/**
 * Fans events out to any number of Server-Sent Events streams.
 *
 * Each stream starts with `retry:` and an `event: snapshot` message (JSON
 * {@linkcode Snapshot}); then every server event follows as an unnamed
 * message whose data is the event's JSON, each followed by an
 * `event: socket` message with the table row it changed, if any, and an
 * `event: live` message ({@linkcode LiveChange}) when it started or ended a
 * program or relay. `event: traffic` messages carry the live byte counts of
 * open relays ({@linkcode TrafficUpdate} list), read now and then. When a
 * stream ends from this side (close, a lost peer, a write that throws), its
 * target is closed.
 *
 * @example
 * ```ts
 * import { DashboardStats } from "./stats.ts";
 * import { EventStreams } from "./event_streams.ts";
 * import assert from "node:assert/strict";
 *
 * const stats = new DashboardStats();
 * const streams = new EventStreams(() => ({
 *   sockets: stats.sockets(), failures: stats.failures(), stats: stats.summary(),
 *   arrivals: stats.arrivals(), live: { processes: [], relays: [], ended: [], now: 0 },
 * }));
 * let text = "";
 * const snapshot = Promise.withResolvers<void>();
 * streams.open({
 *   writeSome: (bytes) => {
 *     text += new TextDecoder().decode(bytes);
 *     if (text.includes("event: snapshot")) snapshot.resolve();
 *     return Promise.resolve(bytes.length);
 *   },
 *   close: () => {},
 *   isGone: () => false,
 * });
 * await snapshot.promise;
 * streams.close();
 * assert.match(text, /^retry: 1000\n\nevent: snapshot\ndata: \{"sockets":\[\]/);
 * ```
 */
export class EventStreams {
  #streams = new Set<EventStream>();
  #snapshot: () => Omit<Snapshot, "dropped">;
  #queueLimit: number;
  #flushMs: number;
  #snapshotMs: number;
  /** When the last snapshot was serialized (`performance.now()`). */
  #snapshotAt = -Infinity;
  /** Lagging streams that wait for the next snapshot, and the timer that sends it. */
  #waiting = new Set<EventStream>();
  #resyncTimer: ReturnType<typeof setTimeout> | null = null;
  #retry: Piece;
  #dropped = 0;
  #closed = false;
  /** The events published since the last frame, as SSE text. */
  #batch: string[] = [];
  /** Events published since the last frame that were not serialized: the frame was full. */
  #overflow = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The shared part of a snapshot message, until the next event changes the state. */
  #snapshotHead: Uint8Array | null = null;
  /**
   * Streams opened while a frame gathered, and how much of it was there
   * then: their snapshot holds those events, so the frame sends them only
   * the events that came after.
   */
  #joined = new Map<EventStream, { readonly events: number; readonly overflow: number }>();
  #feed: StreamFeed;

  /**
   * Creates a fan-out with no streams.
   *
   * @param snapshot Returns the current state, for new and lagging streams.
   * @param options Buffer size, reconnection delay and frame interval.
   * @param onError Called with an error a target's write threw (not a lost
   *   peer: a bug); the stream ends. By default it is printed to stderr.
   */
  constructor(
    snapshot: () => Omit<Snapshot, "dropped">,
    options: EventStreamsOptions = {},
    onError: (error: unknown) => void = (error) => console.error(error),
  ) {
    this.#snapshot = snapshot;
    this.#queueLimit = options.queueLimit ?? 256;
    this.#flushMs = options.flushMs ?? 100;
    this.#snapshotMs = options.snapshotMs ?? 1000;
    this.#retry = { bytes: encoder.encode(`retry: ${options.retryMs ?? 1000}\n\n`), events: 0 };
    this.#feed = {
      snapshotHead: () => this.#sharedSnapshot(),
      mayResync: (stream) => this.#mayResync(stream),
      ended: (stream) => {
        this.#streams.delete(stream);
        this.#waiting.delete(stream);
        this.#joined.delete(stream);
      },
      failed: onError,
    };
  }

  /** How many streams are open. */
  get clients(): number {
    return this.#streams.size;
  }

  /** Events dropped so far, over every stream. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Opens a stream for one browser: `retry:` and a snapshot now, the events
   * as they come.
   *
   * @param target Where its bytes go.
   * @returns The stream; close it when its connection goes away.
   */
  open(target: StreamTarget): EventStream {
    const stream = new EventStream(target, this.#feed);
    if (this.#closed) {
      stream.end();
      return stream;
    }
    this.#streams.add(stream);
    if (this.#batch.length > 0 || this.#overflow > 0) {
      this.#joined.set(stream, { events: this.#batch.length, overflow: this.#overflow });
    }
    stream.push(this.#retry);
    stream.pushSnapshot();
    return stream;
  }

  /**
   * Sends one event to every stream, within the frame interval. Never
   * blocks: a stream whose queue is full drops the frame and gets a
   * snapshot once its browser catches up; the events of an interval past
   * the frame's limit are dropped, and a snapshot follows the frame.
   *
   * @param event The event.
   * @param row The table row the event changed, or `null`.
   * @param live What it changed in the live table, if anything.
   */
  publish(event: ServerEvent, row: SocketRow | null, live: LiveChange | null = null): void {
    this.#snapshotHead = null;
    if (this.#streams.size === 0) return;
    if (this.#batch.length >= this.#queueLimit) {
      this.#overflow++;
    } else {
      let text = `data: ${JSON.stringify(event)}\n\n`;
      if (row) text += `event: socket\ndata: ${JSON.stringify(row)}\n\n`;
      if (live) text += `event: live\ndata: ${JSON.stringify(live)}\n\n`;
      this.#batch.push(text);
    }
    this.#timer ??= setTimeout(() => this.#flush(), this.#flushMs);
  }

  /**
   * Sends the live byte counts of open relays to every stream, within the
   * frame interval, as one `event: traffic` message (counted as one event).
   *
   * @param updates The relays whose counts changed; nothing is sent for none.
   */
  publishTraffic(updates: readonly TrafficUpdate[]): void {
    if (updates.length === 0) return;
    this.#snapshotHead = null;
    if (this.#streams.size === 0) return;
    if (this.#batch.length >= this.#queueLimit) {
      this.#overflow++;
    } else {
      this.#batch.push(`event: traffic\ndata: ${JSON.stringify(updates)}\n\n`);
    }
    this.#timer ??= setTimeout(() => this.#flush(), this.#flushMs);
  }

  /** Ends every stream and closes its target, so that browsers disconnect and the server can stop. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#resyncTimer !== null) clearTimeout(this.#resyncTimer);
    this.#resyncTimer = null;
    for (const stream of [...this.#streams]) stream.end();
  }

  /** Sends the events gathered since the last frame, as one frame shared by every stream. */
  #flush(): void {
    this.#timer = null;
    const batch = this.#batch;
    const overflowed = this.#overflow;
    const shared: Piece = { bytes: encoder.encode(batch.join("")), events: batch.length };
    const joined = this.#joined;
    this.#batch = [];
    this.#overflow = 0;
    if (joined.size > 0) this.#joined = new Map();
    // A snapshot is the state after every event recorded so far, this
    // frame's and the overflow's: no event may follow it that is older, or
    // its table row would take the page's table back.
    for (const stream of this.#streams) {
      // A stream opened during the frame has the events before that in its snapshot.
      const at = joined.get(stream);
      const frame = at === undefined || at.events === 0 ? shared : {
        bytes: encoder.encode(batch.slice(at.events).join("")),
        events: batch.length - at.events,
      };
      const events = frame.events;
      const overflow = overflowed - (at?.overflow ?? 0);
      if (stream.stale) {
        // It gets the state as it is now, once it has caught up, instead of the frame.
        this.#drop(stream, events + overflow);
        if (stream.idle && this.#mayResync(stream)) stream.pushSnapshot();
        continue;
      }
      if (events > 0 && stream.queued + events > this.#queueLimit) {
        this.#drop(stream, events + overflow);
        continue;
      }
      if (events > 0) stream.push(frame);
      // The events past the frame's limit: a snapshot follows the frame, once it is written.
      if (overflow > 0) {
        this.#drop(stream, overflow);
        if (stream.idle && this.#mayResync(stream)) stream.pushSnapshot();
      }
    }
  }

  #drop(stream: EventStream, events: number): void {
    stream.drop(events);
    this.#dropped += events;
  }

  /**
   * Whether a lagging stream may have its snapshot now: at once when the
   * state has not changed since the last one, or `snapshotMs` after it;
   * else it waits, and gets one then if it still lags.
   */
  #mayResync(stream: EventStream): boolean {
    // Events wait for the next frame: a snapshot now would include them, and
    // the frame would then bring them again, older than it. The frame's end
    // sees to lagging streams.
    if (this.#batch.length > 0 || this.#overflow > 0) return false;
    if (this.#snapshotHead !== null) return true;
    const wait = this.#snapshotAt + this.#snapshotMs - performance.now();
    if (wait <= 0) return true;
    this.#waiting.add(stream);
    this.#resyncTimer ??= setTimeout(() => this.#resync(), wait);
    return false;
  }

  /** Sends the streams that waited their snapshot, one serialized for all. */
  #resync(): void {
    this.#resyncTimer = null;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    // With a frame on its way, its end sends them (they lag: it drops it for them).
    if (this.#batch.length > 0 || this.#overflow > 0) return;
    for (const stream of waiting) {
      // One that is still writing asks again when its queue empties.
      if (stream.stale && stream.idle) stream.pushSnapshot();
    }
  }

  /** The state as a snapshot message without its dropped count: serialized once until the next event. */
  #sharedSnapshot(): Uint8Array {
    if (this.#snapshotHead === null) {
      this.#snapshotAt = performance.now();
      const json = JSON.stringify(this.#snapshot());
      this.#snapshotHead = encoder.encode(`event: snapshot\ndata: ${json.slice(0, -1)}`);
    }
    return this.#snapshotHead;
  }
}
