/**
 * What faults one TCP connection gets: drawn once, when it is accepted, from
 * the listener's faults and the connection's own random stream.
 *
 * @module
 */

import type { TcpFaultKind } from "../events/fault_events.ts";
import type { TcpFaults } from "./faults.ts";
import type { Random } from "./random.ts";
import type { Trigger, WithChance } from "./units.ts";

/** The faults one TCP connection gets. A fault it does not get is `null` (`hang`: `false`). */
export interface TcpFaultPlan {
  /** Delay in ms of what the client sends. */
  readonly latencyInMs: number | null;
  /** Delay in ms of what the service sends. */
  readonly latencyOutMs: number | null;
  /** Up to this many ms either way added to each delayed chunk; 0 for none. */
  readonly jitterMs: number;
  /** Bytes a second at most from the client. */
  readonly bandwidthIn: number | null;
  /** Bytes a second at most to the client. */
  readonly bandwidthOut: number | null;
  /** What the service writes leaves in pieces of `bytes`, `delayMs` apart. */
  readonly slice: { readonly bytes: number; readonly delayMs: number } | null;
  /** Reset (RST) after bytes either way or ms since accept. */
  readonly resetAfter: Trigger | null;
  /** Close (FIN) after bytes either way or ms since accept. */
  readonly closeAfter: Trigger | null;
  /** Neither read, write nor close until the idle limit. */
  readonly hang: boolean;
  /** Stop reading after this many bytes from the client. */
  readonly stallAfter: number | null;
  /** The connection's random stream, for the jitter of each chunk. */
  readonly random: Random;
}

/** One fault chosen for a connection when it is accepted, as its `fault` event says it. */
export interface ChosenFault {
  /** The fault. */
  readonly fault: TcpFaultKind;
  /** What it does, in plain words: `100 ms in, 100 ms out ±10 ms`. */
  readonly detail: string;
}

/**
 * Draws the faults of one connection. Each fault the listener sets costs one
 * `chance()`, always in this order, so that the n-th connection of a seed
 * gets the same faults in every run: latency in, latency out, bandwidth in,
 * bandwidth out, slice, reset-after, close-after, hang, stall-after. The
 * jitter of each chunk is drawn later from the same stream.
 *
 * @param faults The listener's TCP faults.
 * @param random The connection's own random stream.
 * @returns The connection's faults, or `null` when it gets none (then it
 *   goes through muxd exactly as without faults).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { faultsFrom, planTcpConnection, Random } from "./mod.ts";
 *
 * const faults = faultsFrom({ latency: "50", hang: "0" }, "tcp");
 * assert.ok(faults?.transport === "tcp");
 * const plan = planTcpConnection(faults.tcp, new Random(1, 1));
 * assert.equal(plan?.latencyOutMs, 50);
 * assert.equal(plan?.hang, false);
 * ```
 */
export function planTcpConnection(faults: TcpFaults, random: Random): TcpFaultPlan | null {
  const latencyInMs = pick(faults.latencyIn, random);
  const latencyOutMs = pick(faults.latencyOut, random);
  const bandwidthIn = pick(faults.bandwidthIn, random);
  const bandwidthOut = pick(faults.bandwidthOut, random);
  const sliceBytes = pick(faults.slice, random);
  const resetAfter = pick(faults.resetAfter, random);
  const closeAfter = pick(faults.closeAfter, random);
  const hang = faults.hang > 0 && random.chance(faults.hang);
  const stallAfter = pick(faults.stallAfter, random);
  if (
    latencyInMs === null && latencyOutMs === null && bandwidthIn === null &&
    bandwidthOut === null && sliceBytes === null && resetAfter === null &&
    closeAfter === null && !hang && stallAfter === null
  ) return null;
  return {
    latencyInMs,
    latencyOutMs,
    jitterMs: faults.jitterMs,
    bandwidthIn,
    bandwidthOut,
    slice: sliceBytes === null ? null : { bytes: sliceBytes, delayMs: faults.sliceDelayMs },
    resetAfter,
    closeAfter,
    hang,
    stallAfter,
    random,
  };
}

