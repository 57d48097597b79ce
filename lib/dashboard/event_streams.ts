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
import type { BindFailure, SocketRow, StatsSummary } from "./stats.ts";

/** The whole state a page needs to draw itself from scratch. */
export interface Snapshot {
  /** Every row of the socket table. */
  readonly sockets: readonly SocketRow[];
  /** Every bind failure, with its explanation. */
  readonly failures: readonly BindFailure[];
  /** The totals. */
  readonly stats: StatsSummary;
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
  /** How long events gather into one frame before it is sent, in milliseconds. @default 50 */
  readonly flushMs?: number;
}

/** Where a stream's bytes go: a connection. */
export interface StreamTarget {
  /**
   * Writes every byte.
   *
   * @param bytes The bytes, shared with other streams: not to be changed.
   * @returns `true` when written, `false` when the peer has gone.
   */
  write(bytes: Uint8Array): Promise<boolean>;
}

/** One open stream. */
export interface EventStream {
  /**
   * Settles once the stream has ended: closed by its connection, by
   * {@linkcode EventStreams.close}, or by its peer going away. Rejects only
   * with an error the target threw, which is a bug, not a lost peer.
   */
  readonly ended: Promise<void>;
  /** Ends the stream (its connection is going away). */
  close(): void;
}

/** A piece of bytes in a stream's queue, and how many events it carries. */
interface Piece {
  readonly bytes: Uint8Array;
  readonly events: number;
}

interface Client {
  readonly target: StreamTarget;
  readonly queue: Piece[];
  /** Events in the queue. */
  queued: number;
  writing: boolean;
  /** Events were dropped; send a snapshot once the queue is empty. */
  stale: boolean;
  dropped: number;
  ended: boolean;
  end(error?: unknown): void;
}

const encoder = new TextEncoder();

/**
 * Fans events out to any number of Server-Sent Events streams.
 *
 * Each stream starts with `retry:` and an `event: snapshot` message (JSON
 * {@linkcode Snapshot}); then every server event follows as an unnamed
 * message whose data is the event's JSON, each followed by an
 * `event: socket` message with the table row it changed, if any.
 *
 * @example
 * ```ts
 * import { DashboardStats } from "./stats.ts";
 * import { EventStreams } from "./event_streams.ts";
 * const stats = new DashboardStats();
 * const streams = new EventStreams(() => ({
 *   sockets: stats.sockets(), failures: stats.failures(), stats: stats.summary(),
 * }));
 * const chunks: Uint8Array[] = [];
 * const stream = streams.open({ write: (bytes) => Promise.resolve(chunks.push(bytes) > 0) });
 * streams.close();
 * await stream.ended;
 * ```
 */
export class EventStreams {
  #clients = new Set<Client>();
  #snapshot: () => Omit<Snapshot, "dropped">;
  #queueLimit: number;
  #flushMs: number;
  #retry: Uint8Array;
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
   * Creates a fan-out with no streams.
   *
   * @param snapshot Returns the current state, for new and lagging streams.
   * @param options Buffer size, reconnection delay and frame interval.
   */
  constructor(snapshot: () => Omit<Snapshot, "dropped">, options: EventStreamsOptions = {}) {
    this.#snapshot = snapshot;
    this.#queueLimit = options.queueLimit ?? 256;
    this.#flushMs = options.flushMs ?? 50;
    this.#retry = encoder.encode(`retry: ${options.retryMs ?? 1000}\n\n`);
  }

  /** How many streams are open. */
  get clients(): number {
    return this.#clients.size;
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
    let end!: (error?: unknown) => void;
    const ended = new Promise<void>((resolve, reject) => {
      end = (error) => (error === undefined ? resolve() : reject(error));
    });
    const client: Client = {
      target,
      queue: [],
      queued: 0,
      writing: false,
      stale: false,
      dropped: 0,
      ended: false,
      end: (error) => {
        if (client.ended) return;
        client.ended = true;
        this.#clients.delete(client);
        client.queue.length = 0;
        end(error);
      },
    };
    const stream = { ended, close: () => client.end() };
    if (this.#closed) {
      client.end();
      return stream;
    }
    this.#clients.add(client);
    client.queue.push({ bytes: this.#retry, events: 0 });
    this.#queueSnapshot(client);
    void this.#pump(client);
    return stream;
  }

  /**
   * Sends one event to every stream, within the frame interval. Never
   * blocks: a stream whose queue is full drops the frame and gets a
   * snapshot once its browser catches up.
   *
   * @param event The event.
   * @param row The table row the event changed, or `null`.
   */
  publish(event: ServerEvent, row: SocketRow | null): void {
    this.#snapshotHead = null;
    if (this.#clients.size === 0) return;
    if (this.#batch.length >= this.#queueLimit) {
      this.#overflow++;
    } else {
      let text = `data: ${JSON.stringify(event)}\n\n`;
      if (row) text += `event: socket\ndata: ${JSON.stringify(row)}\n\n`;
      this.#batch.push(text);
    }
    this.#timer ??= setTimeout(() => this.#flush(), this.#flushMs);
  }

  /** Ends every stream, so that browsers disconnect and the server can stop. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const client of [...this.#clients]) client.end();
  }

  /** Sends the events gathered since the last frame, as one frame shared by every stream. */
  #flush(): void {
    this.#timer = null;
    const events = this.#batch.length;
    const frame: Piece = { bytes: encoder.encode(this.#batch.join("")), events };
    const overflow = this.#overflow;
    this.#batch = [];
    this.#overflow = 0;
    for (const client of this.#clients) {
      if (overflow > 0) this.#drop(client, overflow);
      const idle = !client.writing && client.queue.length === 0;
      if (client.stale && idle) this.#queueSnapshot(client);
      if (events === 0) {
        // Nothing but overflow: the snapshot has it all.
      } else if (client.stale || client.queued + events > this.#queueLimit) {
        this.#drop(client, events);
      } else {
        client.queue.push(frame);
        client.queued += events;
      }
      if (!client.writing && client.queue.length > 0) void this.#pump(client);
    }
  }

  #drop(client: Client, events: number): void {
    client.stale = true;
    client.dropped += events;
    this.#dropped += events;
  }

  /** Writes a stream's queue in order, then a snapshot if it dropped anything meanwhile. */
  async #pump(client: Client): Promise<void> {
    client.writing = true;
    try {
      while (!client.ended) {
        if (client.queue.length === 0) {
          if (!client.stale) break;
          this.#queueSnapshot(client);
        }
        const piece = client.queue.shift()!;
        client.queued -= piece.events;
        if (!await client.target.write(piece.bytes)) client.end();
      }
    } catch (error) {
      client.end(error);
    } finally {
      client.writing = false;
    }
  }

  /**
   * Queues a snapshot: its shared part (the state as JSON, serialized once
   * until the next event) and a small part of its own (its dropped count).
   */
  #queueSnapshot(client: Client): void {
    client.stale = false;
    if (this.#snapshotHead === null) {
      const json = JSON.stringify(this.#snapshot());
      this.#snapshotHead = encoder.encode(`event: snapshot\ndata: ${json.slice(0, -1)}`);
    }
    client.queue.push({ bytes: this.#snapshotHead, events: 0 });
    client.queue.push({ bytes: encoder.encode(`,"dropped":${client.dropped}}\n\n`), events: 0 });
  }
}
