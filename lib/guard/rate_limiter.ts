/**
 * Token buckets per key (a source address), bounded in how many keys it
 * remembers, so that a flood of spoofed sources cannot exhaust memory.
 *
 * @module
 */

/**
 * A rate limit per key: each key may take `rate` tokens a second, with
 * bursts up to `burst`. Limits are temporary by nature: a key that stops
 * sending is full again after `burst / rate` seconds.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./rate_limiter.ts";
 * import assert from "node:assert/strict";
 *
 * const limiter = new RateLimiter({ rate: 1, burst: 2 });
 * assert.equal(limiter.take("192.0.2.1", 0), true);
 * assert.equal(limiter.take("192.0.2.1", 0), true);
 * assert.equal(limiter.take("192.0.2.1", 0), false); // the burst is spent
 * assert.equal(limiter.take("192.0.2.1", 1000), true); // one token came back in a second
 * ```
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  #buckets = new Map<string, TokenBucket>();

  /**
   * Creates an empty limiter.
   *
   * @param options `rate` tokens a second, `burst` at most, and how many keys
   *   to remember (the least recently used are forgotten first, which only
   *   ever makes the limit more lenient).
   */
  constructor(options: { rate: number; burst: number; maxKeys?: number }) {
    this.#rate = options.rate;
    this.#burst = options.burst;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /**
   * Takes one token for `key`, if there is one.
   *
   * @param key Such as a source address.
   * @param now The time in milliseconds. @default performance.now()
   * @returns `true` when allowed, `false` when the key is over its rate.
   */
  take(key: string, now: number = performance.now()): boolean {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
      bucket = { tokens: this.#burst, at: now };
    } else {
      this.#buckets.delete(key);
    }
    // Re-inserting keeps the map in least-recently-used order.
    this.#buckets.set(key, bucket);
    return takeToken(bucket, now, this.#rate, this.#burst);
  }

  /** How many keys it remembers now. */
  get size(): number {
    return this.#buckets.size;
  }
}

/** A token bucket: the tokens it held at time `at`, in milliseconds. */
export interface TokenBucket {
  /** Tokens at `at`. */
  tokens: number;
  /** When `tokens` was counted, in milliseconds. */
  at: number;
}

/**
 * The tokens a bucket holds at `now`: it refills at `rate` a second, up to `burst`.
 *
 * @param bucket The bucket.
 * @param now The time in milliseconds.
 * @param rate Tokens a second.
 * @param burst Tokens at most.
 * @returns How many tokens, possibly fractional.
 */
export function tokensAt(bucket: TokenBucket, now: number, rate: number, burst: number): number {
  return Math.min(burst, bucket.tokens + (now - bucket.at) * rate / 1000);
}

/**
 * Takes one token from a bucket at `now`, if it holds one.
 *
 * @param bucket The bucket; updated.
 * @param now The time in milliseconds.
 * @param rate Tokens a second.
 * @param burst Tokens at most.
 * @returns `true` when a token was taken.
 */
export function takeToken(bucket: TokenBucket, now: number, rate: number, burst: number): boolean {
  bucket.tokens = tokensAt(bucket, now, rate, burst);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
