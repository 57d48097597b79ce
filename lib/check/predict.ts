/**
 * `check`: predict every bind problem of a plan without binding anything.
 *
 * @module
 */

import type { PlannedListener } from "../plan/plan.ts";
import type { HostFacts } from "./host_facts.ts";
import {
  conflictFinding,
  conflictRule,
  type Finding,
  separateTransportsNote,
  singleFindings,
} from "./rules.ts";
import { wildcardNotes } from "./wildcard_notes.ts";

/**
 * Applies every rule to every listener and every pair of listeners, in plan
 * order. A later listener that conflicts with an earlier one is the one
 * reported as failing, as it would be when binding in order.
 *
 * @param listeners The planned listeners.
 * @param facts The host facts.
 * @param options `allowPublic`: whether `--public` was given.
 * @returns Every finding, errors and warnings and notes, in plan order.
 *
 * @example
 * ```ts
 * import { buildPlan } from "../plan/mod.ts";
 * import { predict, readHostFacts } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { plan } = buildPlan([
 *   { text: "tcp://0.0.0.0:7007=echo", source: { kind: "argument", index: 2 } },
 *   { text: "tcp://127.0.0.1:7007=whoami", source: { kind: "argument", index: 4 } },
 * ]);
 * const findings = predict(plan.listeners, await readHostFacts());
 * // 0.0.0.0 answers other hosts, and it holds 7007 on 127.0.0.1 too.
 * assert.deepEqual(findings.map((f) => f.rule), ["public-address", "ipv4-wildcard"]);
 * ```
 */
export function predict(
  listeners: readonly PlannedListener[],
  facts: HostFacts,
  options: { readonly allowPublic?: boolean } = {},
): Finding[] {
  const out: Finding[] = [];
  // Group by port first: conflicts need the same port, and 10,000 listeners
  // must not mean 50 million pairs.
  const byPort = new Map<number, PlannedListener[]>();
  // A UDP wildcard bound per address is exposed once, not once per socket.
  const exposedWildcards = new Set<string>();
  for (const l of listeners) {
    const single = singleFindings(l, facts, options.allowPublic);
    out.push(...single.filter((f) =>
      f.rule !== "public-address" || l.wildcard === null ||
      (!exposedWildcards.has(l.origin) && exposedWildcards.add(l.origin))
    ));
    if (l.port === 0) continue;
    const earlier = byPort.get(l.port) ?? [];
    for (const e of earlier) {
      const rule = conflictRule(l, e, facts);
      if (rule) out.push(conflictFinding(rule, l, e));
      else if (e.transport !== l.transport && e.hostname === l.hostname) {
        out.push(
          e.transport === "tcp" ? separateTransportsNote(e, l) : separateTransportsNote(l, e),
        );
      }
    }
    earlier.push(l);
    byPort.set(l.port, earlier);
  }
  out.push(...wildcardNotes(listeners));
  return out;
}
