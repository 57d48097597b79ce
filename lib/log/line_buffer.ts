/**
 * A growable buffer of log lines as bytes, written to piece by piece:
 * plain ASCII text, whole numbers, newlines. A line written this way makes
 * no string and no other object, so that a busy server's log (a line per
 * connection and per datagram) adds almost nothing to what the garbage
 * collector has to do. Lines that are not plain ASCII are written with
 * {@linkcode LineBuffer.appendUtf8} instead.
 *
 * @module
 */

import type { EventTextOut } from "../events/format.ts";

const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;
const INT32_MAX = 0x7fffffff;
/** 10 to the power of the index: 1 to 10^9, the largest below 2^31. */
const POWERS_OF_TEN: readonly number[] = [
  1,
  10,
  100,
  1_000,
  10_000,
  100_000,
  1_000_000,
  10_000_000,
  100_000_000,
  1_000_000_000,
];
const encoder = new TextEncoder();

/**
 * Bytes waiting to be written, with the state of the line being written.
 *
 * @example
 * ```ts
 * import { LineBuffer } from "./line_buffer.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = new LineBuffer();
 * const start = buffer.begin();
 * buffer.text("tcp 127.0.0.1:");
 * buffer.int(7007);
 * if (buffer.plain) buffer.newline();
 * else buffer.rollback(start); // and write the line some other way
 * assert.equal(new TextDecoder().decode(buffer.view()), "tcp 127.0.0.1:7007\n");
 * ```
 */
export class LineBuffer implements EventTextOut {
  #bytes: Uint8Array;
  #length = 0;
  #plain = true;

  /** @param capacity Bytes to start with; the buffer grows as needed. */
  constructor(capacity = 64 * 1024) {
    this.#bytes = new Uint8Array(capacity);
  }

  /** Bytes written and not yet cleared. */
  get length(): number {
    return this.#length;
  }

  /** Bytes the buffer holds before it must grow. */
  get capacity(): number {
    return this.#bytes.length;
  }

  /**
   * Whether every character given to {@linkcode text} since
   * {@linkcode begin} was printable ASCII (space to `~`). When it is not,
   * the bytes written since then are not that text: roll them back.
   */
  get plain(): boolean {
    return this.#plain;
  }

  /**
   * Starts a line.
   *
   * @returns Where it starts, for {@linkcode rollback}.
   */
  begin(): number {
    this.#plain = true;
    return this.#length;
  }

  /**
   * Drops what was written from `start` on.
   *
   * @param start What {@linkcode begin} returned.
   */
  rollback(start: number): void {
    this.#length = start;
    this.#plain = true;
  }

  /**
   * Appends printable ASCII text. Any other character clears
   * {@linkcode plain}: the line must then be rolled back.
   *
   * @param text The text.
   */
  text(text: string): void {
    const n = text.length;
    if (this.#length + n > this.#bytes.length) this.#grow(n);
    const bytes = this.#bytes;
    let at = this.#length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x7e) this.#plain = false;
      bytes[at++] = c;
    }
    this.#length = at;
  }

  /**
   * Appends a number in decimal, as `String(n)` writes it.
   *
   * @param n The number; whole, non-negative ones below 2^31 are written without a string.
   */
  int(n: number): void {
    // Whole numbers below 2^31 in int32 arithmetic, which V8 compiles to
    // integer instructions; a double's % calls out to fmod. Anything else
    // (negative, fractional, larger) as String() writes it.
    if (!(n >= 0 && n <= INT32_MAX) || n !== Math.floor(n)) {
      this.text(String(n));
      return;
    }
    let rest = n | 0;
    let digits = 1;
    while (digits < POWERS_OF_TEN.length && rest >= POWERS_OF_TEN[digits]) digits++;
    if (this.#length + digits > this.#bytes.length) this.#grow(digits);
    const bytes = this.#bytes;
    const end = this.#length + digits;
    let at = end;
    do {
      const quotient = (rest / 10) | 0;
      bytes[--at] = DIGIT_0 + rest - quotient * 10;
      rest = quotient;
    } while (rest !== 0);
    this.#length = end;
  }

  /** Ends a line. */
  newline(): void {
    if (this.#length === this.#bytes.length) this.#grow(1);
    this.#bytes[this.#length++] = NEWLINE;
  }

  /**
   * Appends any text, encoded as UTF-8: for lines that are not plain ASCII.
   *
   * @param text The text, newline included.
   */
  appendUtf8(text: string): void {
    // UTF-8 takes at most 3 bytes for each UTF-16 code unit.
    if (this.#length + text.length * 3 > this.#bytes.length) this.#grow(text.length * 3);
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
    this.#plain = true;
  }

  #grow(needed: number): void {
    const bytes = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + needed));
    bytes.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = bytes;
  }
}
