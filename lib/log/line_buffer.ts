/**
 * A growable buffer of log lines as bytes, waiting to be written. Lines go
 * in as text ({@linkcode LineBuffer.appendUtf8}) or are written in place,
 * byte by byte, by a writer that makes no string at all
 * (`fast_text_line.ts`): {@linkcode LineBuffer.reserve} gives it the room,
 * and setting {@linkcode LineBuffer.length} keeps what it wrote, or drops it.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Bytes waiting to be written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineBuffer } from "./line_buffer.ts";
 *
 * const buffer = new LineBuffer();
 * buffer.appendUtf8("café\n");
 * // In place: room for two bytes, written, then kept.
 * const bytes = buffer.reserve(2);
 * bytes[buffer.length] = 0x6f; // "o"
 * bytes[buffer.length + 1] = 0x0a; // "\n"
 * buffer.length += 2;
 * assert.equal(new TextDecoder().decode(buffer.view()), "café\no\n");
 * ```
 */
export class LineBuffer {
  #bytes: Uint8Array<ArrayBuffer>;
  #length = 0;

  /** @param capacity Bytes to start with; the buffer grows as needed. */
  constructor(capacity = 64 * 1024) {
    this.#bytes = new Uint8Array(capacity);
  }

  /**
   * How many bytes are written and not yet cleared. Setting it keeps bytes
   * written in place into {@linkcode reserve}'s array up to there, or drops
   * every byte from there on.
   *
   * @throws {RangeError} When set below 0 or above {@linkcode capacity}.
   */
  get length(): number {
    return this.#length;
  }

  set length(length: number) {
    if (!(length >= 0 && length <= this.#bytes.length)) {
      throw new RangeError(`LineBuffer length must be 0 to ${this.#bytes.length}, not ${length}`);
    }
    this.#length = length;
  }

  /** Bytes the buffer holds before it must grow. */
  get capacity(): number {
    return this.#bytes.length;
  }

  /**
   * Makes room for `n` more bytes after {@linkcode length}.
   *
   * @param n How many bytes are about to be written in place.
   * @returns The array to write them into, from index {@linkcode length}
   *   on; valid until the buffer next grows.
   */
  reserve(n: number): Uint8Array<ArrayBuffer> {
    if (this.#length + n > this.#bytes.length) this.#grow(n);
    return this.#bytes;
  }

  /**
   * Appends any text, encoded as UTF-8.
   *
   * @param text The text, newline included.
   */
  appendUtf8(text: string): void {
    // UTF-8 takes at most 3 bytes for each UTF-16 code unit.
    this.reserve(text.length * 3);
    this.#length += encoder.encodeInto(text, this.#bytes.subarray(this.#length)).written;
  }

  /**
   * The bytes written, as a view that is valid until the buffer is next
   * written to or cleared.
   *
   * @returns The view.
   */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** Forgets every byte written; the capacity stays. */
  clear(): void {
    this.#length = 0;
  }

  #grow(needed: number): void {
    const bytes = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + needed));
    bytes.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = bytes;
  }
}
