/**
 * IP address text: strict parsing to bytes, canonical formatting, and the
 * few address classes muxd cares about (loopback, wildcard).
 *
 * Addresses are handled as bytes (4 for IPv4, 16 for IPv6) so that prefix
 * tests such as {@linkcode isLoopback} are one byte comparison, the same one a
 * CIDR match will use.
 *
 * @module
 */

/**
 * Parses a strict dotted-quad IPv4 address: exactly four decimal numbers
 * 0–255, without leading zeros, signs or spaces.
 *
 * @param text The address text, e.g. `127.0.0.1`.
 * @returns The 4 address bytes, or `null` when `text` is not such an address.
 *
 * @example Parse a loopback address
 * ```ts
 * import { parseIPv4 } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIPv4("127.0.0.1"), new Uint8Array([127, 0, 0, 1]));
 * assert.equal(parseIPv4("127.1"), null);
 * assert.equal(parseIPv4("010.0.0.1"), null);
 * ```
 */
export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes[i] = value;
  }
  return bytes;
}

/**
 * Formats 4 bytes as a dotted-quad IPv4 address.
 *
 * @param bytes The 4 address bytes.
 * @returns The address text, e.g. `127.0.0.1`.
 * @throws {RangeError} When `bytes` is not 4 bytes long.
 *
 * @example Format a loopback address
 * ```ts
 * import { formatIPv4 } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIPv4(new Uint8Array([127, 0, 0, 1])), "127.0.0.1");
 * ```
 */
export function formatIPv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) {
    throw new RangeError(`An IPv4 address has 4 bytes, got ${bytes.length}`);
  }
  return bytes.join(".");
}

/**
 * Parses an IPv6 address in any RFC 4291 text form: eight hexadecimal groups,
 * `::` for one or more zero groups, and an embedded dotted-quad IPv4 address
 * in the last 32 bits (`::ffff:1.2.3.4`). Zone ids (`fe80::1%eth0`) are not
 * supported and give `null`.
 *
 * @param text The address text without brackets, e.g. `::1`.
 * @returns The 16 address bytes, or `null` when `text` is not such an address.
 *
 * @example Parse compressed and IPv4-mapped addresses
 * ```ts
 * import { parseIPv6 } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIPv6("::1"), new Uint8Array([...Array(15).fill(0), 1]));
 * assert.equal(parseIPv6("::ffff:1.2.3.4")?.[15], 4);
 * assert.equal(parseIPv6("fe80::1%eth0"), null);
 * ```
 */
export function parseIPv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const compressed = halves.length === 2;
  const head = parseGroups(halves[0], !compressed);
  const tail = compressed ? parseGroups(halves[1], true) : [];
  if (head === null || tail === null) return null;
  const count = head.length + tail.length;
  if (compressed ? count > 7 : count !== 8) return null;
  const groups = [...head, ...Array(8 - count).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, group] of groups.entries()) {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  }
  return bytes;
}

/**
 * Parses colon-separated hexadecimal groups; the last one may be a dotted
 * quad (two groups) when `ipv4Last` is set. The empty string is no groups.
 */
