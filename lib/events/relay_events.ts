/**
 * The events of a relay (the `forward` service): a client's leg joined to
 * an upstream leg, and, for UDP, the sessions that join them.
 *
 * @module
 */

import type { SocketName } from "../spec/types.ts";
import type { EventBase } from "./event.ts";
import type { ProxyVersion } from "../services/proxy_header.ts";

/**
 * A relay joined a client to its upstream: for TCP, the upstream accepted
 * the connection muxd opened for this client; for UDP, a new session's
 * socket is ready to send the client's datagrams upstream.
 */
export interface UpstreamConnectedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "upstream-connected";
  /** For TCP, the id of the client's connection; `null` for a UDP session. */
  readonly id: number | null;
  /** The local socket name the client's connection or datagram arrived on. */
  readonly local: SocketName;
  /** The client's socket name. */
  readonly remote: SocketName;
  /** The upstream's socket name, as connected (a host name resolved). */
  readonly upstream: SocketName;
  /** muxd's own socket name on the upstream leg. */
  readonly from: SocketName;
  /**
   * The PROXY protocol header muxd sent first on the upstream leg (TCP, the
   * listener's `proxy` option); absent when it sent none.
   */
  readonly proxy?: ProxyVersion;
}

/** Why a UDP relay session ended. */
export type SessionEndReason =
  | "idle" // no datagram either way for the listener's session-idle time
  | "evicted" // the least recently active, closed for a new client at max-sessions
  | "shutdown"; // the listener closed: muxd stopped or reloaded without it

/** A UDP relay session ended and its upstream socket was closed. */
export interface SessionClosedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "session-closed";
  /** Always UDP. */
  readonly transport: "udp";
  /** The listener's socket name. */
  readonly local: SocketName;
  /** The client's socket name. */
  readonly remote: SocketName;
  /** The upstream's socket name. */
  readonly upstream: SocketName;
  /** Datagrams from the client, sent upstream. */
  readonly datagramsIn: number;
  /** Their bytes. */
  readonly bytesIn: number;
  /** Datagrams from the upstream, handed to the client's guards. */
  readonly datagramsOut: number;
  /** Their bytes. */
  readonly bytesOut: number;
  /** Milliseconds from the first datagram to the end, to the microsecond. */
  readonly durationMs: number;
  /** Why it ended. */
  readonly reason: SessionEndReason;
}

/** A UDP relay started no session for a new client; its datagram was dropped. */
export interface SessionRefusedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "session-refused";
  /** Always UDP. */
  readonly transport: "udp";
  /** The listener's socket name. */
  readonly local: SocketName;
  /** The client's socket name. */
  readonly remote: SocketName;
  /** Why, in plain words. */
  readonly detail: string;
}
