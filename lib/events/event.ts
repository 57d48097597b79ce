/**
 * The one stream of server events. Logs, stats and the dashboard are all
 * consumers of it; every event names the transport and both socket names.
 *
 * @module
 */

import type { ServiceName } from "../services/names.ts";
import type { SocketName, Transport } from "../spec/types.ts";
import type { RefusalReason } from "../guard/admission.ts";
import type { SuppressReason } from "../guard/udp_guard.ts";
import type { ExecEvent, ProgramExit } from "./exec_event.ts";
import type {
  SessionClosedEvent,
  SessionRefusedEvent,
  UpstreamConnectedEvent,
} from "./relay_events.ts";
import type { FaultEvent, FaultsChangedEvent } from "./fault_events.ts";

/**
 * Who made a running listener, or set its faults: the command line or
 * config file (`config`, replaced as a whole by each reload), or a call of
 * the library or the control API (`api`).
 */
export type ListenerOrigin = "config" | "api";

/** What every event carries. */
export interface EventBase {
  /** When it happened, in milliseconds since the Unix epoch. */
  readonly time: number;
  /** The transport of the socket it concerns. */
  readonly transport: Transport;
  /** The listen spec, as text, of the listener it concerns. */
  readonly listener: string;
  /** The service configured on that listener. */
  readonly service: ServiceName;
}

/** A socket was bound and is accepting connections or datagrams. */
export interface ListeningEvent extends EventBase {
  /** The event's kind. */
  readonly type: "listening";
  /** The bound socket name, with port 0 resolved to the real port. */
  readonly local: SocketName;
  /**
   * The listener's faults, as a spec writes them (`?latency=100`), and the
   * seed of their random choices; absent when it has none.
   */
  readonly faults?: { readonly text: string; readonly seed: number };
}

/** A listen spec could not be bound. */
export interface BindFailedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "bind-failed";
  /** The socket name that was asked for. */
  readonly local: SocketName;
  /** The OS error's code, such as `EADDRINUSE`, when there is one. */
  readonly code: string | null;
  /** What went wrong, in plain words. */
  readonly reason: string;
  /**
   * The spec as written that `listener` is one socket of: a port range's
   * (`tcp://127.0.0.1:9000-9999=echo`) or an interface's; `listener` itself
   * for a spec of one socket. Absent in events made before muxd named it.
   */
  readonly origin?: string;
}

/** A listener stopped accepting. */
export interface ListenerClosedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "listener-closed";
  /** The bound socket name. */
  readonly local: SocketName;
}

/**
 * A reload's config binds the socket name of a listener added through the
 * API: the config's listener replaces it. `listener` and `service` are the
 * config's; the API's listener closes (its `listener-closed` follows), and
 * the config's binds (its `listening` follows).
 */
export interface ListenerReplacedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "listener-replaced";
  /** The socket name they share. */
  readonly local: SocketName;
  /** The spec of the listener added through the API, which closes. */
  readonly replaced: string;
}

/** A TCP connection was accepted and handed to its service. */
export interface ConnectionOpenedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "connection-opened";
  /** Always TCP. */
  readonly transport: "tcp";
  /** A number unique to this connection within the running server. */
  readonly id: number;
  /** The local socket name the connection arrived on. */
  readonly local: SocketName;
  /** The peer's socket name. */
  readonly remote: SocketName;
  /**
   * The listening socket's name, which differs from `local` on a wildcard
   * listener: it shows which socket the kernel handed the connection to.
   */
  readonly bound: SocketName;
}

/** How a connection ended. */
export type CloseReason =
  | "done" // the service finished
  | "reset" // the peer reset the connection or went away mid-write
  | "error" // the service failed (an error event came first)
  | "shutdown" // muxd closed it as it stopped: chargen at once, others at the end of the grace period
  | "idle" // no byte either way for the listener's idle timeout
  | "upstream" // a relay's upstream refused, did not answer or went away: see `detail`
  | "fault"; // a fault reset or closed it on purpose (reset-after, close-after): see `detail`

/**
 * A TCP connection ended. An optional field that does not apply is
 * `undefined`: muxd builds this event, one per connection, with every key
 * (one object shape), and the JSON log leaves out the `undefined` ones.
 */
export interface ConnectionClosedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "connection-closed";
  /** Always TCP. */
  readonly transport: "tcp";
  /** The id from the matching `connection-opened` event. */
  readonly id: number;
  /** The local socket name the connection arrived on. */
  readonly local: SocketName;
  /** The peer's socket name. */
  readonly remote: SocketName;
  /**
   * Bytes read from the peer that the service got: not those of `drained`
   * and `droppedIn`.
   */
  readonly bytesIn: number;
  /** Bytes written to the peer: what the kernel took to send it, every write settled. */
  readonly bytesOut: number;
  /**
   * Bytes muxd read from the peer after the service's part ended, and
   * dropped: while it lingered after the service was done (so that closing
   * does not reset the reply away), or after a `close-after` fault.
   * `undefined` when none.
   */
  readonly drained?: number;
  /**
   * Bytes read from the peer that the service never got, dropped by its
   * faults: what in latency held when the connection ended, and what a read
   * took past a `reset-after` or `close-after` count. `undefined` when none.
   */
  readonly droppedIn?: number;
  /**
   * Bytes the service wrote, and muxd accepted into out latency, that never
   * reached the peer: what the line held when a fault, the idle limit,
   * shutdown or the peer ended the connection (`reason` says which), and the
   * rest of a chunk a byte count cut. `undefined` when none.
   */
  readonly droppedOut?: number;
  /** Milliseconds from accept to close, to the microsecond (three decimals). */
  readonly durationMs: number;
  /** Why it ended. */
  readonly reason: CloseReason;
  /**
   * For reason `upstream`, what happened in plain words:
   * `upstream 127.0.0.1:8080 refused the connection`; for reason `fault`,
   * which fault: `reset after 4,096 B`. `undefined` otherwise.
   */
  readonly detail?: string;
  /**
   * For a connection served by exec, how its program ended: its exit
   * status or signal, and why muxd ended it. `undefined` otherwise.
   */
  readonly exit?: ProgramExit;
}