function parseGroups(text: string, ipv4Last: boolean): number[] | null {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (ipv4Last && i === parts.length - 1 && part.includes(".")) {
      const ipv4 = parseIPv4(part);
      if (ipv4 === null) return null;
      groups.push((ipv4[0] << 8) | ipv4[1], (ipv4[2] << 8) | ipv4[3]);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

/**
 * Formats 16 bytes as an IPv6 address in the canonical text form of RFC 5952:
 * lowercase hexadecimal without leading zeros, the longest run of two or more
 * zero groups compressed to `::` (the leftmost on a tie), and IPv4-mapped
 * addresses shown as `::ffff:1.2.3.4`.
 *
 * @param bytes The 16 address bytes.
 * @returns The canonical address text, without brackets.
 * @throws {RangeError} When `bytes` is not 16 bytes long.
 *
 * @example Canonical forms
 * ```ts
 * import { formatIPv6, parseIPv6 } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIPv6(parseIPv6("2001:DB8:0:0:0:0:0:1")!), "2001:db8::1");
 * assert.equal(formatIPv6(parseIPv6("2001:db8:0:1:1:1:1:1")!), "2001:db8:0:1:1:1:1:1");
 * assert.equal(formatIPv6(parseIPv6("::FFFF:7f00:1")!), "::ffff:127.0.0.1");
 * ```
 */
export function formatIPv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new RangeError(`An IPv6 address has 16 bytes, got ${bytes.length}`);
  }
  if (hasPrefix(bytes, IPV4_MAPPED, 96)) {
    return `::ffff:${formatIPv4(bytes.subarray(12))}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  const run = longestZeroRun(groups);
  const hex = (part: number[]) => part.map((group) => group.toString(16)).join(":");
  if (run.length < 2) return hex(groups);
  return `${hex(groups.slice(0, run.start))}::${hex(groups.slice(run.start + run.length))}`;
}

/** Finds the longest run of zero groups; the leftmost one on a tie. */
function longestZeroRun(groups: readonly number[]): { start: number; length: number } {
  let best = { start: 0, length: 0 };
  let start = -1;
  for (let i = 0; i <= groups.length; i++) {
    if (i < groups.length && groups[i] === 0) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start > best.length) best = { start, length: i - start };
      start = -1;
    }
  }
  return best;
}

/** An address prefix: the bytes of the network and how many leading bits count. */
interface Prefix {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

const IPV4_MAPPED = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]);

const IPV6_LOOPBACK = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

/** 127.0.0.0/8, ::1/128 and ::ffff:127.0.0.0/104. */
const LOOPBACK: readonly Prefix[] = [
  { bytes: new Uint8Array([127, 0, 0, 0]), bits: 8 },
  { bytes: IPV6_LOOPBACK, bits: 128 },
  { bytes: new Uint8Array([...IPV4_MAPPED.subarray(0, 12), 127, 0, 0, 0]), bits: 104 },
];

/** 0.0.0.0/32 and ::/128. */
const WILDCARD: readonly Prefix[] = [
  { bytes: new Uint8Array(4), bits: 32 },
  { bytes: new Uint8Array(16), bits: 128 },
];

/**
 * Tells whether the first `bits` bits of `bytes` equal those of `network`.
 *
 * @param bytes An address's bytes.
 * @param network A network's bytes, of the same length.
 * @param bits How many leading bits count.
 * @returns `true` when `bytes` lies in the network.
 */
export function hasPrefix(bytes: Uint8Array, network: Uint8Array, bits: number): boolean {
  if (bytes.length !== network.length) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) {
    if (bytes[i] !== network[i]) return false;
  }
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[whole] & mask) === (network[whole] & mask);
}

/** Parses IPv4 or IPv6 text to bytes. */
function parseIP(address: string): Uint8Array | null {
  return parseIPv4(address) ?? parseIPv6(address);
}

/** Tells whether `address` parses and lies in one of `prefixes`. */
function inAny(address: string, prefixes: readonly Prefix[]): boolean {
  const bytes = parseIP(address);
  return bytes !== null && prefixes.some((p) => hasPrefix(bytes, p.bytes, p.bits));
}

/**
 * Tells whether `address` is a loopback address: `127.0.0.0/8`, `::1`, or an
 * IPv4-mapped `::ffff:127.x.x.x`.
 *
 * @param address An IPv4 or IPv6 address without brackets; anything else
 *   (a host name, `[::1]`) is not a loopback address.
 * @returns `true` for a loopback address.
 *
 * @example Loopback or not
 * ```ts
 * import { isLoopback } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopback("127.8.9.10"), true);
 * assert.equal(isLoopback("::1"), true);
 * assert.equal(isLoopback("::ffff:127.0.0.1"), true);
 * assert.equal(isLoopback("localhost"), false);
 * ```
 */
export function isLoopback(address: string): boolean {
  return inAny(address, LOOPBACK);
}

/**
 * Tells whether `address` is a wildcard address, `0.0.0.0` or `::`, which
 * binds every local address of its family.
 *
 * @param address An IPv4 or IPv6 address without brackets.
 * @returns `true` for a wildcard address, in any text form (`0:0::0` too).
 *
 * @example Wildcard or not
 * ```ts
 * import { isWildcard } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isWildcard("0.0.0.0"), true);
 * assert.equal(isWildcard("::"), true);
 * assert.equal(isWildcard("127.0.0.1"), false);
 * ```
 */
export function isWildcard(address: string): boolean {
  return inAny(address, WILDCARD);
}

/**
 * An IPv4-mapped IPv6 address as the IPv4 address it is: what a dual-stack
 * `[::]` socket sees of an IPv4 peer.
 *
 * @param address An address without brackets, as Deno and `ss` write it.
 * @returns `127.0.0.1` for `::ffff:127.0.0.1`; any other address as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unmappedIPv4 } from "./ip.ts";
 *
 * assert.equal(unmappedIPv4("::ffff:127.0.0.1"), "127.0.0.1");
 * assert.equal(unmappedIPv4("::1"), "::1");
 * ```
 */
export function unmappedIPv4(address: string): string {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : null;
  return v4 !== null && parseIPv4(v4) !== null ? v4 : address;
}
