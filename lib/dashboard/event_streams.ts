/**
 * The Server-Sent Events fan-out: one stream per browser, fed from the event
 * stream. A slow browser never holds muxd up: each stream buffers a bounded
 * number of messages, drops the rest (and counts them), and sends a fresh
 * snapshot once it has caught up.
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
  /** Messages this stream dropped so far because the browser read too slowly. */
  readonly dropped: number;
}

/** Options for {@linkcode EventStreams}. */
export interface EventStreamsOptions {
  /**
   * Messages one stream may hold while its browser is slow; more are dropped.
   * @default 256
   */
  readonly queueLimit?: number;
  /** How long a browser waits before it reconnects, in milliseconds. @default 1000 */
  readonly retryMs?: number;
}

interface Client {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  /** Messages were dropped; send a snapshot before the next event. */
  stale: boolean;
  dropped: number;
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
 * const body = streams.open(); // the body of a text/event-stream response
 * streams.close();
 * await body.cancel();
 * ```
 */
export class EventStreams {
  #clients = new Set<Client>();
  #snapshot: () => Omit<Snapshot, "dropped">;
  #queueLimit: number;
  #retryMs: number;
  #dropped = 0;
  #closed = false;

  /**
   * Creates a fan-out with no streams.
   *
   * @param snapshot Returns the current state, for new and lagging streams.
   * @param options Buffer size and reconnection delay.
   */
  constructor(snapshot: () => Omit<Snapshot, "dropped">, options: EventStreamsOptions = {}) {
    this.#snapshot = snapshot;
    this.#queueLimit = options.queueLimit ?? 256;
    this.#retryMs = options.retryMs ?? 1000;
  }

  /** How many streams are open. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Messages dropped so far, over every stream. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Opens a stream for one browser. It ends when the browser goes away or
   * when {@linkcode EventStreams.close} is called.
   *
   * @returns The response body, in `text/event-stream` format.
   */
  open(): ReadableStream<Uint8Array> {
    let client: Client;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = { controller, stale: false, dropped: 0 };
        if (this.#closed) {
          controller.close();
          return;
        }
        this.#clients.add(client);
        controller.enqueue(encoder.encode(`retry: ${this.#retryMs}\n\n`));
        this.#sendSnapshot(client);
      },
      pull: () => {
        if (client.stale) this.#sendSnapshot(client);
      },
      cancel: () => {
        this.#clients.delete(client);
      },
    }, new CountQueuingStrategy({ highWaterMark: this.#queueLimit }));
  }

  /**
   * Sends one event to every stream. Never blocks: a stream whose buffer is
   * full drops the message and gets a snapshot once its browser catches up.
   *
   * @param event The event.
   * @param row The table row the event changed, or `null`.
   */
  publish(event: ServerEvent, row: SocketRow | null): void {
    if (this.#clients.size === 0) return;
    let text = `data: ${JSON.stringify(event)}\n\n`;
    if (row) text += `event: socket\ndata: ${JSON.stringify(row)}\n\n`;
    const message = encoder.encode(text);
    for (const client of this.#clients) {
      if ((client.controller.desiredSize ?? 0) <= 0) {
        client.stale = true;
        client.dropped++;
        this.#dropped++;
        continue;
      }
      if (client.stale) this.#sendSnapshot(client);
      client.controller.enqueue(message);
    }
  }

  /** Ends every stream, so that browsers disconnect and the HTTP server can stop. */
  close(): void {
    this.#closed = true;
    for (const client of this.#clients) client.controller.close();
    this.#clients.clear();
  }

  #sendSnapshot(client: Client): void {
    client.stale = false;
    const snapshot: Snapshot = { ...this.#snapshot(), dropped: client.dropped };
    client.controller.enqueue(
      encoder.encode(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`),
    );
  }
}
