/**
 * Linux's rule for when two local addresses on one port conflict at bind
 * time, ignoring `SO_REUSEADDR` and `SO_REUSEPORT`.
 *
 * @module
 */

import { parseIPv4, parseIPv6 } from "../spec/mod.ts";

/** One side of the question: an address and, for IPv6, its `IPV6_V6ONLY`. */
export interface BoundAddress {
  /** An IPv4 or IPv6 address (brackets tolerated), or a host name. */
  readonly address: string;
  /** Whether an IPv6 socket takes IPv6 only; ignored for IPv4. */
  readonly v6Only: boolean;
}

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
 * - across families, only a dual-stack `::` (`v6Only` false) conflicts, with
 *   every IPv4 address; the flag of the IPv6 side is the one that counts.
 * - IPv4-mapped addresses (`::ffff:127.0.0.1`) count as IPv4.
 * - A `wanted` that is not an IP address (a host name) conflicts with all.
 *
 * @param wanted The address a bind asked for.
 * @param held The local address of an existing socket.
 * @returns `true` when the two conflict.
 *
 * @example Wildcards and dual stack
 * ```ts
 * import { addressesConflict } from "./conflicts.ts";
 * import assert from "node:assert/strict";
 *
 * const v4 = (address: string) => ({ address, v6Only: false });
 * assert.equal(addressesConflict(v4("127.0.0.1"), v4("0.0.0.0")), true);
 * assert.equal(addressesConflict(v4("127.0.0.1"), v4("127.0.0.2")), false);
 * assert.equal(addressesConflict(v4("127.0.0.1"), { address: "::", v6Only: false }), true);
 * assert.equal(addressesConflict(v4("127.0.0.1"), { address: "::", v6Only: true }), false);
 * assert.equal(addressesConflict({ address: "::1", v6Only: false }, v4("0.0.0.0")), false);
 * ```
 */
export function addressesConflict(wanted: BoundAddress, held: BoundAddress): boolean {
  const a = toAddress(wanted.address);
  const b = toAddress(held.address);
  if (a === null || b === null) return true;
  if (a.family === b.family) {
    return isZero(a.bytes) || isZero(b.bytes) || a.bytes.every((byte, i) => byte === b.bytes[i]);
  }
  const [v6, side] = a.family === 6 ? [a, wanted] : [b, held];
  return !side.v6Only && isZero(v6.bytes);
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
