/**
 * How `muxd serve` turns the dashboard on: bind it where the plan says, and
 * decide what a bind failure means (stop, or go on without it).
 *
 * @module
 */

import type { DashboardAddress, DashboardPlan } from "./address.ts";
import { type Dashboard, DashboardBindError, serveDashboard, type Subscribable } from "./server.ts";

/** What {@linkcode openDashboard} did. */
export interface OpenedDashboard {
  /** The running dashboard, or `null` when there is none. */
  readonly dashboard: Dashboard | null;
  /** Why there is no dashboard, as a line to log; `null` when all went to plan. */
  readonly message: string | null;
  /**
   * `true` when muxd must stop with exit code 1: the dashboard was asked for
   * with `--dashboard`, could not be bound, and `--keep-going` is off.
   */
  readonly fatal: boolean;
}

/**
 * Binds the planned dashboard and subscribes it to the event stream. Call it
 * before `start()`. A dashboard asked for with `--dashboard` that cannot be
 * bound is a bind failure like any other; the demo set's dashboard is not:
 * muxd says so and goes on without it.
 *
 * @param plan What {@linkcode planDashboard} decided.
 * @param events The event stream, such as an `EventHub`.
 * @param keepGoing Whether muxd serves what binds when something fails.
 * @param warn Where the running dashboard reports what it survives (such as
 *   running out of file descriptors), one line each.
 * @param whoHolds Says who holds the address when it is in use, as a sentence.
 * @returns The dashboard, or why there is none and whether to stop.
 *
 * @example
 * ```ts
 * import { EventHub } from "../events/mod.ts";
 * import { openDashboard, planDashboard } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const plan = planDashboard("127.0.0.1:0", { demo: false, allowPublic: false });
 * const { dashboard } = await openDashboard(plan, new EventHub(), false);
 * assert.match(dashboard?.url ?? "", /^http:\/\/127\.0\.0\.1:\d+\/$/);
 * await dashboard?.close();
 * ```
 */
export async function openDashboard(
  plan: DashboardPlan,
  events: Subscribable,
  keepGoing: boolean,
  warn?: (message: string) => void,
  whoHolds?: (address: DashboardAddress) => Promise<string>,
): Promise<OpenedDashboard> {
  if (plan.address === null) return { dashboard: null, message: null, fatal: false };
  try {
    return {
      dashboard: serveDashboard(events, { ...plan.address, warn }),
      message: null,
      fatal: false,
    };
  } catch (error) {
    if (!(error instanceof DashboardBindError)) throw error;
    const who = error.code === "EADDRINUSE" && whoHolds !== undefined
      ? ` ${await whoHolds(plan.address)}`
      : "";
    const why = `${error.message}${who}`;
    if (!plan.required) {
      return {
        dashboard: null,
        message: `${why} The demo set goes on without a dashboard.`,
        fatal: false,
      };
    }
    return keepGoing
      ? {
        dashboard: null,
        message: `${why} Going on without it.`,
        fatal: false,
      }
      : {
        dashboard: null,
        message: `${why} Nothing is being served (use --keep-going to serve without ` +
          `the dashboard).`,
        fatal: true,
      };
  }
}
