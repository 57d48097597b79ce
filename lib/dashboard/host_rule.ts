/**
 * Which `Host` headers the dashboard answers. A web page can make a browser
 * send requests to the dashboard under a host name of the page's own
 * choosing, which it then points at 127.0.0.1 (DNS rebinding); the browser
 * then treats the dashboard's answers as the page's own and lets the page
 * read them. Such a request always carries that host name, so the dashboard
 * answers only requests addressed to it by IP address or as `localhost`.
 *
 * @module
 */

import type { DashboardAddress } from "./address.ts";
import { formatIPv4, formatIPv6, isWildcard, parseIPv4, parseIPv6 } from "../spec/ip.ts";

/**
 * Tells whether the dashboard answers a request with this `Host` header.
 *
 * The rule: the port must be the dashboard's (it may be left out only when
 * that is 80), and the host must be `localhost` or the dashboard's own
 * address as an IP literal (`127.0.0.1`, `[::1]`). A dashboard bound to a
 * wildcard (`0.0.0.0`, `[::]`, with `--public`) answers any IP literal, since
 * it may be reached at any of the host's addresses; a host name other than
 * `localhost` is refused everywhere, because a name is what DNS rebinding
 * needs.
 *
 * @param host The `Host` header's value, such as `127.0.0.1:7080`.
 * @param bound The dashboard's bound address, port 0 resolved.
 * @returns `true` when the request may be answered.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isAllowedHost } from "./host_rule.ts";
 * const bound = { hostname: "127.0.0.1", port: 7080 };
 * assert.equal(isAllowedHost("localhost:7080", bound), true);
 * assert.equal(isAllowedHost("attacker.example:7080", bound), false);
 * ```
 */
export function isAllowedHost(host: string, bound: DashboardAddress): boolean {
  const target = splitHost(host.toLowerCase());
  if (target === null) return false;
  if ((target.port ?? 80) !== bound.port) return false;
  if (target.name === "localhost") return true;
  const literal = canonicalIp(target.name, target.bracketed);
  if (literal === null) return false;
  return isWildcard(bound.hostname) ||
    literal === canonicalIp(bound.hostname, bound.hostname.includes(":"));
}

interface HostAndPort {
  readonly name: string;
  readonly bracketed: boolean;
  readonly port: number | null;
}

/** Splits `name[:port]` or `[v6][:port]`; `null` when it is neither. */
function splitHost(text: string): HostAndPort | null {
  let name: string;
  let rest: string;
  const bracketed = text.startsWith("[");
  if (bracketed) {
    const close = text.indexOf("]");
    if (close < 0) return null;
    name = text.slice(1, close);
    rest = text.slice(close + 1);
  } else {
    const colon = text.indexOf(":");
    name = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? "" : text.slice(colon);
  }
  if (name === "") return null;
  if (rest === "" || rest === ":") return { name, bracketed, port: null };
  if (!/^:[0-9]{1,5}$/.test(rest)) return null;
  return { name, bracketed, port: Number(rest.slice(1)) };
}

/** The canonical text of an IP literal, or `null` for anything else. */
function canonicalIp(name: string, bracketed: boolean): string | null {
  if (bracketed) {
    const v6 = parseIPv6(name);
    return v6 === null ? null : formatIPv6(v6);
  }
  const v4 = parseIPv4(name);
  return v4 === null ? null : formatIPv4(v4);
}
