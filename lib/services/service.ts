/**
 * The one interface every service implements, for TCP, UDP or both.
 *
 * @module
 */

import type { SocketName, Transport } from "../spec/types.ts";
import type { ServiceName } from "./names.ts";
import type { BufferPool } from "./buffer_pool.ts";
// For the doc link only.
import type { ChunkReader as _ChunkReader } from "./read_chunks.ts";

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

/** What a service knows about the conversation it serves. */
export interface ServiceContext {
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
  /** The listen spec, as text, of the listener that received it. */
  readonly listener: string;
  /** The service's own name. */
  readonly service: ServiceName;
  /** The spec's options, already validated against {@linkcode Service.options}. */
  readonly options: Readonly<Record<string, string>>;
  /** The current time; a test can pin it. */
  readonly now: () => Date;
  /** Aborted when muxd shuts down; long-running services stop on it. */
  readonly signal: AbortSignal;
  /** The server's large read buffers, for a {@linkcode ChunkReader}. */
  readonly buffers: BufferPool;
}

/** Documentation of one option a service accepts in its spec (`?key=value`). */
export interface ServiceOption {
  /** The option's key. */
  readonly key: string;
  /** What it does. */
  readonly description: string;
  /** The value used when the spec does not set it. */
  readonly default: string;
  /**
   * Checks a value before anything is bound: returns what is wrong with it in
   * plain words, or `null` when it is fine.
   */
  readonly validate?: (value: string) => string | null;
}

/**
 * A service: what answers a connection or a datagram. A service that handles
 * TCP implements `tcp`; one that handles UDP implements `udp`.
 */
export interface Service {
  /** The service's name, as used in specs. */
  readonly name: ServiceName;
  /** The RFC that defines it, or `null` for muxd's own services. */
  readonly rfc: number | null;
  /** One line describing what it does. */
  readonly summary: string;
  /** The options it accepts in a spec. */
  readonly options: readonly ServiceOption[];
  /**
   * Serves one TCP connection. Resolves when the service is done with it;
   * the dispatcher then closes the connection. A throw ends only this
   * connection.
   */
  readonly tcp?: (stream: Stream, ctx: ServiceContext) => Promise<void>;
  /**
   * Answers one UDP datagram: the reply, or `null` for none. At most one
   * reply per datagram. A throw drops only this datagram.
   */
  readonly udp?: (request: Uint8Array, ctx: ServiceContext) => Uint8Array | null;
}
