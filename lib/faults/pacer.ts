/**
 * Bandwidth as a schedule: each chunk leaves when the bytes before it, at
 * the rate, have had their time. The schedule is absolute, so a timer that
 * fires late makes the next wait shorter instead of adding up.
 *
 * @module
 */

/**
 * How far behind its schedule a link may fall and still catch up with a
 * burst. Further behind, the link was idle (no bytes to send), and the
 * schedule starts again from now.
 */
export const PACER_SLACK_MS = 100;

/** How much time one chunk of a paced link covers, in ms: the chunk size is the rate times this. */
export const PACER_CHUNK_MS = 20;

/**
 * Paces one direction of a connection to a rate in bytes a second.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Pacer } from "./pacer.ts";
 *
 * const pacer = new Pacer(100_000); // 100 KB/s: chunks of 2,000 B
 * assert.equal(pacer.chunk, 2000);
 * assert.equal(pacer.delay(2000, 0), 20); // the first chunk takes its own time
 * assert.equal(pacer.delay(2000, 25), 15); // a late timer shortens the next wait
 * ```
 */
export class Pacer {
  /** Bytes a second. */
  readonly rate: number;
  /** The most bytes to pass at once: {@linkcode PACER_CHUNK_MS} worth, from 1 B to 64 KiB. */
  readonly chunk: number;
  /** When the bytes passed so far have had their time, in ms (`performance.now()`). */
  #free = -Infinity;

  /**
   * Starts a link with nothing sent yet.
   *
   * @param rate Bytes a second, at least 1.
   */
  constructor(rate: number) {
    this.rate = rate;
    this.chunk = Math.max(1, Math.min(64 * 1024, Math.floor(rate * PACER_CHUNK_MS / 1000)));
  }

  /**
   * Books `n` bytes on the link.
   *
   * @param n How many bytes pass.
   * @param now The time, in ms.
   * @returns How long to wait, in ms, before they have passed.
   */
  delay(n: number, now: number): number {
    if (this.#free < now - PACER_SLACK_MS) this.#free = now;
    this.#free += n * 1000 / this.rate;
    return Math.max(0, this.#free - now);
  }
}
