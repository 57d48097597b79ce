/**
 * CIDR ranges (`10.0.0.0/8`, `::1/128`) for allow and deny lists.
 *
 * @module
 */

import { hasPrefix, parseIPv4, parseIPv6 } from "../spec/ip.ts";
import { quote } from "../spec/listen_spec_error.ts";

/** A parsed CIDR range. */
export interface Cidr {
  /** The range as written, canonical enough to print. */
  readonly text: string;
  /** The network's bytes: 4 for IPv4, 16 for IPv6. */
  readonly bytes: Uint8Array;
  /** The prefix length. */
  readonly bits: number;
}

/**
 * Parses a CIDR range; an address without `/N` is a single host.
 *
 * @param text Such as `192.0.2.0/24`, `127.0.0.1` or `::1/128`.
 * @returns The range.
 * @throws {SyntaxError} When the text is not an address with an optional prefix length.
 *
 * @example
 * ```ts
 * import { cidrContains, parseCidr } from "./cidr.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cidrContains(parseCidr("10.0.0.0/8"), "10.1.2.3"), true);
 * assert.equal(cidrContains(parseCidr("10.0.0.0/8"), "11.1.2.3"), false);
 * ```
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const bytes = parseIPv4(address) ?? parseIPv6(address);
  if (bytes === null) throw new SyntaxError(`${quote(text)} is not an IP address or CIDR range`);
  const max = bytes.length * 8;
  const bitsText = slash === -1 ? `${max}` : text.slice(slash + 1);
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= max)) {
    throw new SyntaxError(`${quote(text)} has a prefix length outside 0-${max}`);
  }
  return { text, bytes, bits };
}

/**
 * Tells whether an address lies in a range. An IPv4-mapped IPv6 address
 * (`::ffff:10.1.2.3`, as a dual-stack socket sees IPv4 peers) matches IPv4
 * ranges.
 *
 * @param cidr The range.
 * @param address An IPv4 or IPv6 address without brackets.
 * @returns `true` when it lies in the range.
 */
export function cidrContains(cidr: Cidr, address: string): boolean {
  let bytes = parseIPv4(address) ?? parseIPv6(address);
  if (bytes === null) return false;
  if (bytes.length === 16 && cidr.bytes.length === 4 && isMapped(bytes)) bytes = bytes.subarray(12);
  return hasPrefix(bytes, cidr.bytes, cidr.bits);
}

function isMapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
