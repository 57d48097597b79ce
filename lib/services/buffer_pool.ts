/**
 * Read buffers, shared by every connection of a running server.
 *
 * A read that waits for data holds its buffer for as long as it waits, so a
 * connection that went idle after a burst would keep a large buffer (and its
 * memory) until it closed. Connections therefore wait with a small buffer of
 * their own and take larger ones from the pool only while data keeps coming;
 * they go back as soon as a read shows the socket drained.
 *
 * @module
 */

/** The size of a medium buffer, in bytes (16 KiB): the first step up from a connection's own. */
export const MEDIUM_READ_BUFFER_SIZE = 16 * 1024;

/** The size of a large buffer, in bytes (256 KiB): one read's worth on a busy connection. */
export const LARGE_READ_BUFFER_SIZE = 256 * 1024;

/** The sizes of pooled buffers. */
export type PooledSize = typeof MEDIUM_READ_BUFFER_SIZE | typeof LARGE_READ_BUFFER_SIZE;

/**
 * How many spare buffers of each size a pool keeps for the next busy
 * connection (17 MiB in all). Spares spare the allocator: buffers freed and
 * allocated again, burst after burst, leave the process holding freed memory
 * that it does not give back to the system.
 */
const SPARES = 64;

/**
 * The pooled read buffers of one running server. Created by `start()` and
 * handed to services through their context.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferPool, LARGE_READ_BUFFER_SIZE } from "./buffer_pool.ts";
 *
 * const pool = new BufferPool();
 * const buffer = pool.take(LARGE_READ_BUFFER_SIZE);
 * pool.give(buffer);
 * assert.equal(pool.take(LARGE_READ_BUFFER_SIZE), buffer); // the same one, not a new allocation
 * ```
 */
export class BufferPool {
  #spare: Record<PooledSize, Uint8Array<ArrayBuffer>[]> = {
    [MEDIUM_READ_BUFFER_SIZE]: [],
    [LARGE_READ_BUFFER_SIZE]: [],
  };

  /**
   * Takes a buffer: a spare one, or a new one when there is none.
   *
   * @param size {@linkcode MEDIUM_READ_BUFFER_SIZE} or {@linkcode LARGE_READ_BUFFER_SIZE}.
   * @returns The buffer; give it back when the burst is over.
   */
  take(size: PooledSize): Uint8Array<ArrayBuffer> {
    return this.#spare[size].pop() ?? new Uint8Array(size);
  }

  /**
   * Gives a buffer back. Once the pool holds enough spares of its size, the
   * buffer is left to the garbage collector instead.
   *
   * @param buffer A buffer from {@linkcode BufferPool.take}, no longer in use.
   */
  give(buffer: Uint8Array<ArrayBuffer>): void {
    const spare = this.#spare[buffer.length as PooledSize];
    if (spare.length < SPARES) spare.push(buffer);
  }

  /**
   * How many spare buffers of a size the pool holds now.
   *
   * @param size A pooled size.
   * @returns How many.
   */
  spares(size: PooledSize): number {
    return this.#spare[size].length;
  }
}
