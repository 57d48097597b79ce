/**
 * RateLimiter: a token bucket per key. Checks the burst, the refill at `rate`
 * tokens a second (with explicit times, no waiting), the cap at `burst`, that
 * keys are independent, and that at most `maxKeys` keys are remembered, the
 * least recently used forgotten first.
 */

import assert from "node:assert/strict";
import { RateLimiter } from "../../lib/guard/mod.ts";

/** Takes `count` tokens for `key` at time `now` and returns how many were granted. */
function takeMany(limiter: RateLimiter, key: string, count: number, now: number): number {
  let granted = 0;
  for (let i = 0; i < count; i++) if (limiter.take(key, now)) granted++;
  return granted;
}

const BURSTS: readonly { rate: number; burst: number }[] = [
  { rate: 1, burst: 1 },
  { rate: 1, burst: 2 },
  { rate: 5, burst: 10 },
  { rate: 200, burst: 400 },
];

for (const { rate, burst } of BURSTS) {
  Deno.test(`RateLimiter.take() grants a burst of ${burst} at once at rate ${rate}, then refuses`, () => {
    const limiter = new RateLimiter({ rate, burst });
    assert.equal(takeMany(limiter, "192.0.2.1", burst, 0), burst);
    assert.equal(limiter.take("192.0.2.1", 0), false);
  });
}

const REFILLS: readonly {
  rate: number;
  burst: number;
  /** Milliseconds after the burst was spent. */
  after: number;
  granted: number;
}[] = [
  { rate: 1, burst: 2, after: 0, granted: 0 },
  { rate: 1, burst: 2, after: 999, granted: 0 },
  { rate: 1, burst: 2, after: 1000, granted: 1 },
  { rate: 1, burst: 2, after: 2000, granted: 2 },
  // Never more than the burst, however long the key was quiet.
  { rate: 1, burst: 2, after: 3_600_000, granted: 2 },
  { rate: 10, burst: 20, after: 100, granted: 1 },
  { rate: 10, burst: 20, after: 550, granted: 5 },
  { rate: 10, burst: 20, after: 60_000, granted: 20 },
];

for (const { rate, burst, after, granted } of REFILLS) {
  Deno.test(
    `RateLimiter.take() at rate ${rate}, burst ${burst} gives ${granted} token(s) back ${after} ms after the burst`,
    () => {
      const limiter = new RateLimiter({ rate, burst });
      assert.equal(takeMany(limiter, "k", burst, 1000), burst);
      assert.equal(takeMany(limiter, "k", burst + 5, 1000 + after), granted);
    },
  );
}

Deno.test("RateLimiter.take() keeps a key's partial tokens between calls", () => {
  const limiter = new RateLimiter({ rate: 1, burst: 1 });
  assert.equal(limiter.take("k", 0), true);
  // Half a token at 500 ms is not enough, but it is kept: the other half comes by 1000 ms.
  assert.equal(limiter.take("k", 500), false);
  assert.equal(limiter.take("k", 1000), true);
  assert.equal(limiter.take("k", 1000), false);
});

Deno.test("RateLimiter.take() counts each key on its own", () => {
  const limiter = new RateLimiter({ rate: 1, burst: 2 });
  assert.equal(takeMany(limiter, "192.0.2.1", 5, 0), 2);
  assert.equal(takeMany(limiter, "192.0.2.2", 5, 0), 2);
  assert.equal(takeMany(limiter, "192.0.2.1", 5, 0), 0);
});

Deno.test("RateLimiter remembers 10,000 keys by default and no more", () => {
  const limiter = new RateLimiter({ rate: 1, burst: 1 });
  for (let i = 0; i < 12_000; i++) limiter.take(`key-${i}`, 0);
  assert.equal(limiter.size, 10_000);
});

Deno.test("RateLimiter forgets the least recently used key first when maxKeys is reached", () => {
  const limiter = new RateLimiter({ rate: 1, burst: 1, maxKeys: 2 });
  assert.equal(limiter.take("a", 0), true);
  assert.equal(limiter.take("b", 0), true);
  // "a" is used again (refused, but used): "b" is now the least recently used.
  assert.equal(limiter.take("a", 0), false);
  assert.equal(limiter.take("c", 0), true);
  assert.equal(limiter.size, 2);
  // "a" is still remembered, and still spent.
  assert.equal(limiter.take("a", 0), false);
  // "b" was forgotten: it starts again with a full bucket (more lenient, never stricter).
  assert.equal(limiter.take("b", 0), true);
  assert.equal(limiter.size, 2);
});

Deno.test("RateLimiter stays bounded under a flood of distinct spoofed sources", () => {
  const limiter = new RateLimiter({ rate: 1, burst: 1, maxKeys: 100 });
  for (let i = 0; i < 5000; i++) assert.equal(limiter.take(`198.51.100.${i}`, i), true);
  assert.equal(limiter.size, 100);
});
