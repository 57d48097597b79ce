/**
 * The byte counts of what is open now, read on demand: each open TCP
 * connection's counts, and each UDP relay session's. The counters are the
 * ones the dispatcher and the relays keep anyway; reading them walks the
 * open connections and sessions once, so a reader that asks now and then
 * (the dashboard, while a page is open) costs nothing per chunk.
 *
 * @module
 */

import type { DatagramRelay, SessionCounts } from "../services/relay.ts";
import type { SocketName } from "../spec/types.ts";

/** A UDP relay serving one bound socket, as the running server lists it. */
export interface LiveRelay {
  /** The listening socket's name, which its sessions' events carry as `local`. */
  readonly local: SocketName;
  /** The relay. */
  readonly relay: DatagramRelay;
}

/** Reads the byte counts of what is open now. */
export interface LiveTraffic {
  /**
   * Calls `visit` once per open TCP connection.
   *
   * @param visit Gets the connection's id (as its `connection-opened` event
   *   gives it) and its bytes read from and written to the peer so far.
   */
  eachConnection(visit: (id: number, bytesIn: number, bytesOut: number) => void): void;
  /**
   * Calls `visit` once per open UDP relay session.
   *
   * @param visit Gets the listening socket's name, the client's socket name
   *   and the session's counts so far.
   */
  eachSession(
    visit: (local: SocketName, client: SocketName, counts: SessionCounts) => void,
  ): void;
}
