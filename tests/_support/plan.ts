/**
 * Plans for tests that start a server in-process: spec texts in, a plan out.
 *
 * @module
 */

import assert from "node:assert/strict";
import { buildPlan, type Plan } from "../../lib/plan/mod.ts";

/**
 * Plans listen specs given as command-line arguments 1, 2, ...
 *
 * @param texts Listen specs, such as `"tcp://127.0.0.1:0=echo"`.
 * @returns The plan.
 * @throws {assert.AssertionError} When a spec does not plan, naming its errors.
 */
export function planOf(...texts: string[]): Plan {
  const { plan, errors } = buildPlan(
    texts.map((text, i) => ({ text, source: { kind: "argument", index: i + 1 } })),
  );
  assert.deepEqual(errors, []);
  return plan;
}
