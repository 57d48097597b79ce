/**
 * Which UDP sockets on this host are connected to a port: clients that
 * called `connect()` towards it, as `nc -u`, socat and Python's socket with
 * `connect()` do. A connected socket takes datagrams from its peer alone, so
 * one connected to muxd is muxd's client, whatever it sends; a server that
 * answers whoever writes to it is not connected. The running server runs no
 * tool: whoever starts it may give a lookup (`muxd serve` gives
 * `connectedPeersBySs()` of `lib/holder/`, which asks `ss`).
 *
 * @module
 */

import { unmappedIPv4 } from "../spec/ip.ts";
import type { SocketName } from "../spec/types.ts";

/**
 * Looks up the sockets connected to `port` on this host, from the socket
 * table as it is after the call (a table read before would miss a client
 * that connected a moment ago). Many asks at once may share one look.
 *
 * @param port The listener's port.
 * @param signal Aborted when the server closes: end the look then.
 * @returns Their socket names as {@linkcode peerKey} gives them, or `null`
 *   when they cannot be looked up (no `ss`, not permitted, out of files,
 *   too slow, the server closing). It must settle.
 */
export type ConnectedPeers = (
  port: number,
  signal: AbortSignal,
) => Promise<ReadonlySet<string> | null>;

/**
 * The key of a socket name among the connected peers: an IPv4-mapped IPv6
 * address (how a dual-stack `[::]` socket sees an IPv4 client) as the IPv4
 * address the client's own socket has.
 *
 * @param name A socket name.
 * @returns `address port`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { peerKey } from "./connected_peers.ts";
 *
 * assert.equal(peerKey({ address: "::ffff:127.0.0.1", port: 40000 }), "127.0.0.1 40000");
 * ```
 */
export function peerKey(name: SocketName): string {
  return `${unmappedIPv4(name.address)} ${name.port}`;
}
