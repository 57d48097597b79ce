/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and
 * 2) that `forward` may send as the first bytes of each upstream
 * connection, so the upstream learns the client's socket name and the one
 * it connected to, which its own socket cannot tell it.
 *
 * @module
 */

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../spec/ip.ts";
import type { SocketName } from "../spec/types.ts";

/** The PROXY protocol version a relay sends: `v1` (a text line) or `v2` (binary). */
export type ProxyVersion = "v1" | "v2";

/** The two addresses of a connection as bytes of one family. */
interface AddressPair {
  readonly family: 4 | 6;
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
}

/** v2's fixed 12-byte signature: `\r\n\r\n\0\r\nQUIT\n`. */
const V2_SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
/** Version 2 in the high nibble, the PROXY command (a relayed connection) in the low one. */
const V2_PROXY_COMMAND = 0x21;
/** The family and protocol byte: TCP over IPv4, TCP over IPv6, or unspecified. */
const V2_FAMILY = { 4: 0x11, 6: 0x21, unspecified: 0x00 } as const;

/**
 * Builds the PROXY protocol header for one TCP connection, to be written
 * at once before any of the client's bytes.
 *
 * Both addresses IPv4, or both IPv4-mapped IPv6 (a client of a `[::]`
 * listener), give `TCP4` / family `0x11`; both IPv6 give `TCP6` / `0x21`.
 * Addresses of two families (which one TCP connection never has), or one
 * that does not parse (an IPv6 address with a zone id), give the spec's
 * "unknown" form: `PROXY UNKNOWN\r\n`, or v2 with family `0x00` and
 * no addresses.
 *
 * @param version `v1` for the text line, `v2` for the binary header.
 * @param source The client's socket name (its `getpeername()`).
 * @param destination The socket name the client connected to (the listener
 *   side's `getsockname()`).
 * @returns The header's bytes: at most 104 for v1, 52 for v2.
 *
 * @example Version 1 and version 2 for one IPv4 connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { proxyHeader } from "./proxy_header.ts";
 *
 * const client = { address: "192.0.2.7", port: 51234 };
 * const listener = { address: "127.0.0.1", port: 7200 };
 * assert.equal(
 *   new TextDecoder().decode(proxyHeader("v1", client, listener)),
 *   "PROXY TCP4 192.0.2.7 127.0.0.1 51234 7200\r\n",
 * );
 * const v2 = proxyHeader("v2", client, listener);
 * assert.equal(v2.length, 28); // 16 bytes, then 2 addresses and 2 ports
 * assert.deepEqual([...v2.subarray(12, 16)], [0x21, 0x11, 0, 12]);
 * ```
 */
export function proxyHeader(
  version: ProxyVersion,
  source: SocketName,
  destination: SocketName,
): Uint8Array {
  const pair = addressPair(source.address, destination.address);
  return version === "v1" ? v1(pair, source.port, destination.port) : v2(pair, source, destination);
}

/** `PROXY TCP4 SRC DST SRCPORT DSTPORT\r\n`, or `PROXY UNKNOWN\r\n`. */
function v1(pair: AddressPair | null, sourcePort: number, destinationPort: number): Uint8Array {
  if (pair === null) return new TextEncoder().encode("PROXY UNKNOWN\r\n");
  const text = pair.family === 4 ? formatIPv4 : formatIPv6;
  const line = `PROXY TCP${pair.family} ${text(pair.source)} ${text(pair.destination)} ` +
    `${sourcePort} ${destinationPort}\r\n`;
  return new TextEncoder().encode(line);
}

/** The 16-byte fixed part, then the addresses and the ports, all in network byte order. */
function v2(pair: AddressPair | null, source: SocketName, destination: SocketName): Uint8Array {
  const size = pair === null ? 0 : 2 * pair.source.length + 4;
  const header = new Uint8Array(16 + size);
  const view = new DataView(header.buffer);
  header.set(V2_SIGNATURE);
  header[12] = V2_PROXY_COMMAND;
  header[13] = pair === null ? V2_FAMILY.unspecified : V2_FAMILY[pair.family];
  view.setUint16(14, size);
  if (pair === null) return header;
  const length = pair.source.length;
  header.set(pair.source, 16);
  header.set(pair.destination, 16 + length);
  view.setUint16(16 + 2 * length, source.port);
  view.setUint16(18 + 2 * length, destination.port);
  return header;
}

/**
 * Both addresses in one family: IPv4 when both are IPv4 or both
 * IPv4-mapped, IPv6 when both are IPv6; `null` otherwise.
 */
function addressPair(source: string, destination: string): AddressPair | null {
  const [s4, d4] = [parseIPv4(source), parseIPv4(destination)];
  if (s4 !== null && d4 !== null) return { family: 4, source: s4, destination: d4 };
  const [s6, d6] = [parseIPv6(source), parseIPv6(destination)];
  if (s6 === null || d6 === null) return null;
  if (isMapped(s6) && isMapped(d6)) {
    return { family: 4, source: s6.slice(12), destination: d6.slice(12) };
  }
  return { family: 6, source: s6, destination: d6 };
}

/** Tells whether 16 address bytes are an IPv4-mapped IPv6 address, `::ffff:a.b.c.d`. */
function isMapped(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}
