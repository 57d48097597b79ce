/**
 * Loopback by default: which planned listeners other hosts could reach.
 *
 * @module
 */

import { formatSource, isLoopback, isWildcard } from "../spec/mod.ts";
import { PlanError, type PlannedListener } from "./plan.ts";
import { quote } from "../spec/listen_spec_error.ts";

/**
 * Tells whether other hosts could reach a listener: a wildcard, an address
 * outside loopback, or a host name other than `localhost`.
 *
 * @param l The planned listener.
 * @returns `true` when it is not loopback-only.
 */
export function isExposed(l: PlannedListener): boolean {
  // A UDP wildcard bound per address answers on every address, as the wildcard does.
  if (l.wildcard !== null) return true;
  if (l.family === null) return l.hostname !== "localhost";
  return !isLoopback(l.hostname);
}

/**
 * Applies the loopback-by-default rule: without `allowPublic`, each exposed
 * listener is an error; with it, each spec that has one (a port range,
 * an interface, a UDP wildcard: many sockets) is a warning to print.
 *
 * @param listeners The planned listeners.
 * @param allowPublic Whether `--public` (or `"public": true`) was given.
 * @returns The errors (when not allowed) and the warnings (when allowed).
 */
export function checkExposure(
  listeners: readonly PlannedListener[],
  allowPublic: boolean,
): { errors: PlanError[]; warnings: string[] } {
  const exposed = listeners.filter(isExposed);
  if (allowPublic) {
    // The sockets of one spec (a UDP wildcard bound per address, a port
    // range) are named once, by the spec as written.
    const specs = new Set<string>();
    const named = exposed.filter((l) => {
      const key = `${l.origin} ${formatSource(l.source)}`;
      return !specs.has(key) && specs.add(key);
    });
    return {
      errors: [],
      warnings: named.map((l) =>
        `exposed to other hosts: ${l.origin} (${formatSource(l.source)}) answers ${answered(l)}`
      ),
    };
  }
  const reported = new Set<string>();
  const errors: PlanError[] = [];
  for (const l of exposed) {
    if (reported.has(l.origin)) continue;
    reported.add(l.origin);
    errors.push(new PlanError(l.origin, l.source, `${exposureReason(l)}. ${PUBLIC_FIX}`));
  }
  return { errors, warnings: [] };
}

/**
 * Whom an exposed listener answers, as its `allow` and `deny` options
 * narrow it: `anyone who can reach this host`, `only peers in 127.0.0.0/8
 * (its allow option)`, or anyone `except peers in 192.0.2.0/24 (its deny
 * option)`.
 *
 * @param l A planned listener.
 * @returns A phrase that completes "it answers …".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "./plan.ts";
 * import { answered } from "./exposure.ts";
 *
 * const at = (text: string) =>
 *   buildPlan([{ text, source: { kind: "argument", index: 1 } }]).plan.listeners[0];
 * assert.equal(answered(at("tcp://0.0.0.0:7007=echo")), "anyone who can reach this host");
 * assert.equal(
 *   answered(at("tcp://0.0.0.0:7007=echo?allow=127.0.0.0/8")),
 *   "only peers in 127.0.0.0/8 (its allow option)",
 * );
 * ```
 */
export function answered(l: PlannedListener): string {
  const { allow, deny } = l.limits;
  const ranges = (list: typeof allow) => list.ranges.map((r) => r.text).join(", ");
  const except = deny.size === 0 ? "" : ` except peers in ${ranges(deny)} (its deny option)`;
  if (allow.size > 0) return `only peers in ${ranges(allow)} (its allow option)${except}`;
  return `anyone who can reach this host${except}`;
}

/** How to allow an exposed listener. */
export const PUBLIC_FIX: string = `muxd binds loopback addresses only unless you pass ` +
  `--public (or "public": true in the config file)`;

/**
 * Why a listener counts as exposed, in plain words.
 *
 * @param l An exposed listener.
 * @returns One sentence without a final period.
 */
export function exposureReason(l: PlannedListener): string {
  if (l.wildcard !== null) {
    return `${l.wildcard} is the wildcard: every address of this host (bound one UDP socket per ` +
      `address), reachable from other hosts`;
  }
  if (isWildcard(l.hostname)) {
    return `${l.hostname} is the wildcard: every address of this host, reachable from other hosts`;
  }
  if (l.family === null) {
    return `${quote(l.hostname)} is a host name that may resolve beyond loopback`;
  }
  return `${l.hostname} is not a loopback address: other hosts may reach it`;
}
