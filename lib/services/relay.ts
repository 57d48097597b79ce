/**
 * What a UDP relay (a service whose replies come later, from elsewhere, such
 * as `forward`'s upstream) and the listener it serves give each other.
 *
 * @module
 */

import type { EventSink } from "../events/event.ts";
import type { SocketName } from "../spec/types.ts";
import type { ServiceName } from "./names.ts";

/** What the listener gives a UDP relay when it starts. */
export interface RelayHost<O = unknown> {
  /** The listener's spec, as text to show. */
  readonly listener: string;
  /** The relay's service name. */
  readonly service: ServiceName;
  /** The listener's bound socket name: where clients send, and replies leave from. */
  readonly bound: SocketName;
  /** The spec's options, parsed once when muxd provisioned. */
  readonly options: O;
  /** Where the relay's events go. */
  readonly emit: EventSink;
  /**
   * Sends one reply to `client` from the listener's socket, through the UDP
   * guards, with a `reply` or `reply-suppressed` event. Never rejects: a
   * reply that cannot go is an `error` event.
   *
   * @param client The client to answer.
   * @param reply The bytes, sent as one datagram.
   * @param request The client's latest datagram, which the amplification
   *   and loop guards measure the reply against.
   */
  reply(client: SocketName, reply: Uint8Array, request: Uint8Array): Promise<void>;
  /**
   * Told of each session socket the relay binds to an address, and of its
   * closing, so that a datagram that comes back to muxd from it can be
   * known as a ring's; none for a relay that runs on its own.
   */
  readonly sessions?: SessionSockets;
}

/** The session sockets of a relay, as they open and close. */
export interface SessionSockets {
  /**
   * A session socket was bound, for `client`.
   *
   * @param from The socket's name.
   * @param client The client it relays for.
   */
  opened(from: SocketName, client: SocketName): void;
  /**
   * A session socket closed.
   *
   * @param from The socket's name.
   */
  closed(from: SocketName): void;
}

/** What went through one UDP relay session so far. */
export interface SessionCounts {
  /** Datagrams from the client, sent upstream. */
  readonly datagramsIn: number;
  /** Their bytes. */
  readonly bytesIn: number;
  /** Datagrams from the upstream, handed to the client's guards. */
  readonly datagramsOut: number;
  /** Their bytes. */
  readonly bytesOut: number;
}

/** A UDP relay, as the listener it serves sees it. */
export interface DatagramRelay {
  /**
   * Takes one datagram from a client, which passed the guards. It must not
   * block the listener: the relay sends it on in its own time.
   *
   * @param request The datagram, the relay's to keep.
   * @param client The sender.
   */
  relay(request: Uint8Array, client: SocketName): void;
  /** Ends every session and resolves once their sockets are closed. */
  close(): Promise<void>;
  /**
   * Calls `visit` once per open session, with its counts so far: a reader
   * of live traffic (the dashboard) asks now and then, never per datagram.
   *
   * @param visit Gets the client's socket name and the session's counts.
   */
  eachSession?(visit: (client: SocketName, counts: SessionCounts) => void): void;
}
