/**
 * The one interface every service implements, for TCP, UDP or both.
 *
 * @module
 */

import type { SocketName, Transport } from "../spec/types.ts";
import type { ServiceName } from "./names.ts";
import type { BufferPool } from "./buffer_pool.ts";
import type { ServiceOption } from "./options.ts";
import type { EventSink } from "../events/event.ts";
import type { ProcessTable } from "./process_table.ts";
import type { TimeoutSignals } from "./timeout_signals.ts";
import type { DatagramRelay, RelayHost } from "./relay.ts";
import type { ProgramExit } from "../events/exec_event.ts";
// For the doc links only.
import type { ChunkReader as _ChunkReader } from "./read_chunks.ts";
import type { OptionValues as _OptionValues } from "./options.ts";

/**
 * The byte stream a TCP service talks to. A `Deno.TcpConn` is one; the
 * dispatcher hands services a wrapper that counts bytes per chunk.
 */
export interface Stream {
  /** Reads into `p`; resolves to the number of bytes read, or `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; resolves to the number of bytes written. */
  write(p: Uint8Array): Promise<number>;
  /** Half-closes: the peer sees end of stream, reading goes on. */
  closeWrite(): Promise<void>;
}

/**
 * What a service knows about the conversation it serves.
 *
 * @typeParam O The service's options, parsed: see {@linkcode _OptionValues}.
 */
export interface ServiceContext<O = unknown> {
  /** The transport the connection or datagram arrived on. */
  readonly transport: Transport;
  /**
   * The local socket name it arrived on, or `null` where the OS cannot tell
   * (a datagram on a UDP wildcard socket).
   */
  readonly local: SocketName | null;
  /** The local socket name of the bound socket, as bound (may be a wildcard). */
  readonly bound: SocketName;
  /** The peer's socket name. */
  readonly remote: SocketName;
  /** The listen spec of the listener that received it, as text to show. */
  readonly listener: string;
  /** The service's own name. */
  readonly service: ServiceName;
  /** The spec's options, parsed once when muxd provisioned, defaults filled in. */
  readonly options: O;
  /** The current time; a test can pin it. */
  readonly now: () => Date;
  /** Aborted when muxd shuts down; long-running services stop on it. */
  readonly signal: AbortSignal;
  /** The server's large read buffers, for a {@linkcode ChunkReader}. */
  readonly buffers: BufferPool;
  /**
   * The id of the TCP connection, as its `connection-opened` event gives it;
   * `null` for a datagram.
   */
  readonly id: number | null;
  /**
   * Where the service's own events go, such as `upstream-connected` from
   * `forward`: the same stream the dispatcher's events go to.
   */
  readonly emit: EventSink;
  /** The programs exec runs, counted against their caps: one table per running server. */
  readonly processes: ProcessTable;
  /** Timeout signals shared by the connections of one running server, such as `forward`'s connect-timeout. */
  readonly timeouts: TimeoutSignals;
}

/**
 * What a TCP service tells the dispatcher about a connection it served,
 * for the connection's `connection-closed` event: once per connection,
 * as the value its `tcp` resolves to.
 */
export interface TcpOutcome {
  /** How the program exec ran for the connection ended. */
  readonly exit?: ProgramExit;
}

/** What a service allows the dispatcher to do, beyond calling it. */
export interface ServiceCapabilities {
  /**
   * Its UDP reply still makes sense when cut short, so the amplification
   * limit may cut it to size rather than drop it (chargen's lines).
   * @default false
   */
  readonly udpReplyMayBeCut?: boolean;
}

/**
 * The file descriptors a listener's service may hold open at once, besides
 * the listening socket: what muxd adds up at start-up against the process's
 * open-files limit.
 */
export interface ServiceFiles {
  /** For each TCP connection, its socket included. @default 1 */
  readonly perConnection: number;
  /**
   * At most at once besides the connections: the pipes of the programs
   * `exec` runs, the sockets of `forward`'s UDP sessions. @default 0
   */
  readonly besides: number;
}

/**
 * A service: what answers a connection or a datagram. A service that handles
 * TCP implements `tcp`; one that handles UDP implements `udp`.
 *
 * @typeParam O The service's options, parsed: one field per entry of `options`.
 */
export interface Service<O = unknown> {
  /** The service's name, as used in specs. */
  readonly name: ServiceName;
  /** The RFC that defines it, or `null` for muxd's own services. */
  readonly rfc: number | null;
  /** One line describing what it does. */
  readonly summary: string;
  /** The options it accepts in a spec, parsed into `O` once when muxd provisions. */
  readonly options: readonly ServiceOption[];
  /** What the dispatcher may do with it. @default {} */
  readonly capabilities?: ServiceCapabilities;
  /**
   * The file descriptors a listener of this service may hold, from its
   * options; without it, one per TCP connection and none besides.
   */
  files?(options: O, transport: Transport): ServiceFiles;
  /**
   * Serves one TCP connection. Resolves when the service is done with it,
   * to nothing or to what the connection's closing event adds; the
   * dispatcher then closes the connection. A throw ends only this
   * connection.
   */
  tcp?(stream: Stream, ctx: ServiceContext<O>): Promise<void | TcpOutcome>;
  /**
   * Answers one UDP datagram: the reply, or `null` for none. At most one
   * reply per datagram. A throw drops only this datagram. A service that
   * must wait for its reply (exec's program) returns a promise, and the
   * socket goes on receiving meanwhile; `request` lives in the socket's
   * receive buffer, so such a service copies what it keeps before it
   * returns.
   */
  udp?(
    request: Uint8Array,
    ctx: ServiceContext<O>,
  ): Uint8Array | null | Promise<Uint8Array | null>;
  /**
   * Serves a UDP listener as a relay instead of with `udp`: called once
   * when the listener starts, it is handed every datagram that passed the
   * guards, and sends replies when they come, through `host.reply`, which
   * applies the guards to each. `forward` is one.
   */
  udpRelay?(host: RelayHost<O>): DatagramRelay;
}
