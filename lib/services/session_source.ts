/**
 * The local address a UDP relay session's socket binds, chosen so that the
 * upstream sees a source it can answer and the `upstream-connected` event
 * names the address the datagrams really leave from.
 *
 * @module
 */

import { formatIPv6, hasPrefix, isLoopback, parseIPv4, parseIPv6 } from "../spec/ip.ts";

/**
 * Chooses the address a session's socket binds for an upstream address:
 * loopback for an upstream on loopback; the host's own address on the
 * upstream's subnet for an upstream on a directly attached network (the
 * source the kernel picks for it, now named in the event); otherwise the
 * wildcard of the upstream's family, which leaves the choice to the
 * kernel's routes.
 *
 * @param upstream The upstream's address (IPv4, or IPv6 in canonical form).
 * @param interfaces The host's addresses, as `Deno.networkInterfaces()`
 *   gives them; `[]` when they cannot be read.
 * @returns The address to bind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionSourceAddress } from "./session_source.ts";
 *
 * const veth: Deno.NetworkInterfaceInfo = {
 *   family: "IPv4", name: "veth0", address: "198.51.100.1", netmask: "255.255.255.0",
 *   scopeid: null, cidr: "198.51.100.1/24", mac: "00:00:00:00:00:00",
 * };
 * assert.equal(sessionSourceAddress("127.0.0.1", [veth]), "127.0.0.1");
 * assert.equal(sessionSourceAddress("198.51.100.2", [veth]), "198.51.100.1");
 * assert.equal(sessionSourceAddress("192.0.2.1", [veth]), "0.0.0.0");
 * assert.equal(sessionSourceAddress("2001:db8::1", [veth]), "::");
 * ```
 */
export function sessionSourceAddress(
  upstream: string,
  interfaces: readonly Deno.NetworkInterfaceInfo[],
): string {
  const v6 = upstream.includes(":");
  if (isLoopback(upstream)) return v6 ? "::1" : "127.0.0.1";
  const target = v6 ? parseIPv6(upstream) : parseIPv4(upstream);
  for (const row of interfaces) {
    // A link-local IPv6 address needs a zone id to bind, which muxd does not give.
    if ((row.family === "IPv6") !== v6 || row.address.startsWith("fe80:")) continue;
    const [network, bitsText] = row.cidr.split("/");
    const bytes = v6 ? parseIPv6(network) : parseIPv4(network);
    if (target === null || bytes === null || isLoopback(row.address)) continue;
    if (hasPrefix(target, bytes, Number(bitsText))) {
      return v6 ? formatIPv6(parseIPv6(row.address)!) : row.address;
    }
  }
  return v6 ? "::" : "0.0.0.0";
}
