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
 * The event-loop turns of one receive loop. A timer fires only when the
 * runtime polls the OS, so a marker timer of 0 ms that fired proves a turn.
 * At every {@linkcode CHECK_EVERY}th datagram the loop looks: when no turn
 * is known for half of {@linkcode TURN_MS}, it sets a marker; when a marker
 * set half of `TURN_MS` ago has still not fired, the loop has not let the
 * event loop turn since, and it awaits the marker: due already, so this costs
 * one poll of the OS, not a new timer's millisecond or two (Deno's
 * `setTimeout(0)` takes that long). A loop that waits for its datagrams
 * never stops, however few they are, and sets a marker about once per half
 * of `TURN_MS`, not once per turn (a timer costs Deno a few microseconds:
 * once a millisecond, that was 0.35 µs a datagram through `forward`); an
 * idle loop sets none.
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
  /** When the marker was set. */
  #setAt = 0;
  /** When the marker fired, until the next look takes it as a turn. */
  #firedAt: number | null = null;

  /**
   * Called before each receive.
   *
   * @returns `null` when the loop goes on at once, else a promise to await first:
   *   the event loop has not turned for about {@linkcode TURN_MS}.
   */
  due(): Promise<void> | null {
    if (++this.#count % CHECK_EVERY !== 0) return null;
    if (this.#firedAt !== null) {
      this.#turnedAt = this.#firedAt;
      this.#firedAt = null;
      this.#marker = null;
    }
    const now = performance.now();
    if (this.#marker !== null) return now - this.#setAt > TURN_MS / 2 ? this.#marker : null;
    if (now - this.#turnedAt >= TURN_MS / 2) {
      this.#setAt = now;
      this.#marker = new Promise<void>((resolve) => {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#firedAt = performance.now();
          resolve();
        }, 0);
      });
    }
    return null;
  }

  /** Clears the marker timer, if one is set: the loop has ended. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
