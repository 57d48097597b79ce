/**
 * Seeded randomness for faults: the same seed gives the same choices, so a
 * test that fails fails the same way again.
 *
 * @module
 */

/**
 * A small, fast pseudo-random generator (xoshiro128**, seeded through
 * SplitMix32). Not for secrets; for choosing which connection or datagram a
 * fault hits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Random } from "./random.ts";
 *
 * const a = new Random(7);
 * const b = new Random(7);
 * assert.equal(a.next(), b.next());
 * assert.ok(a.next() < 1);
 * ```
 */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /**
   * Creates a generator.
   *
   * @param seed Any whole number; only its low 32 bits count.
   * @param stream A second number mixed in, such as a connection's ordinal:
   *   each stream of one seed is its own repeatable sequence. @default 0
   */
  constructor(seed: number, stream = 0) {
    let s = (seed ^ Math.imul(stream, 0x9e3779b9)) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next() || 1;
  }

  /**
   * The next number.
   *
   * @returns A number from 0 (included) to 1 (excluded).
   */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result / 4294967296;
  }

  /**
   * Tells whether an event of probability `p` happens this time. A
   * probability of 1 is always true and of 0 always false, without drawing.
   *
   * @param p The probability, from 0 to 1.
   * @returns `true` with probability `p`.
   */
  chance(p: number): boolean {
    if (p >= 1) return true;
    if (p <= 0) return false;
    return this.next() < p;
  }

  /**
   * A whole number from 0 to `n - 1`.
   *
   * @param n How many values there are, at least 1.
   * @returns The number.
   */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A seed for a listener whose spec sets none: random, and shown in the log
 * so that a run can be repeated with `seed=N`.
 *
 * @returns A whole number from 0 to 2³² − 1.
 */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
