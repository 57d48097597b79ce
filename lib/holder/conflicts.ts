/**
 * Linux's rule for when two local addresses on one port conflict at bind
 * time, ignoring `SO_REUSEADDR` and `SO_REUSEPORT`.
 *
 * @module
 */

import { parseIPv4, parseIPv6 } from "../spec/mod.ts";

/** An address reduced to its family and bytes; IPv4-mapped IPv6 counts as IPv4. */
interface Address {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

/**
 * Tells whether a socket bound to `held` keeps a bind of `wanted` on the same
 * port (and transport) from succeeding:
 *
 * - the same address conflicts;
 * - within a family, a wildcard (`0.0.0.0`, `::`) on either side conflicts;
 * - across families, only a dual-stack `::` conflicts, with every IPv4
 *   address; it is dual-stack when `bindv6only` is off (Linux's default).
 *   `/proc/net` does not show a socket's own `IPV6_V6ONLY`, so the system
 *   default stands in for it.
 * - IPv4-mapped addresses (`::ffff:127.0.0.1`) count as IPv4.
 * - A `wanted` that is not an IP address (a host name) conflicts with all.
 *
 * @param wanted The address a bind asked for.
 * @param held The local address of an existing socket.
 * @param bindV6Only Whether `::` is IPv6-only (`/proc/sys/net/ipv6/bindv6only` is 1).
 * @returns `true` when the two conflict.
 *
 * @example Wildcards and dual stack
 * ```ts
 * import { addressesConflict } from "./conflicts.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(addressesConflict("127.0.0.1", "0.0.0.0", false), true);
 * assert.equal(addressesConflict("127.0.0.1", "127.0.0.2", false), false);
 * assert.equal(addressesConflict("127.0.0.1", "::", false), true);
 * assert.equal(addressesConflict("127.0.0.1", "::", true), false);
 * assert.equal(addressesConflict("::1", "0.0.0.0", false), false);
 * ```
 */
export function addressesConflict(wanted: string, held: string, bindV6Only: boolean): boolean {
  const a = toAddress(wanted);
  const b = toAddress(held);
  if (a === null || b === null) return true;
  if (a.family === b.family) {
    return isZero(a.bytes) || isZero(b.bytes) || a.bytes.every((byte, i) => byte === b.bytes[i]);
  }
  const v6 = a.family === 6 ? a : b;
  return !bindV6Only && isZero(v6.bytes);
}

/** Parses an address, unwrapping IPv4-mapped IPv6 and tolerating brackets. */
function toAddress(text: string): Address | null {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const ipv4 = parseIPv4(bare);
  if (ipv4 !== null) return { family: 4, bytes: ipv4 };
  const ipv6 = parseIPv6(bare);
  if (ipv6 === null) return null;
  const mapped = ipv6.subarray(0, 10).every((byte) => byte === 0) &&
    ipv6[10] === 0xff && ipv6[11] === 0xff;
  return mapped ? { family: 4, bytes: ipv6.slice(12) } : { family: 6, bytes: ipv6 };
}

/** Tells whether every byte is zero: the wildcard address of its family. */
function isZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}
