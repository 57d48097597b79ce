/**
 * A TCP connection as services see it: reads and writes pass straight
 * through, and the bytes are counted per chunk (never per byte).
 *
 * @module
 */

import type { Stream } from "../services/service.ts";

/**
 * Wraps a connection and counts the bytes read from and written to it.
 *
 * `bytesOut` counts what the kernel accepted. A service may return while a
 * write is still in flight (chargen at its time cap): that write may have
 * reached the kernel already, with its count still on the way to
 * JavaScript, so whoever reports the total closes the connection first,
 * which ends every write still waiting, and then awaits
 * {@linkcode CountingStream.settled}.
 */
export class CountingStream implements Stream {
  /** Bytes read so far, drained and dropped ones too. */
  bytesIn = 0;
  /** Bytes written so far: the sum of what each finished write accepted. */
  bytesOut = 0;
  /** Set once a read has returned the end of stream: the client sends nothing more. */
  ended = false;
  /** Whether a read is waiting for data now (a service reads while it writes). */
  reading = false;
  /**
   * Bytes read that the service never got: what in latency held when the
   * connection ended, or what a read took past a fault's byte count. Set by
   * the faults; 0 without them.
   */
  droppedIn = 0;
  /**
   * Bytes the service wrote and muxd accepted into out latency that never
   * went out: held when the connection ended. Set by the faults; 0 without them.
   */
  droppedOut = 0;
  /** `bytesIn` when the service's part ended, or -1 while it goes on. */
  #drainFrom = -1;

  /** Whether a write is in flight now: begun, and not yet taken by the kernel (or failed). */
  get writing(): boolean {
    return this.#writing > 0;
  }
  #conn: Stream;
  /** How many writes have begun and not yet finished. */
  #writing = 0;
  /** The promise of {@linkcode CountingStream.settled}, while someone waits. */
  #settled: PromiseWithResolvers<void> | null = null;

  /** @param conn The connection to wrap: a `Deno.TcpConn`, or any other {@linkcode Stream}. */
  constructor(conn: Stream) {
    this.#conn = conn;
  }

  /** Reads into `p`, like `Deno.Conn.read`. */
  async read(p: Uint8Array): Promise<number | null> {
    this.reading = true;
    let n: number | null;
    try {
      n = await this.#conn.read(p);
    } finally {
      this.reading = false;
    }
    if (n !== null) this.bytesIn += n;
    else this.ended = true;
    return n;
  }

  /** Writes from `p`, like `Deno.Conn.write`. */
  async write(p: Uint8Array): Promise<number> {
    this.#writing++;
    try {
      const n = await this.#conn.write(p);
      this.bytesOut += n;
      return n;
    } finally {
      if (--this.#writing === 0 && this.#settled !== null) {
        this.#settled.resolve();
        this.#settled = null;
      }
    }
  }

  /**
   * Marks the end of the service's part (a close fault, or a lingering
   * close): what is read from now on is drained, not the service's. The
   * first call counts.
   */
  beginDrain(): void {
    if (this.#drainFrom < 0) this.#drainFrom = this.bytesIn;
  }

  /** Bytes read since {@linkcode CountingStream.beginDrain}: read and dropped by muxd. */
  get drained(): number {
    return this.#drainFrom < 0 ? 0 : this.bytesIn - this.#drainFrom;
  }

  /** Bytes the service got: `bytesIn` less what was drained and what was dropped. */
  get serviceIn(): number {
    return this.bytesIn - this.drained - this.droppedIn;
  }

  /** Half-closes the connection. */
  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }

  /**
   * Waits until no write is in flight, so that `bytesOut` is final. Call it
   * after closing the connection: closing ends a write that waits on a
   * client who stopped reading (it fails with `Interrupted`), while one
   * that reached the kernel still reports its count.
   *
   * @returns Once every write begun so far has finished, one way or the other.
   */
  settled(): Promise<void> {
    if (this.#writing === 0) return Promise.resolve();
    this.#settled ??= Promise.withResolvers<void>();
    return this.#settled.promise;
  }
}
