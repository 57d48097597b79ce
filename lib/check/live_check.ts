/**
 * `check` against the live system: who holds each planned socket name now,
 * looked up with `ss` as `serve` does to explain "address already in use".
 *
 * @module
 */

import { findHoldersOfEach, type HolderQuery, type HolderReport } from "../holder/mod.ts";
import type { FindHoldersOptions } from "../holder/mod.ts";
import type { PlannedListener } from "../plan/plan.ts";
import type { HostFacts } from "./host_facts.ts";
import { liveFinding } from "./live_rules.ts";
import type { Finding } from "./rules.ts";

/** Finds the holders of many socket names at once, as `findHoldersOfEach()` does. */
export type LookUpHolders = (
  queries: readonly HolderQuery[],
  options: FindHoldersOptions,
) => Promise<HolderReport[]>;

/**
 * What the look at the live system found: the findings, or why it could not
 * look. When it could not, nothing may be said about the sockets other
 * programs hold.
 */
export type LiveCheck =
  | { readonly checked: true; readonly findings: readonly Finding[] }
  | { readonly checked: false; readonly reason: string };

/**
 * Looks up who holds each planned socket name now and applies the rules of
 * {@linkcode liveFinding}. A listener on port 0 needs no lookup (the kernel
 * picks a free port), and a plan of only such listeners runs no `ss` at all.
 *
 * @param listeners The planned listeners.
 * @param facts The host facts.
 * @param lookUp How to find the holders. @default findHoldersOfEach
 * @returns The findings in plan order, or why the lookup was impossible
 *   (`ss` missing, not permitted, failed, or not Linux).
 *
 * @example A port this process holds
 * ```ts
 * import { checkLive, readHostFacts } from "./mod.ts";
 * import { buildPlan } from "../plan/mod.ts";
 * import assert from "node:assert/strict";
 *
 * using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { plan } = buildPlan([{
 *   text: `tcp://127.0.0.1:${held.addr.port}=echo`,
 *   source: { kind: "argument", index: 2 },
 * }]);
 * const live = await checkLive(plan.listeners, await readHostFacts());
 * if (live.checked) assert.equal(live.findings[0].rule, "in-use");
 * ```
 */
export async function checkLive(
  listeners: readonly PlannedListener[],
  facts: HostFacts,
  lookUp: LookUpHolders = findHoldersOfEach,
): Promise<LiveCheck> {
  const named = listeners.filter((l) => l.port !== 0);
  if (named.length === 0) return { checked: true, findings: [] };
  const queries = named.map((l) => ({ transport: l.transport, address: l.hostname, port: l.port }));
  const reports = await lookUp(queries, { bindV6Only: facts.bindV6Only });
  const failed = reports.find((r) => !r.supported);
  if (failed !== undefined) {
    return { checked: false, reason: failed.reason ?? "holder lookup is not supported here" };
  }
  const findings = named.flatMap((l, i) => liveFinding(l, reports[i].holders, facts) ?? []);
  return { checked: true, findings };
}
