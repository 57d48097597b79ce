/**
 * Which UDP sockets on this host are a port's clients, for the loop rule on
 * loopback, where two programs of this host can loop only if one sends in
 * the other's name:
 * - a socket connected to the port: it called `connect()` towards it, as
 *   `nc -u`, socat and Python's socket with `connect()` do, and takes
 *   datagrams from its peer alone;
 * - a socket alone on its own port that no other socket may share, beside a
 *   listener that shares its port with no one: no other socket of this host
 *   could have sent in its name, nor in the listener's to it. A client that
 *   sends with `sendto()` (Python without `connect()`, every
 *   `Deno.listenDatagram` and Node `dgram` client) is one. A program sends
 *   in another's name without root only by sharing its port (`SO_REUSEADDR`,
 *   as muxd's `?reuse=true` sets), and it may close its socket as soon as it
 *   has sent: the socket table, read at the trip, shows the port alone by
 *   then, so a port that lets others in is not alone, whoever is on it now.
 *
 * The running server runs no tool: whoever starts it may give a lookup
 * (`muxd serve` gives `connectedPeersBySs()` of `lib/holder/`, which asks `ss`).
 *
 * @module
 */

import { unmappedIPv4 } from "../spec/ip.ts";
import type { SocketName } from "../spec/types.ts";

/**
 * The clients of one port that the socket table shows (a `Set` of
 * {@linkcode peerKey}s is one).
 */
export interface PortClients {
  /**
   * Whether a source is a client of the port.
   *
   * @param key The source's {@linkcode peerKey}.
   * @returns `true` when its socket is connected to the port, or alone on
   *   its own, which lets no one share it, beside a listener that does not either.
   */
  has(key: string): boolean;
}

/**
 * Looks up the clients of `port` on this host (see the module's text), from
 * the socket table as it is after the call (a table read before would miss
 * a client that connected a moment ago). Many asks at once may share one look.
 *
 * @param port The listener's port.
 * @param signal Aborted when the server closes: end the look then.
 * @param listenerShared Whether the listener lets other sockets share its
 *   name (`?reuse=true`): then only a socket connected to the port is a client.
 * @returns The clients, or `null` when they cannot be looked up (no `ss`,
 *   not permitted, out of files, too slow, the server closing). It must settle.
 */
export type ConnectedPeers = (
  port: number,
  signal: AbortSignal,
  listenerShared: boolean,
) => Promise<PortClients | null>;

/**
 * The key of a socket name among a port's clients: an IPv4-mapped IPv6
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
