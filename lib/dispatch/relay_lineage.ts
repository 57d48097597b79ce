/**
 * Where a datagram that reaches a UDP relay came from, when it came from
 * muxd itself: each relay session's socket, with the relays its datagrams
 * went through. A datagram that arrives at a relay it already went through
 * is on a ring of relays (a `forward` to itself, or two that forward to each
 * other, through a host name the plan could not see), and each hop leaves
 * from a new session socket, so no guard that looks at one source ends it.
 *
 * @module
 */

import type { SocketName } from "../spec/types.ts";
import { unmappedIPv4 } from "../spec/ip.ts";

/**
 * The session sockets of every UDP relay of one running server, each with
 * the relays upstream of it. Told of each socket when bound and when closed;
 * asked about each datagram a relay receives.
 *
 * @example A relay's own session socket sending back to it
 * ```ts
 * import assert from "node:assert/strict";
 * import { RelayLineage } from "./relay_lineage.ts";
 *
 * const lineage = new RelayLineage();
 * const relayA = {}, relayB = {};
 * const client = { address: "127.0.0.1", port: 40000 };
 * const fromA = { address: "127.0.0.1", port: 41000 };
 * lineage.opened(fromA, relayA, client);
 * assert.equal(lineage.loops(fromA, relayA), true); // A's own session, back at A
 * assert.equal(lineage.loops(fromA, relayB), false); // A relays on to B: a chain
 * const fromB = { address: "127.0.0.1", port: 42000 };
 * lineage.opened(fromB, relayB, fromA);
 * assert.equal(lineage.loops(fromB, relayA), true); // A, B, and back at A
 * // A dual-stack [::] relay sees the same socket as ::ffff:127.0.0.1.
 * assert.equal(lineage.loops({ address: "::ffff:127.0.0.1", port: 42000 }, relayA), true);
 * lineage.closed(fromA);
 * assert.equal(lineage.loops(fromA, relayA), false);
 * ```
 */
export class RelayLineage {
  /** Port first: a datagram's source port alone rules out nearly every datagram. */
  readonly #byPort = new Map<number, Map<string, ReadonlySet<object>>>();

  /**
   * A relay bound a session socket for a client.
   *
   * @param from The session socket's name (an address, not a wildcard).
   * @param relay The relay, any object unique to it.
   * @param client The client the session is for: if that is another
   *   session's socket, the new one is downstream of its relays too.
   */
  opened(from: SocketName, relay: object, client: SocketName): void {
    const upstream = this.#of(client);
    const relays = new Set(upstream);
    relays.add(relay);
    let byAddress = this.#byPort.get(from.port);
    if (byAddress === undefined) this.#byPort.set(from.port, byAddress = new Map());
    byAddress.set(unmappedIPv4(from.address), relays);
  }

  /**
   * A session socket closed.
   *
   * @param from Its name, as given to {@linkcode RelayLineage.opened}.
   */
  closed(from: SocketName): void {
    const byAddress = this.#byPort.get(from.port);
    if (byAddress?.delete(unmappedIPv4(from.address)) && byAddress.size === 0) {
      this.#byPort.delete(from.port);
    }
  }

  /**
   * Whether a datagram from `source` that reached `relay` went through it already.
   *
   * @param source The datagram's sender.
   * @param relay The relay it reached.
   * @returns `true` when relaying it would send it round a ring again.
   */
  loops(source: SocketName, relay: object): boolean {
    return this.#of(source)?.has(relay) ?? false;
  }

  /**
   * Whether `source` is one of the relays' session sockets: muxd's own,
   * sending one client's datagrams upstream.
   *
   * @param source A datagram's sender.
   * @returns `true` for a session socket open now.
   */
  has(source: SocketName): boolean {
    return this.#of(source) !== undefined;
  }

  /** A dual-stack `[::]` socket sees an IPv4 source as `::ffff:a.b.c.d`: the same socket. */
  #of(source: SocketName): ReadonlySet<object> | undefined {
    return this.#byPort.get(source.port)?.get(unmappedIPv4(source.address));
  }
}
