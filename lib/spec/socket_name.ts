/**
 * Socket names (an address and a port) as muxd shows them everywhere.
 *
 * @module
 */

import { formatIPv6, parseIPv6 } from "./ip.ts";
import type { SocketName } from "./types.ts";

/**
 * Formats a socket name as `address:port`, with the address in brackets when
 * it contains a `:` (an IPv6 address).
 *
 * @param name The socket name.
 * @returns The text form, e.g. `127.0.0.1:7007` or `[::1]:7007`.
 *
 * @example IPv4 and IPv6
 * ```ts
 * import { formatSocketName } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatSocketName({ address: "127.0.0.1", port: 7007 }), "127.0.0.1:7007");
 * assert.equal(formatSocketName({ address: "::1", port: 7007 }), "[::1]:7007");
 * ```
 */
export function formatSocketName(name: SocketName): string {
  const address = name.address.includes(":") ? `[${name.address}]` : name.address;
  return `${address}:${name.port}`;
}

/**
 * Takes the socket name of a Deno network address, the `localAddr` or
 * `remoteAddr` of a connection or the sender of a datagram. IPv6 addresses
 * are put in the canonical form of RFC 5952; text that does not parse (an
 * address with a zone id) is kept as it is.
 *
 * @param addr A TCP or UDP address from Deno.
 * @returns Its address and port.
 *
 * @example From a Deno.NetAddr
 * ```ts
 * import { socketNameOf } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const addr: Deno.NetAddr = { transport: "udp", hostname: "::1", port: 1060 };
 * assert.deepEqual(socketNameOf(addr), { address: "::1", port: 1060 });
 * ```
 */
export function socketNameOf(addr: Deno.NetAddr): SocketName {
  const ipv6 = addr.hostname.includes(":") ? parseIPv6(addr.hostname) : null;
  const address = ipv6 === null ? addr.hostname : formatIPv6(ipv6);
  return { address, port: addr.port };
}
