/**
 * Loopback by default, for what muxd sends to as well as what it binds: a
 * relay's upstream outside loopback needs `--public`, as a listener other
 * hosts could reach does.
 *
 * @module
 */

import { formatSource } from "../spec/mod.ts";
import { PlanError, type PlannedListener } from "./plan.ts";

import { formatUpstream, isOutsideLoopback, type Upstream } from "../services/upstream.ts";

/** The upstream of a listener whose service relays (`forward`'s `to`), or `null`. */
export function upstreamOf(l: PlannedListener): Upstream | null {
  const to = l.options.to;
  return typeof to === "object" && to !== null && "host" in to ? to as Upstream : null;
}

/**
 * Applies the loopback-by-default rule to relays' upstreams: without
 * `allowPublic`, each upstream outside loopback is an error naming its spec
 * and position; with it, a warning.
 *
 * @param listeners The planned listeners.
 * @param allowPublic Whether `--public` (or `"public": true`) was given.
 * @returns The errors (when not allowed) and the warnings (when allowed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "./plan.ts";
 * import { checkUpstreams } from "./upstream_exposure.ts";
 *
 * const { plan } = buildPlan([{
 *   text: "tcp://127.0.0.1:7200=forward?to=192.0.2.1:80",
 *   source: { kind: "argument", index: 2 },
 * }]);
 * assert.equal(checkUpstreams(plan.listeners, false).errors.length, 1);
 * assert.equal(checkUpstreams(plan.listeners, true).warnings.length, 1);
 * ```
 */
export function checkUpstreams(
  listeners: readonly PlannedListener[],
  allowPublic: boolean,
): { errors: PlanError[]; warnings: string[] } {
  const errors: PlanError[] = [];
  const warnings: string[] = [];
  const reported = new Set<string>();
  for (const l of listeners) {
    const to = upstreamOf(l);
    if (to === null || !isOutsideLoopback(to) || reported.has(l.origin)) continue;
    reported.add(l.origin);
    const where = formatUpstream(to);
    if (allowPublic) {
      warnings.push(
        `relaying beyond this host: ${l.origin} (${formatSource(l.source)}) sends to ${where}`,
      );
    } else {
      const why = to.host.kind === "name"
        ? `its upstream ${where} is a host name that may resolve beyond loopback`
        : `its upstream ${where} is not a loopback address: muxd would send to another host`;
      errors.push(new PlanError(l.origin, l.source, `${why}. ${UPSTREAM_FIX}`));
    }
  }
  return { errors, warnings };
}

/** How to allow an upstream outside loopback. */
const UPSTREAM_FIX = `muxd relays to loopback only unless you pass --public ` +
  `(or "public": true in the config file)`;
