/**
 * The events of faults: one each time a fault hits a connection or a
 * datagram, and one when a reload changes a listener's faults.
 *
 * @module
 */

import type { EventBase, ListenerOrigin } from "./event.ts";
import type { SocketName } from "../spec/types.ts";

/** What a TCP fault did to a connection. */
export type TcpFaultKind =
  | "latency" // its bytes are delayed (and jittered)
  | "bandwidth" // its bytes are paced to a rate
  | "slice" // what the service writes goes out in small pieces
  | "reset" // muxd reset it (RST)
  | "close" // muxd closed it (FIN)
  | "hang" // muxd neither reads, writes nor closes until the idle limit
  | "stall"; // muxd stopped reading from the client

/** What a UDP fault did to a datagram. */
export type UdpFaultKind =
  | "drop"
  | "duplicate"
  | "reorder"
  | "delay"
  | "truncate"
  | "corrupt";

/** Any fault's kind. */
export type FaultKind = TcpFaultKind | UdpFaultKind;

/**
 * A fault hit a connection (when it was chosen for it, or when it acted:
 * a reset, a close, a stall) or a datagram. Logged at debug, summed at info.
 */
export interface FaultEvent extends EventBase {
  /** The event's kind. */
  readonly type: "fault";
  /** What the fault did. */
  readonly fault: FaultKind;
  /** The bound socket name. */
  readonly local: SocketName;
  /** The client's socket name. */
  readonly remote: SocketName;
  /** The connection's id, for TCP; `null` for a datagram. */
  readonly id: number | null;
  /** UDP: whether it hit the client's request or the reply; `null` for TCP. */
  readonly on: "request" | "reply" | null;
  /** What it did in plain words: `100 ms each way`, `reset after 4,096 B`. */
  readonly detail: string;
}

/**
 * A reload, or a call of the API (`setFaults()`), changed a running
 * listener's faults only: its socket and connections stay, and the new
 * faults apply to connections and datagrams that arrive from now on.
 */
export interface FaultsChangedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "faults-changed";
  /** The bound socket name. */
  readonly local: SocketName;
  /** The fault options before, as a spec writes them (`?latency=100`), or `""` for none. */
  readonly before: string;
  /** The fault options now, or `""` for none. */
  readonly after: string;
  /** The seed of the faults now; `null` when there are none. */
  readonly seed: number | null;
  /** Who changed them: a reload of the config (`config`) or the API (`api`). */
  readonly by: ListenerOrigin;
  /**
   * Who had set the faults before. A reload that changes faults the API set
   * (`by` `config`, `was` `api`) replaces them: the config's win.
   */
  readonly was: ListenerOrigin;
}
