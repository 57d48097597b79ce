/**
 * What muxd's TCP dispatch needs from a listening socket and from the
 * connections it accepts: the part of `Deno.TcpListener` and `Deno.TcpConn`
 * it uses. Deno's own are one implementation; the node-backed listener
 * (for listeners whose faults reset connections) is the other.
 *
 * @module
 */

/** An accepted TCP connection, as muxd uses it. A `Deno.TcpConn` is one. */
export interface TcpConnection {
  /** The local socket name the client reached. */
  readonly localAddr: Deno.NetAddr;
  /** The client's socket name. */
  readonly remoteAddr: Deno.NetAddr;
  /** Reads into `p`; resolves to the number of bytes read, or `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; resolves to the number of bytes written. */
  write(p: Uint8Array): Promise<number>;
  /** Half-closes: the client reads end of stream, reading goes on. */
  closeWrite(): Promise<void>;
  /** Closes the connection; a read or write waiting on it fails with `Deno.errors.Interrupted`. */
  close(): void;
}

/** A connection that can end with a reset (RST) instead of a FIN. */
export interface ResettableConnection extends TcpConnection {
  /**
   * Closes the connection with a reset: the client's next read or write
   * fails with `ECONNRESET`, and what it had not read yet is lost.
   */
  reset(): void;
}

/** A listening TCP socket, as muxd uses it. A `Deno.TcpListener` is one. */
export interface TcpListener {
  /** The bound socket name, port 0 resolved. */
  readonly addr: Deno.NetAddr;
  /**
   * Waits for the next connection.
   *
   * @throws {Deno.errors.BadResource} Once the listener is closed.
   */
  accept(): Promise<TcpConnection>;
  /** Closes the listener; a waiting `accept()` fails with `Deno.errors.BadResource`. */
  close(): void;
}

/**
 * Tells whether a connection can be reset.
 *
 * @param conn An accepted connection (or anything that closes one).
 * @returns `true` when it has `reset()`: one the node-backed listener accepted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canReset } from "./tcp_listener.ts";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * using conn = await listener.accept();
 * assert.equal(canReset(conn), false);
 * ```
 */
export function canReset(conn: object): conn is ResettableConnection {
  return typeof (conn as Partial<ResettableConnection>).reset === "function";
}
