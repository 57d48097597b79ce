/**
 * How a reload's plan meets the listeners that run: which stay, which take
 * the config's new faults, which close, which bind, and which listeners
 * added through the API give their socket name up to the config.
 *
 * @module
 */

import {
  type Plan,
  type PlannedListener,
  sameFaults,
  sameListener,
  sameSocketName,
} from "../plan/plan.ts";
import type { ListenerOrigin } from "../events/event.ts";

/** A running listener, as a reload sees it. */
export interface ReconcilableListener {
  /** Who made it. */
  readonly origin: ListenerOrigin;
  /** For `config`: the listener as the config planned it, its faults included; `null` for `api`. */
  readonly config: PlannedListener | null;
  /** The listener in force: the config's, with the faults the API set if it did. */
  readonly current: PlannedListener;
  /**
   * The port its socket has: for a listener planned with port 0, the one
   * the OS picked, which a reload's plan may now name. @default the planned port
   */
  readonly port?: number;
}

/** What a reload does to the running listeners. */
export interface Reconciled<R extends ReconcilableListener> {
  /**
   * Config listeners that stay as they are, faults set through the API
   * included, each with the plan's listener that is the same.
   */
  readonly kept: readonly (readonly [R, PlannedListener])[];
  /**
   * Config listeners that stay with the config's new faults: the config
   * changed that listener's fault options, so its faults win over any the
   * API set.
   */
  readonly refaulted: readonly (readonly [R, PlannedListener])[];
  /** Planned listeners to bind. */
  readonly added: readonly PlannedListener[];
  /** Running listeners to close: config listeners the plan no longer has, and `takenOver`'s. */
  readonly removed: readonly R[];
  /** Listeners added through the API whose socket name the plan now binds; the plan's replaces each. */
  readonly takenOver: readonly (readonly [R, PlannedListener])[];
}

/**
 * Matches a reload's plan against the running listeners. The plan replaces
 * the config's listeners only:
 *
 * - a config listener the plan has again (the same socket name, service,
 *   options and limits) stays with its socket and connections; if the plan
 *   changes its fault options, the plan's faults replace what it has (those
 *   the API set included), else it keeps them (those the API set included);
 * - a config listener the plan no longer has closes;
 * - a listener added through the API stays, unless the plan binds its
 *   socket name: then the plan's listener replaces it.
 *
 * @param running The running listeners.
 * @param plan The reload's plan.
 * @returns What to keep, change, close and bind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "../plan/mod.ts";
 * import { reconcile } from "./reconcile.ts";
 *
 * const at = (text: string) =>
 *   buildPlan([{ text, source: { kind: "argument", index: 1 } }]).plan.listeners[0];
 * const config = at("tcp://127.0.0.1:7100=echo");
 * const api = at("tcp://127.0.0.1:7200=echo");
 * const r = reconcile([
 *   { origin: "config", config, current: config },
 *   { origin: "api", config: null, current: api },
 * ], { listeners: [at("tcp://127.0.0.1:7200=whoami")] });
 * assert.equal(r.removed.length, 2); // the config's 7100, and the API's 7200, taken over
 * assert.equal(r.takenOver[0][0].current, api);
 * assert.equal(r.added[0].service, "whoami");
 * ```
 */
export function reconcile<R extends ReconcilableListener>(
  running: readonly R[],
  plan: Plan,
): Reconciled<R> {
  const unmatched = running.filter((r) => r.origin === "config");
  const kept: [R, PlannedListener][] = [];
  const refaulted: [R, PlannedListener][] = [];
  const added: PlannedListener[] = [];
  for (const l of plan.listeners) {
    let i = unmatched.findIndex((r) => sameBound(r, l) && sameFaults(r.config!, l));
    if (i !== -1) kept.push([unmatched[i], l]);
    else {
      // The config changed its faults: they replace those in force, on the
      // same socket (bound anew on its port when they add or remove resets).
      i = unmatched.findIndex((r) => sameBound(r, l));
      if (i !== -1) refaulted.push([unmatched[i], l]);
    }
    if (i === -1) added.push(l);
    else unmatched.splice(i, 1);
  }
  const takenOver: [R, PlannedListener][] = [];
  for (const r of running) {
    if (r.origin !== "api") continue;
    const l = added.find((l) => sameSocketName(r.current, l));
    if (l !== undefined) takenOver.push([r, l]);
  }
  return {
    kept,
    refaulted,
    added,
    removed: [...unmatched, ...takenOver.map(([r]) => r)],
    takenOver,
  };
}

/**
 * Whether a running config listener is the plan's listener: the same as
 * planned, or planned with port 0 and now named by the port the OS gave it
 * (a config that pins the port its socket already has keeps that socket).
 */
function sameBound(r: ReconcilableListener, l: PlannedListener): boolean {
  const planned = r.config!;
  if (sameListener(planned, l)) return true;
  return planned.port === 0 && l.port !== 0 && l.port === r.port &&
    sameListener({ ...planned, port: l.port }, l);
}
