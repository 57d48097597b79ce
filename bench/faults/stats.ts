/**
 * Small statistics for the precision benchmark: quantiles and the binomial
 * bound of an observed rate.
 *
 * @module
 */

/**
 * The `q` quantile of `values` (nearest rank).
 *
 * @param values The sample; not changed.
 * @param q From 0 to 1.
 * @returns The value, or `NaN` for an empty sample.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * How far an observed rate may be from `p` over `n` trials and still be
 * that probability: 4 standard deviations of the binomial proportion.
 *
 * @param p The probability.
 * @param n The number of trials.
 * @returns The bound, as a rate.
 */
export function binomialBound(p: number, n: number): number {
  return 4 * Math.sqrt(p * (1 - p) / n);
}
