/**
 * Why a bind failed, in plain words, whoever asks: `muxd serve` and a reload
 * (through the explainer they hand `start()`), and the dashboard. The rules
 * it names are those `muxd check` predicts with (`lib/check/rules.ts`).
 *
 * - {@linkcode plainReason}: from the OS error alone; reads nothing, runs
 *   nothing, so the running server and the dashboard use it as they are.
 * - {@linkcode explainBindFailure}: in full, with the host's rules, the
 *   listener of this muxd it conflicts with, or who holds the port.
 * - {@linkcode hostExplainer}: an {@linkcode ExplainBinds} that reads the
 *   host's facts and runs `ss` only when a bind fails.
 *
 * ```ts
 * import { hostExplainer } from "./mod.ts";
 * import { start } from "../server/mod.ts";
 * import { buildPlan } from "../plan/mod.ts";
 * import assert from "node:assert/strict";
 *
 * using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { plan } = buildPlan([{
 *   text: `tcp://127.0.0.1:${held.addr.port}=echo`,
 *   source: { kind: "argument", index: 2 },
 * }]);
 * await assert.rejects(
 *   start(plan, {
 *     explain: hostExplainer({
 *       holders: () => Promise.resolve({ text: "held by a test", fix: "stop the test." }),
 *     }),
 *   }),
 *   /address already in use: another socket holds tcp 127\.0\.0\.1:\d+, or a wildcard that covers it; held by a test\./,
 * );
 * ```
 *
 * @module
 */

export {
  type BindPurpose,
  type BindTarget,
  type ExplainBinds,
  explainPlainly,
  listenerTarget,
  plainReason,
} from "./plain.ts";
export { type DescribeHolders, explainBindFailure, type ExplainContext } from "./bind_failure.ts";
export { hostExplainer, type HostExplainerOptions, whoHolds } from "./host_explainer.ts";
export {
  alreadyRunningLine,
  findSoleHolder,
  type SoleHolder,
  type SoleHolderLookups,
} from "./already_running.ts";
