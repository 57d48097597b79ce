/**
 * CIDR ranges (`10.0.0.0/8`, `::1/128`) for allow and deny lists: a list is
 * parsed once, when the plan is built, into a {@linkcode CidrList}; a peer's
 * address is parsed once per connection or datagram, into an
 * {@linkcode IpAddress}, and matched against it.
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
 * import { parseCidr } from "./cidr.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseCidr("10.0.0.0/8").bits, 8);
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
 * A peer's address, parsed: an IPv4 address as a 32-bit number, or an IPv6
 * address as 16 bytes with, for an IPv4-mapped one (`::ffff:10.1.2.3`, as
 * a dual-stack socket sees an IPv4 peer), the IPv4 address it carries.
 */
export type IpAddress =
  | { readonly family: 4; readonly value: number }
  | { readonly family: 6; readonly bytes: Uint8Array; readonly mapped: number | null };

/**
 * Parses a peer's address, as the OS gives it, for matching.
 *
 * @param text An IPv4 or IPv6 address without brackets.
 * @returns The address, or `null` when the text is not one.
 *
 * @example
 * ```ts
 * import { parseIpAddress } from "./cidr.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIpAddress("10.0.0.1"), { family: 4, value: 0x0a000001 });
 * assert.equal(parseIpAddress("localhost"), null);
 * ```
 */
export function parseIpAddress(text: string): IpAddress | null {
  const value = ipv4Value(text);
  if (value !== null) return { family: 4, value };
  const bytes = parseIPv6(text);
  if (bytes === null) return null;
  return { family: 6, bytes, mapped: isMapped(bytes) ? readUint32(bytes, 12) : null };
}

/** An IPv4 range as a network and a mask, both 32-bit numbers. */
interface Ipv4Range {
  readonly network: number;
  readonly mask: number;
}

/**
 * An allow or deny list: its ranges as written, and the same ranges ready to
 * match, IPv4 ones as a network and a mask.
 *
 * @example
 * ```ts
 * import { CidrList, parseIpAddress } from "./cidr.ts";
 * import assert from "node:assert/strict";
 *
 * const list = CidrList.parse("10.0.0.0/8,::1");
 * assert.equal(list.contains(parseIpAddress("10.1.2.3")!), true);
 * assert.equal(list.contains(parseIpAddress("::ffff:10.1.2.3")!), true);
 * assert.equal(list.contains(parseIpAddress("192.0.2.1")!), false);
 * ```
 */
export class CidrList {
  /** The ranges, as parsed, in order. */
  readonly ranges: readonly Cidr[];
  readonly #v4: readonly Ipv4Range[];
  readonly #v6: readonly Cidr[];

  /**
   * Makes a list of ranges.
   *
   * @param ranges The ranges, parsed with {@linkcode parseCidr}.
   */
  constructor(ranges: readonly Cidr[]) {
    this.ranges = ranges;
    this.#v4 = ranges.filter((r) => r.bytes.length === 4).map((r) => {
      const mask = r.bits === 0 ? 0 : (0xffffffff << (32 - r.bits)) >>> 0;
      return { network: (readUint32(r.bytes, 0) & mask) >>> 0, mask };
    });
    this.#v6 = ranges.filter((r) => r.bytes.length === 16);
  }

  /**
   * Parses a comma-separated list, as the `allow` and `deny` options hold it.
   *
   * @param text Such as `10.0.0.0/8,::1`; empty for no ranges.
   * @returns The list.
   * @throws {SyntaxError} When one of the ranges does not parse.
   */
  static parse(text: string): CidrList {
    return new CidrList(text === "" ? [] : text.split(",").map(parseCidr));
  }

  /** How many ranges it has. */
  get size(): number {
    return this.ranges.length;
  }

  /**
   * Tells whether an address lies in one of the ranges. An IPv4-mapped IPv6
   * address matches IPv4 ranges as the IPv4 address it carries, and IPv6
   * ranges as itself; an IPv4 address matches no IPv6 range.
   *
   * @param address The peer's address.
   * @returns `true` when a range holds it.
   */
  contains(address: IpAddress): boolean {
    const v4 = address.family === 4 ? address.value : address.mapped;
    if (v4 !== null) {
      for (const { network, mask } of this.#v4) if (((v4 & mask) >>> 0) === network) return true;
    }
    if (address.family === 6) {
      for (const r of this.#v6) if (hasPrefix(address.bytes, r.bytes, r.bits)) return true;
    }
    return false;
  }
}

/**
 * An IPv4 address in dotted decimal as a 32-bit number, by the grammar of
 * `parseIPv4()` (four decimal numbers 0-255, no leading zeros), without
 * allocating: this runs for every connection and datagram a list checks.
 */
function ipv4Value(text: string): number | null {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) { // "."
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) { // "0" to "9"
      if (digits > 0 && part === 0) return null; // a leading zero
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return null;
    } else {
      return null;
    }
  }
  return digits === 0 || dots !== 3 ? null : value * 256 + part;
}

/** Four bytes from `at` as a big-endian unsigned 32-bit number. */
function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/** `::ffff:a.b.c.d`: ten zero bytes, then two 0xff. */
function isMapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
