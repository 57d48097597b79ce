/**
 * A histogram with fixed buckets, as Prometheus keeps them: a count per
 * bucket, their sum and their number. Observing costs a scan of the bounds
 * (a fixed, small number); nothing grows with the observations.
 *
 * @module
 */

/**
 * The upper bounds of the connection-duration buckets, in seconds: from
 * 1 ms (a refused or instantly answered connection on loopback) to 5 min
 * (a long transfer or an idle timeout), roughly 1–2.5–5 per decade.
 */
export const DURATION_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  120,
  300,
];

/** A histogram's figures as the text format shows them. */
export interface HistogramSnapshot {
  /** The upper bounds, ascending, without `+Inf`. */
  readonly bounds: readonly number[];
  /** Observations at or below each bound (cumulative), then the `+Inf` bucket: `count`. */
  readonly cumulative: readonly number[];
  /** The sum of every observation. */
  readonly sum: number;
  /** The number of observations. */
  readonly count: number;
}

/**
 * Counts observations into fixed buckets.
 *
 * @example
 * ```ts
 * import { Histogram } from "./histogram.ts";
 * import assert from "node:assert/strict";
 *
 * const h = new Histogram([0.01, 1]);
 * h.observe(0.005);
 * h.observe(0.5);
 * h.observe(7);
 * assert.deepEqual(h.snapshot().cumulative, [1, 2, 3]);
 * assert.equal(h.snapshot().sum, 7.505);
 * ```
 */
export class Histogram {
  readonly #bounds: readonly number[];
  /** Observations in each bucket alone (not cumulative); the last is above every bound. */
  #counts: number[];
  #sum = 0;

  /**
   * Creates an empty histogram.
   *
   * @param bounds The buckets' upper bounds, ascending. @default DURATION_BUCKETS
   */
  constructor(bounds: readonly number[] = DURATION_BUCKETS) {
    this.#bounds = bounds;
    this.#counts = new Array(bounds.length + 1).fill(0);
  }

  /**
   * Counts one observation.
   *
   * @param value The value, such as a duration in seconds.
   */
  observe(value: number): void {
    let i = 0;
    while (i < this.#bounds.length && value > this.#bounds[i]) i++;
    this.#counts[i]++;
    this.#sum += value;
  }

  /**
   * The figures, with cumulative bucket counts as the text format wants them.
   *
   * @returns A copy that later observations do not change.
   */
  snapshot(): HistogramSnapshot {
    const cumulative: number[] = [];
    let running = 0;
    for (const n of this.#counts) cumulative.push(running += n);
    return { bounds: this.#bounds, cumulative, sum: this.#sum, count: running };
  }
}
