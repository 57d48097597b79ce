/**
 * Small statistics for the load benchmark: medians over rounds and
 * percentiles over latencies.
 *
 * @module
 */

/**
 * The median of some numbers (the mean of the middle two for an even count).
 *
 * @param values The numbers; not changed.
 * @returns The median, or `NaN` for none.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The value at fraction `p` of sorted numbers (nearest rank).
 *
 * @param sorted Numbers in ascending order.
 * @param p From 0 to 1, such as 0.99.
 * @returns The percentile, or 0 for none.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.round(p * (sorted.length - 1))];
}
