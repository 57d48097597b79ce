import assert from "node:assert/strict";
import { elapsedMs } from "../../lib/events/elapsed.ts";

Deno.test("elapsedMs() gives milliseconds to the microsecond, written with at most three decimals", () => {
  const cases: [since: number, now: number, ms: number][] = [
    [16.773158, 20.037993000000005, 3.265], // 3.264835000000005 before rounding
    [0.1, 0.3, 0.2], // 0.19999999999999998
    [1, 1.0004, 0],
    [1, 1.0006, 0.001],
    [0, 86_400_000.123456, 86_400_000.123],
    [5, 5, 0],
  ];
  for (const [since, now, ms] of cases) {
    const elapsed = elapsedMs(since, now);
    assert.equal(elapsed, ms, `${now} - ${since}`);
    assert.match(String(elapsed), /^\d+(\.\d{1,3})?$/);
  }
});

Deno.test("elapsedMs() measures up to now by default", async () => {
  const since = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(elapsedMs(since) >= 4);
});
