/**
 * The most recently closed listeners, bounded: what the dashboard's rows and
 * the metrics' series keep of listeners that closed, so that connections
 * draining after a close and a look soon after it still find them, while
 * listeners added and removed by the thousand leave no more than a bound.
 *
 * @module
 */

/** How many closed listeners are kept, by default (the most recently closed). */
export const KEEP_CLOSED = 64;

/**
 * Keys of closed listeners, oldest first, at most `keep` of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RecentlyClosed } from "./recently_closed.ts";
 *
 * const closed = new RecentlyClosed(2);
 * assert.deepEqual(closed.close("a"), []);
 * assert.deepEqual(closed.close("b"), []);
 * closed.reopen("a"); // bound again: no longer closed
 * assert.deepEqual(closed.close("c"), []);
 * assert.deepEqual(closed.close("d"), ["b"]); // past the bound: the oldest goes
 * ```
 */
export class RecentlyClosed {
  readonly #keep: number;
  #keys: string[] = [];

  /**
   * Creates an empty list.
   *
   * @param keep How many closed keys it keeps. @default {KEEP_CLOSED}
   */
  constructor(keep: number = KEEP_CLOSED) {
    this.#keep = keep;
  }

  /**
   * Counts a key as closed now (again, if it was).
   *
   * @param key The listener's key.
   * @returns The keys that go past the bound, oldest first: forget them.
   */
  close(key: string): string[] {
    this.reopen(key);
    this.#keys.push(key);
    return this.#keys.length > this.#keep
      ? this.#keys.splice(0, this.#keys.length - this.#keep)
      : [];
  }

  /**
   * Counts a key as open again (a reload bound it anew).
   *
   * @param key The listener's key.
   */
  reopen(key: string): void {
    const at = this.#keys.indexOf(key);
    if (at !== -1) this.#keys.splice(at, 1);
  }
}
