/**
 * Holds things until the event loop has polled the OS a number of times
 * since each arrived, then hands them on in order. A timer fires only after
 * a poll, so counting timers that fired counts polls; one timer at a time
 * serves everything held.
 *
 * The node-backed listener holds each connection it accepts for two polls:
 * until then, Deno 2.9's node:net fails a write to a connection whose client
 * has already half-closed (`nc -N` with nothing to send) with EPIPE, without
 * trying it, so a service that writes at once (chargen, daytime, banner)
 * would send nothing. One poll is not always enough; two are (the commit
 * that brought this in has the counts).
 *
 * @module
 */

/**
 * A queue that hands each item on once `polls` polls of the OS went by
 * since it was added.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PollSettle } from "./poll_settle.ts";
 *
 * const handed: string[] = [];
 * const settle = new PollSettle<string>(2, (item) => handed.push(item));
 * settle.add("a");
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * assert.deepEqual(handed, []);
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * assert.deepEqual(handed, ["a"]);
 * settle.close();
 * ```
 */
export class PollSettle<T> {
  readonly #polls: number;
  readonly #hand: (item: T) => void;
  /** What waits, with the poll count it arrived at. */
  #held: { item: T; at: number }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The polls counted while something waits. */
  #count = 0;

  /**
   * Creates an empty queue.
   *
   * @param polls How many polls each item waits for.
   * @param hand Where each item goes once it has waited.
   */
  constructor(polls: number, hand: (item: T) => void) {
    this.#polls = polls;
    this.#hand = hand;
  }

  /**
   * Holds an item until `polls` polls went by.
   *
   * @param item The item.
   */
  add(item: T): void {
    this.#held.push({ item, at: this.#count });
    this.#timer ??= setTimeout(() => this.#polled(), 0);
  }

  /**
   * Stops: nothing more is handed on.
   *
   * @returns What was still held, in order.
   */
  close(): T[] {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#held.splice(0).map(({ item }) => item);
  }

  #polled(): void {
    this.#timer = undefined;
    this.#count++;
    const held = this.#held;
    while (held.length > 0 && this.#count - held[0].at >= this.#polls) {
      this.#hand(held.shift()!.item);
    }
    if (held.length > 0) this.#timer = setTimeout(() => this.#polled(), 0);
  }
}
