/**
 * When a UDP receive loop lets the event loop turn. While datagrams are
 * queued, each `receive()` completes at once, and a loop that never waits
 * could keep Deno from polling the OS for every other socket (a TCP accept,
 * another UDP socket). A timer fires only when the runtime polls the OS, so
 * a timer that fired proves that it did; the loop waits for one only when
 * none fired for {@linkcode TURN_MS}.
 *
 * @module
 */

/** How often, in datagrams, a loop checks whether the event loop turned lately. */
export const CHECK_EVERY = 16;

/** How long, in ms, a loop may handle datagrams without the event loop turning. */
export const TURN_MS = 20;

/**
 * The event-loop turns of one receive loop. While the loop handles
 * datagrams, a marker timer of 0 ms is always set; when it fires, which it
 * does on its own whenever the loop waits for datagrams, that was a turn,
 * and the next datagram sets another. Only when {@linkcode TURN_MS} pass
 * without one does the loop await the marker: it is due already, so this
 * costs one poll of the OS, not a new timer's millisecond or two (Deno's
 * `setTimeout(0)` takes that long). A loop that waits for its datagrams
 * never stops, however few they are; an idle loop sets no timer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHECK_EVERY, EventLoopTurns } from "./event_loop_turns.ts";
 *
 * const turns = new EventLoopTurns();
 * for (let n = 1; n < CHECK_EVERY; n++) assert.equal(turns.due(), null);
 * turns.stop();
 * ```
 */
export class EventLoopTurns {
  #count = 0;
  /** When the event loop last turned, as far as is known. */
  #turnedAt = performance.now();
  /** The marker timer, while one is set, and the promise that it fired. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #marker: Promise<void> | null = null;
  /** When the marker fired, until the next call takes it as a turn. */
  #firedAt: number | null = null;

  /**
   * Called before each receive.
   *
   * @returns `null` when the loop goes on at once, else a promise to await first:
   *   the event loop has not turned for {@linkcode TURN_MS}.
   */
  due(): Promise<void> | null {
    if (this.#firedAt !== null) {
      this.#turnedAt = this.#firedAt;
      this.#firedAt = null;
      this.#marker = null;
    }
    this.#marker ??= new Promise<void>((resolve) => {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#firedAt = performance.now();
        resolve();
      }, 0);
    });
    if (++this.#count % CHECK_EVERY !== 0) return null;
    return performance.now() - this.#turnedAt > TURN_MS ? this.#marker : null;
  }

  /** Clears the marker timer, if one is set: the loop has ended. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