/** A TCP connection was turned away before its service saw it. */
export interface ConnectionRefusedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "connection-refused";
  /** Always TCP. */
  readonly transport: "tcp";
  /** The local socket name the connection arrived on. */
  readonly local: SocketName;
  /** The peer's socket name. */
  readonly remote: SocketName;
  /** Which rule refused it. */
  readonly reason: RefusalReason;
  /** The rule in plain words. */
  readonly detail: string;
}

/** A UDP datagram got no reply, or a shortened one, because of a guard. */
export interface ReplySuppressedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "reply-suppressed";
  /** Always UDP. */
  readonly transport: "udp";
  /** The bound socket name. */
  readonly local: SocketName;
  /** The sender's socket name. */
  readonly remote: SocketName;
  /** Which guard acted. */
  readonly reason: SuppressReason;
  /** The guard in plain words. */
  readonly detail: string;
  /** The request's size. */
  readonly bytesIn: number;
  /** The size of the reply that was sent: 0 when none was, less than asked when cut. */
  readonly bytesOut: number;
}

/** A UDP datagram arrived and was handed to its service. */
export interface DatagramEvent extends EventBase {
  /** The event's kind. */
  readonly type: "datagram";
  /** Always UDP. */
  readonly transport: "udp";
  /** The bound socket name (on a wildcard socket, the wildcard). */
  readonly local: SocketName;
  /** The sender's socket name. */
  readonly remote: SocketName;
  /** The datagram's size. */
  readonly bytesIn: number;
}

/** A UDP reply was sent. */
export interface ReplyEvent extends EventBase {
  /** The event's kind. */
  readonly type: "reply";
  /** Always UDP. */
  readonly transport: "udp";
  /** The bound socket name the reply was sent from. */
  readonly local: SocketName;
  /** The socket name it was sent to. */
  readonly remote: SocketName;
  /** The reply's size. */
  readonly bytesOut: number;
}

/** A connection or datagram failed; the listener goes on serving. */
export interface ErrorEvent extends EventBase {
  /** The event's kind. */
  readonly type: "error";
  /** The local socket name. */
  readonly local: SocketName;
  /** The peer's socket name, when there is one. */
  readonly remote: SocketName | null;
  /** The connection's id, for TCP. */
  readonly id: number | null;
  /** The error's class name, such as `TypeError` or `ConnectionReset`. */
  readonly name: string;
  /** The error's message. */
  readonly message: string;
}

/**
 * A connection went away before muxd could accept it: the client reset or
 * aborted it while it waited in the kernel's queue (an ordinary connect scan
 * does this). It concerns that connection only; the listener goes on.
 */
export interface ConnectionAbortedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "connection-aborted";
  /** Always TCP. */
  readonly transport: "tcp";
  /** The listening socket's name. */
  readonly local: SocketName;
  /** The error's class name, such as `NotConnected` or `ConnectionReset`. */
  readonly name: string;
}

/**
 * A listener cannot accept because the process or the system ran out of a
 * resource (`EMFILE`: the open-files limit). It retries by itself; this event
 * comes at most once per interval, also for a listener at the limit that
 * runs out again after each accept.
 */
export interface AcceptPausedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "accept-paused";
  /** Always TCP. */
  readonly transport: "tcp";
  /** The listening socket's name. */
  readonly local: SocketName;
  /** The OS error code, such as `EMFILE`. */
  readonly code: string;
  /** What it means and what to do, in plain words. */
  readonly detail: string;
  /** Accepts that failed since the pause began. */
  readonly failures: number;
  /** How long the listener waits before it tries again, in ms. */
  readonly retryMs: number;
}

/** A listener whose pause was reported (see {@linkcode AcceptPausedEvent}) accepts again. */
export interface AcceptResumedEvent extends EventBase {
  /** The event's kind. */
  readonly type: "accept-resumed";
  /** Always TCP. */
  readonly transport: "tcp";
  /** The listening socket's name. */
  readonly local: SocketName;
  /** How long accepting failed, in ms, to the microsecond (three decimals). */
  readonly pausedMs: number;
  /** Accepts that failed meanwhile. */
  readonly failures: number;
}

/** Any event a running server emits. */
export type ServerEvent =
  | ListeningEvent
  | BindFailedEvent
  | ListenerClosedEvent
  | ListenerReplacedEvent
  | ConnectionOpenedEvent
  | ConnectionClosedEvent
  | ConnectionRefusedEvent
  | ConnectionAbortedEvent
  | AcceptPausedEvent
  | AcceptResumedEvent
  | DatagramEvent
  | ReplySuppressedEvent
  | ReplyEvent
  | ErrorEvent
  | ExecEvent
  | UpstreamConnectedEvent
  | SessionClosedEvent
  | SessionRefusedEvent
  | FaultEvent
  | FaultsChangedEvent;

/** What kind of event it is: `"datagram"`, `"reply"`, … */
export type EventType = ServerEvent["type"];

/** Where events go: a function called once per event, synchronously. */
export type EventSink = (event: ServerEvent) => void;

/**
 * Whether anything takes events of a type now: an event that nobody takes
 * need not be made. A server asks per connection or datagram.
 */
export type EventWanted = (type: EventType) => boolean;
