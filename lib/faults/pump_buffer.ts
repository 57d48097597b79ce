/**
 * The read buffer of a reader that copies what it reads before reading
 * again: it waits for data with 1,023 bytes of its own, and takes larger
 * buffers from the server's pool only while reads keep filling them.
 *
 * @module
 */

import {
  type BufferPool,
  LARGE_READ_BUFFER_SIZE,
  MEDIUM_READ_BUFFER_SIZE,
} from "../services/buffer_pool.ts";
import { MIN_READ_BUFFER_SIZE } from "../services/read_chunks.ts";

/**
 * One connection's read buffer for a reader whose reads may be capped below
 * the buffer's size (a pacer's chunk, a stall, a byte trigger): a read that
 * filled the whole buffer moves the next one a size up (1,023 B, 16 KiB,
 * 256 KiB); a read that got less than it could have drained the socket, and
 * the next one waits in the connection's own buffer again. The bytes of a
 * read are valid until {@linkcode PumpBuffer.after}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferPool } from "../services/buffer_pool.ts";
 * import { PumpBuffer } from "./pump_buffer.ts";
 *
 * const buffers = new PumpBuffer(new BufferPool());
 * assert.equal(buffers.next.length, 1023);
 * buffers.after(1023, 1023); // full: more is coming
 * assert.equal(buffers.next.length, 16 * 1024);
 * buffers.after(10, 16 * 1024); // drained
 * assert.equal(buffers.next.length, 1023);
 * ```
 */
export class PumpBuffer {
  readonly #pool: BufferPool;
  readonly #own: Uint8Array<ArrayBuffer> = new Uint8Array(MIN_READ_BUFFER_SIZE);
  #next: Uint8Array<ArrayBuffer> = this.#own;

  /**
   * Starts with the connection's own 1,023 bytes.
   *
   * @param pool Where larger buffers come from and go back to.
   */
  constructor(pool: BufferPool) {
    this.#pool = pool;
  }

  /** The buffer of the next read. */
  get next(): Uint8Array<ArrayBuffer> {
    return this.#next;
  }

  /**
   * Picks the next read's buffer once the bytes of the last one are used.
   *
   * @param count How many bytes the last read got.
   * @param room How many it could have got (the buffer's length, or less where the read was capped).
   */
  after(count: number, room: number): void {
    const buffer = this.#next;
    if (count < room) this.release();
    else if (count === buffer.length && buffer.length < LARGE_READ_BUFFER_SIZE) {
      this.release();
      this.#next = this.#pool.take(
        buffer === this.#own ? MEDIUM_READ_BUFFER_SIZE : LARGE_READ_BUFFER_SIZE,
      );
    }
  }

  /** Gives back a pooled buffer; the next read waits in the connection's own. */
  release(): void {
    if (this.#next !== this.#own) this.#pool.give(this.#next);
    this.#next = this.#own;
  }
}
