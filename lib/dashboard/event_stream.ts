/**
 * One browser's event stream: a queue of byte pieces, most of them shared
 * with every other stream, written to its connection one after the other;
 * what it dropped; and whether it owes the browser a snapshot. A stream
 * holds its whole state in one object with two callbacks made once, and a
 * write allocates nothing of its own beyond the write itself: a browser
 * costs little more than its connection.
 *
 * @module
 */

/** Where a stream's bytes go: a connection. */
export interface StreamTarget {
  /**
   * Writes some of the bytes, as `Deno.Conn.write` does.
   *
   * @param bytes The bytes, shared with other streams: not to be changed.
   * @returns How many were written.
   */
  writeSome(bytes: Uint8Array): Promise<number>;
  /**
   * Tells whether an error from {@linkcode StreamTarget.writeSome} means
   * that the peer has gone (or the target was closed), not a bug.
   *
   * @param error What `writeSome` rejected with.
   * @returns `true` for a lost peer.
   */
  isGone(error: unknown): boolean;
  /** Ends the connection: the stream has ended (muxd stops, or the peer has gone). */
  close(): void;
}

/** A piece of bytes in a stream's queue, and how many events it carries. */
export interface Piece {
  /** The bytes, shared with other streams. */
  readonly bytes: Uint8Array;
  /** Events in it; 0 for `retry:` and snapshots, which the queue limit does not count. */
  readonly events: number;
}

/** What every stream of one fan-out shares. */
export interface StreamFeed {
  /** The shared part of a snapshot message: `event: snapshot`, and the state's JSON without its closing brace. */
  snapshotHead(): Uint8Array;
  /**
   * Whether a stream that lags may have its snapshot now; when not, the
   * feed sends it one later (through {@linkcode EventStream.pushSnapshot}).
   */
  mayResync(stream: EventStream): boolean;
  /** Called once when a stream ends. */
  ended(stream: EventStream): void;
  /** Called with an error a write threw: not a lost peer, a bug. */
  failed(error: unknown): void;
}

const encoder = new TextEncoder();

/**
 * One open stream. {@linkcode EventStreams.open} makes them; the connection
 * closes its stream when the browser goes away.
 */
export class EventStream {
  /** Where its bytes go. */
  readonly target: StreamTarget;
  /** Events dropped so far because the browser read too slowly. */
  dropped = 0;
  #feed: StreamFeed;
  #queue: Piece[] = [];
  #queued = 0;
  /** Events were dropped; a snapshot goes out once the queue is empty. */
  #stale = false;
  /** The piece being written, and how far. */
  #writing: Uint8Array | null = null;
  #at = 0;
  #ended = false;

  /**
   * Creates a stream.
   *
   * @param target Where its bytes go.
   * @param feed What it shares with the other streams.
   */
  constructor(target: StreamTarget, feed: StreamFeed) {
    this.target = target;
    this.#feed = feed;
  }

  /** Events waiting in the queue. */
  get queued(): number {
    return this.#queued;
  }

  /** `true` when it owes the browser a snapshot. */
  get stale(): boolean {
    return this.#stale;
  }

  /** `true` when nothing is being written and nothing waits. */
  get idle(): boolean {
    return this.#writing === null && this.#queue.length === 0;
  }

  /** `true` once the stream has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Queues a piece and starts writing, unless a write is under way.
   *
   * @param piece The bytes and the events they carry.
   */
  push(piece: Piece): void {
    if (this.#ended) return;
    this.#enqueue(piece);
    this.#next();
  }

  /**
   * Counts events the browser will not get; it gets a snapshot instead,
   * once its queue is empty.
   *
   * @param events How many.
   */
  drop(events: number): void {
    this.#stale = true;
    this.dropped += events;
  }

  /** Queues a snapshot (the shared part, and its own dropped count) and starts writing. */
  pushSnapshot(): void {
    if (this.#ended) return;
    this.#enqueueSnapshot();
    this.#next();
  }

  /** Ends the stream, without closing its target: the connection is going away anyway. */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue.length = 0;
    this.#queued = 0;
    this.#feed.ended(this);
  }

  /** Ends the stream and closes its target (muxd stops, or the peer has gone). */
  end(): void {
    this.close();
    this.target.close();
  }

  #enqueue(piece: Piece): void {
    this.#queue.push(piece);
    this.#queued += piece.events;
  }

  #enqueueSnapshot(): void {
    this.#stale = false;
    this.#enqueue({ bytes: this.#feed.snapshotHead(), events: 0 });
    this.#enqueue({ bytes: encoder.encode(`,"dropped":${this.dropped}}\n\n`), events: 0 });
  }

  /** Writes the next piece, or a snapshot when the queue is empty and the stream is stale. */
  #next(): void {
    if (this.#writing !== null || this.#ended) return;
    if (this.#queue.length === 0 && this.#stale && this.#feed.mayResync(this)) {
      this.#enqueueSnapshot();
    }
    const piece = this.#queue.shift();
    if (piece === undefined) return;
    this.#queued -= piece.events;
    this.#writing = piece.bytes;
    this.#at = 0;
    this.target.writeSome(piece.bytes).then(this.#written, this.#failed);
  }

  #written = (n: number): void => {
    const bytes = this.#writing!;
    if (this.#ended) return;
    this.#at += n;
    if (this.#at < bytes.length) {
      this.target.writeSome(bytes.subarray(this.#at)).then(this.#written, this.#failed);
      return;
    }
    this.#writing = null;
    this.#next();
  };

  #failed = (error: unknown): void => {
    this.#writing = null;
    this.end();
    if (!this.target.isGone(error)) this.#feed.failed(error);
  };
}
