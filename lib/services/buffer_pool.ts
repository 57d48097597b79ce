/**
 * Large read buffers, shared by every connection of a running server.
 *
 * A read that waits for data holds its buffer for as long as it waits, so a
 * connection that went idle after a burst would keep a large buffer (and its
 * memory) until it closed. Connections therefore wait with a small buffer of
 * their own and take a large one from the pool only while data keeps coming;
 * it goes back as soon as a read shows the socket drained.
 *
 * @module
 */

/** The size of a pooled buffer, in bytes (256 KiB): one read's worth on a busy connection. */
export const LARGE_READ_BUFFER_SIZE = 256 * 1024;

/**
 * How many spare buffers a pool keeps for the next busy connection (16 MiB in
 * all). Spares spare the allocator: buffers freed and allocated again, burst
 * after burst, leave the process holding freed memory that it does not give
 * back to the system.
 */
const SPARES = 64;

/**
 * The large read buffers of one running server. Created by `start()` and
 * handed to services through their context.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferPool } from "./buffer_pool.ts";
 *
 * const pool = new BufferPool();
 * const buffer = pool.take();
 * pool.give(buffer);
 * assert.equal(pool.take(), buffer); // the same one, not a new allocation
 * ```
 */
export class BufferPool {
  #spare: Uint8Array<ArrayBuffer>[] = [];

  /**
   * Takes a buffer of {@linkcode LARGE_READ_BUFFER_SIZE} bytes: a spare one,
   * or a new one when there is none.
   *
   * @returns The buffer; give it back when the burst is over.
   */
  take(): Uint8Array<ArrayBuffer> {
    return this.#spare.pop() ?? new Uint8Array(LARGE_READ_BUFFER_SIZE);
  }

  /**
   * Gives a buffer back. Once the pool holds enough spares, the buffer is
   * left to the garbage collector instead.
   *
   * @param buffer A buffer from {@linkcode BufferPool.take}, no longer in use.
   */
  give(buffer: Uint8Array<ArrayBuffer>): void {
    if (this.#spare.length < SPARES) this.#spare.push(buffer);
  }

  /** How many spare buffers the pool holds now. */
  get spares(): number {
    return this.#spare.length;
  }
}
