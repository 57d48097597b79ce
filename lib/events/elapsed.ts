/**
 * The durations events carry (`durationMs`, `pausedMs`): milliseconds to
 * the microsecond, so that the JSON log shows `3.265`, not the float noise
 * of `3.264835000000005`.
 *
 * @module
 */

/**
 * The milliseconds from `since` to `now`, rounded to three decimals (whole
 * microseconds).
 *
 * @param since When it began, as `performance.now()` gave it.
 * @param now When it ended. @default performance.now()
 * @returns The duration in milliseconds, such as `3.265`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { elapsedMs } from "./elapsed.ts";
 *
 * assert.equal(elapsedMs(16.773158, 20.037993000000005), 3.265);
 * assert.equal(elapsedMs(1, 1.0004), 0);
 * ```
 */
export function elapsedMs(since: number, now: number = performance.now()): number {
  // A whole number of microseconds divided by 1000 prints with at most
  // three decimals: the division gives the double nearest that decimal.
  return Math.round((now - since) * 1000) / 1000;
}
