/**
 * Every kind of fault, in the order muxd shows them: TCP's, then UDP's, each
 * in the order a connection or a datagram draws them.
 *
 * @module
 */

import type { FaultKind } from "../events/fault_events.ts";

/**
 * Every fault kind once, in the order summaries, stats and the dashboard
 * list them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FAULT_KINDS } from "./kinds.ts";
 *
 * assert.equal(FAULT_KINDS.indexOf("drop") < FAULT_KINDS.indexOf("duplicate"), true);
 * ```
 */
export const FAULT_KINDS = [
  "latency",
  "bandwidth",
  "slice",
  "reset",
  "close",
  "hang",
  "stall",
  "drop",
  "truncate",
  "corrupt",
  "duplicate",
  "reorder",
  "delay",
] as const satisfies readonly FaultKind[];

// Every kind is in the list: this line fails to type-check when one is missing.
const _everyKind: readonly (typeof FAULT_KINDS)[number][] = [] as FaultKind[];

/** How many faults of each kind hit, by kind; a kind that never hit is absent. */
export type FaultCounts = Partial<Record<FaultKind, number>>;

/**
 * Counts as words, in {@linkcode FAULT_KINDS} order: `5,012 drop, 12 duplicate`.
 *
 * @param counts How many faults of each kind.
 * @returns The text, or `""` when there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFaultCounts } from "./kinds.ts";
 *
 * assert.equal(formatFaultCounts({ duplicate: 12, drop: 5012 }), "5,012 drop, 12 duplicate");
 * ```
 */
export function formatFaultCounts(counts: FaultCounts): string {
  return FAULT_KINDS
    .filter((kind) => (counts[kind] ?? 0) > 0)
    .map((kind) => `${counts[kind]!.toLocaleString("en-US")} ${kind}`)
    .join(", ");
}
