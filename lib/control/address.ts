/**
 * Where the control API listens: `--control HOST:PORT`, parsed as
 * `--dashboard` is, and loopback only unless `--public`, as every listener.
 *
 * @module
 */

import {
  type DashboardAddress,
  dashboardUrl,
  exposureReason,
  parseDashboardAddress,
} from "../dashboard/address.ts";
import { PUBLIC_FIX } from "../plan/exposure.ts";
import { quote } from "../spec/listen_spec_error.ts";

/** What {@linkcode planControl} decided. */
export interface ControlPlan {
  /** Where to serve the control API, or `null` for nowhere. */
  readonly address: DashboardAddress | null;
  /** Problems that stop muxd before anything is bound, one line each. */
  readonly errors: readonly string[];
  /** Lines to log as warnings. */
  readonly warnings: readonly string[];
}

/**
 * Decides whether and where to serve the control API: nowhere unless
 * `--control` is given; an address other hosts could reach needs `--public`.
 *
 * @param option The value of `--control`, if given.
 * @param allowPublic Whether `--public` was given.
 * @returns The decision, with any errors and warnings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planControl } from "./address.ts";
 * assert.deepEqual(planControl("127.0.0.1:0", false).address, { hostname: "127.0.0.1", port: 0 });
 * assert.equal(planControl("0.0.0.0:7081", false).errors.length, 1);
 * ```
 */
export function planControl(option: string | undefined, allowPublic: boolean): ControlPlan {
  if (option === undefined) return { address: null, errors: [], warnings: [] };
  let address: DashboardAddress;
  try {
    address = parseDashboardAddress(option, { what: "control address", flag: "--control" });
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return { address: null, errors: [error.message], warnings: [] };
  }
  const exposed = exposureReason(address.hostname);
  if (exposed === null) return { address, errors: [], warnings: [] };
  if (allowPublic) {
    return {
      address,
      errors: [],
      warnings: [
        `exposed to other hosts: the control API at ${dashboardUrl(address)} changes listeners ` +
        `for anyone who can reach this host and holds the token`,
      ],
    };
  }
  return {
    address: null,
    errors: [`Cannot use control address ${quote(option)} (--control): ${exposed}. ${PUBLIC_FIX}`],
    warnings: [],
  };
}
