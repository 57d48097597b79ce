/**
 * Where the dashboard listens: `--dashboard HOST:PORT` parsed once, and the
 * same loopback-by-default rule as the listeners.
 *
 * @module
 */

import { parseHost } from "../spec/host.ts";
import { isLoopback, isWildcard, parseIPv4, parseIPv6 } from "../spec/ip.ts";
import { quote } from "../spec/listen_spec_error.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import { PUBLIC_FIX } from "../plan/exposure.ts";

/** The dashboard's address: a host (IP address without brackets, or a name) and a TCP port. */
export interface DashboardAddress {
  /** An IPv4 or IPv6 address without brackets, or a host name such as `localhost`. */
  readonly hostname: string;
  /** The TCP port; 0 lets the OS pick. */
  readonly port: number;
}

/** What messages about an address option call it. */
export interface AddressOption {
  /** Such as `dashboard address`. */
  readonly what: string;
  /** Such as `--dashboard`. */
  readonly flag: string;
}

const DASHBOARD_OPTION: AddressOption = { what: "dashboard address", flag: "--dashboard" };

/** Where the demo set puts the dashboard. */
export const DEMO_DASHBOARD: DashboardAddress = { hostname: "127.0.0.1", port: 7080 };

/**
 * Parses `HOST:PORT` as `--dashboard` takes it: `127.0.0.1:7080`,
 * `[::1]:7080`, `localhost:0`.
 *
 * @param text The option's value.
 * @param option What messages call it: `dashboard address (--dashboard)` unless told.
 * @returns The address; IP addresses in canonical form.
 * @throws {SyntaxError} When the text is not `HOST:PORT`, with the reason.
 *
 * @example
 * ```ts
 * import { parseDashboardAddress } from "./address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseDashboardAddress("[0::1]:7080"), { hostname: "::1", port: 7080 });
 * ```
 */
export function parseDashboardAddress(
  text: string,
  option: AddressOption = DASHBOARD_OPTION,
): DashboardAddress {
  const fail = (reason: string): never => {
    throw new SyntaxError(
      `Cannot parse ${option.what} ${quote(text)} (${option.flag}): ${reason}`,
    );
  };
  if (text.startsWith("[")) {
    // The port follows the bracket: without one, the last ":" is inside the address.
    const close = text.indexOf("]");
    if (close < 0) fail('missing "]" after the IPv6 address, such as [::1]:7080');
    if (text[close + 1] !== ":") fail(`write [ADDRESS]:PORT, such as [::1]:7080`);
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0) fail("write HOST:PORT, such as 127.0.0.1:7080");
  let hostText = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  const bracketed = hostText.startsWith("[") && hostText.endsWith("]");
  if (bracketed) hostText = hostText.slice(1, -1);
  else if (hostText.includes(":")) fail("put an IPv6 address in brackets, such as [::1]:7080");
  if (!/^[0-9]+$/.test(portText)) fail(`the port must be a number, not ${quote(portText)}`);
  const port = Number(portText);
  if (port > 65535) fail("the port must be <= 65535");
  const host = parseHost(hostText, bracketed, fail);
  return { hostname: host.kind === "name" ? host.name : host.address, port };
}

/**
 * The URL a browser opens for a dashboard address.
 *
 * @param address The bound address (port 0 resolved).
 * @returns Such as `http://127.0.0.1:7080/` or `http://[::1]:7080/`.
 *
 * @example
 * ```ts
 * import { dashboardUrl } from "./address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(dashboardUrl({ hostname: "::1", port: 7080 }), "http://[::1]:7080/");
 * ```
 */
export function dashboardUrl(address: DashboardAddress): string {
  return `http://${formatSocketName({ address: address.hostname, port: address.port })}/`;
}

/** What {@linkcode planDashboard} decided. */
export interface DashboardPlan {
  /** Where to serve it, or `null` for no dashboard. */
  readonly address: DashboardAddress | null;
  /**
   * `true` when it was asked for with `--dashboard`: failing to bind it is
   * then a bind failure like any other. `false` for the demo set's
   * dashboard, which muxd goes on without.
   */
  readonly required: boolean;
  /** Problems that stop muxd before anything is bound, one line each. */
  readonly errors: readonly string[];
  /** Lines to log as warnings. */
  readonly warnings: readonly string[];
}

/**
 * Decides whether and where to serve the dashboard: at `--dashboard` when
 * given, else at {@linkcode DEMO_DASHBOARD} for the demo set, else not at
 * all. An address other hosts could reach needs `allowPublic`.
 *
 * @param option The value of `--dashboard`, if given.
 * @param context Whether the demo set is served and `--public` was given.
 * @returns The decision, with any errors and warnings.
 *
 * @example
 * ```ts
 * import { planDashboard } from "./address.ts";
 * import assert from "node:assert/strict";
 *
 * const { errors } = planDashboard("0.0.0.0:7080", { demo: false, allowPublic: false });
 * assert.equal(errors.length, 1); // other hosts could reach it, and --public is not given
 * ```
 */
export function planDashboard(
  option: string | undefined,
  context: { readonly demo: boolean; readonly allowPublic: boolean },
): DashboardPlan {
  if (option === undefined) {
    return {
      address: context.demo ? DEMO_DASHBOARD : null,
      required: false,
      errors: [],
      warnings: [],
    };
  }
  let address: DashboardAddress;
  try {
    address = parseDashboardAddress(option);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return { address: null, required: true, errors: [error.message], warnings: [] };
  }
  const exposed = exposureReason(address.hostname);
  if (exposed === null) return { address, required: true, errors: [], warnings: [] };
  if (context.allowPublic) {
    return {
      address,
      required: true,
      errors: [],
      warnings: [
        `exposed to other hosts: the dashboard at ${dashboardUrl(address)} shows every socket ` +
        `name and peer address to anyone who can reach this host`,
      ],
    };
  }
  return {
    address: null,
    required: true,
    errors: [
      `Cannot use dashboard address ${quote(option)} (--dashboard): ${exposed}. ${PUBLIC_FIX}`,
    ],
    warnings: [],
  };
}

/**
 * Why other hosts could reach an address, or `null` for loopback only.
 *
 * @param hostname An IP address without brackets, or a host name.
 * @returns The reason in words, or `null`.
 */
export function exposureReason(hostname: string): string | null {
  if (hostname === "localhost" || isLoopback(hostname)) return null;
  if (isWildcard(hostname)) {
    return `${hostname} is the wildcard: every address of this host, reachable from other hosts`;
  }
  if (parseIPv4(hostname) !== null || parseIPv6(hostname) !== null) {
    return `${hostname} is not a loopback address: other hosts may reach it`;
  }
  return `${quote(hostname)} is a host name that may resolve beyond loopback`;
}