/** The fault's value for this connection, or `null` when it is not set or not drawn. */
function pick<T>(fault: WithChance<T> | null, random: Random): T | null {
  return fault !== null && random.chance(fault.chance) ? fault.value : null;
}

/**
 * The faults a connection shows from its accept on, one `fault` event each:
 * latency, bandwidth, slice and hang. A hanging connection shows only its
 * hang: nothing else happens to it. Reset, close and stall have their event
 * when they act.
 *
 * @param plan The connection's faults.
 * @param idleMs The listener's idle limit, which ends a hang.
 * @returns The chosen faults, in words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptedFaults, faultsFrom, planTcpConnection, Random } from "./mod.ts";
 *
 * const faults = faultsFrom({ latency: "100", jitter: "10", "bandwidth-out": "10000" }, "tcp");
 * assert.ok(faults?.transport === "tcp");
 * const plan = planTcpConnection(faults.tcp, new Random(1, 1))!;
 * assert.deepEqual(acceptedFaults(plan, 300_000), [
 *   { fault: "latency", detail: "100 ms in, 100 ms out ±10 ms" },
 *   { fault: "bandwidth", detail: "10,000 B/s out" },
 * ]);
 * ```
 */
export function acceptedFaults(plan: TcpFaultPlan, idleMs: number): ChosenFault[] {
  if (plan.hang) {
    return [{ fault: "hang", detail: `hangs until idle (${thousands(idleMs / 1000)} s)` }];
  }
  const chosen: ChosenFault[] = [];
  const latency = ways(plan.latencyInMs, plan.latencyOutMs, "ms");
  if (latency !== "") {
    const jitter = plan.jitterMs > 0 ? ` ±${thousands(plan.jitterMs)} ms` : "";
    chosen.push({ fault: "latency", detail: latency + jitter });
  }
  const bandwidth = ways(plan.bandwidthIn, plan.bandwidthOut, "B/s");
  if (bandwidth !== "") chosen.push({ fault: "bandwidth", detail: bandwidth });
  if (plan.slice !== null) {
    chosen.push({
      fault: "slice",
      detail: `pieces of ${thousands(plan.slice.bytes)} B, ` +
        `${thousands(plan.slice.delayMs)} ms apart`,
    });
  }
  return chosen;
}

/** `100 ms in, 100 ms out`, `10,000 B/s out`, or `""` when neither way has it. */
function ways(inward: number | null, outward: number | null, unit: string): string {
  const parts: string[] = [];
  if (inward !== null) parts.push(`${thousands(inward)} ${unit} in`);
  if (outward !== null) parts.push(`${thousands(outward)} ${unit} out`);
  return parts.join(", ");
}

/**
 * What a reset-after or close-after trigger did, in words: `reset after 4,096 B`.
 *
 * @param verb `reset` or `closed`.
 * @param trigger The trigger that fired.
 * @returns The words, for the `fault` event and the close detail.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { triggerWords } from "./tcp_plan.ts";
 *
 * assert.equal(triggerWords("closed", { ms: 500 }), "closed after 500 ms");
 * ```
 */
export function triggerWords(verb: "reset" | "closed", trigger: Trigger): string {
  return trigger.bytes !== undefined
    ? `${verb} after ${thousands(trigger.bytes)} B`
    : `${verb} after ${thousands(trigger.ms)} ms`;
}

/**
 * A number with a comma between thousands: `4,096`, `0.5`.
 *
 * @param n The number.
 * @returns It, as text.
 */
export function thousands(n: number): string {
  // What `n.toLocaleString("en-US", { maximumFractionDigits: 3 })` writes,
  // without Intl, which costs tens of µs a call: this runs at every accept.
  const rounded = Math.round(Math.abs(n) * 1000) / 1000;
  if (!Number.isFinite(rounded) || rounded >= 1e21) {
    return n.toLocaleString("en-US", { maximumFractionDigits: 3 });
  }
  const [whole, fraction] = rounded.toFixed(3).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ",");
  const decimals = fraction.replace(/0+$/, "");
  const sign = n < 0 ? "-" : "";
  return sign + grouped + (decimals === "" ? "" : "." + decimals);
}
