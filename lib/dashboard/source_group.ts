/**
 * Which source an HTTP connection comes from, for the share of event
 * streams one source keeps when every slot is taken: every loopback
 * address is this host, one source (127.0.0.2 is as near as 127.0.0.1,
 * and a local program may bind any of 127.0.0.0/8); an IPv6 address
 * counts by its /64, the block one host is given; an IPv4 address by itself.
 *
 * @module
 */

import { isLoopback, parseIPv6, unmappedIPv4 } from "../spec/ip.ts";

/**
 * The source group of a peer's address.
 *
 * @param host The peer's IP address, as Deno gives it.
 * @returns A key: `loopback`, the address's /64 for IPv6, else the address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sourceGroup } from "./source_group.ts";
 *
 * assert.equal(sourceGroup("127.0.0.2"), sourceGroup("127.0.0.1"));
 * assert.equal(sourceGroup("::1"), "loopback");
 * assert.equal(sourceGroup("2001:db8::1"), sourceGroup("2001:db8::ffff"));
 * assert.notEqual(sourceGroup("192.0.2.1"), sourceGroup("192.0.2.2"));
 * ```
 */
export function sourceGroup(host: string): string {
  if (isLoopback(host)) return "loopback";
  const address = unmappedIPv4(host);
  if (!address.includes(":")) return address;
  const bytes = parseIPv6(address.split("%")[0]);
  if (bytes === null) return address;
  return [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("") + "/64";
}
