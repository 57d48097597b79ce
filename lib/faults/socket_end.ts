/**
 * How the socket of a connection with faults ends: closed or reset, once,
 * whoever asks first (the fault, the idle sweep, shutdown), with a promise
 * for the faults that wait on it.
 *
 * @module
 */

import { canReset } from "../bind/tcp_listener.ts";

/**
 * Owns the closing of one connection's socket. The connection table closes
 * it through {@linkcode SocketEnd.close}; a reset fault through
 * {@linkcode SocketEnd.reset}; either way once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketEnd } from "./socket_end.ts";
 *
 * let closes = 0;
 * const end = new SocketEnd({ close: () => closes++ });
 * end.close();
 * end.close();
 * await end.closed;
 * assert.equal(closes, 1);
 * ```
 */
export class SocketEnd {
  /** Resolves once the socket is closed (or reset). */
  readonly closed: Promise<void>;
  readonly #conn: { close(): void };
  readonly #resolve: () => void;
  #done = false;

  /**
   * Takes over the closing of a connection.
   *
   * @param conn The accepted connection.
   */
  constructor(conn: { close(): void }) {
    this.#conn = conn;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.closed = promise;
    this.#resolve = resolve;
  }

  /** Closes the socket, once; later calls do nothing. */
  close(): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#conn.close();
    } finally {
      this.#resolve();
    }
  }

  /**
   * Resets the connection with an RST (SO_LINGER 0, then close), once; does
   * nothing after a close. Only a listener with `reset-after` resets, and
   * such a listener is bound on node:net, whose connections can.
   *
   * @throws {TypeError} When the connection cannot send an RST: a listener
   *   with reset-after was bound without node:net, which is a bug.
   */
  reset(): void {
    if (this.#done) return;
    const conn = this.#conn;
    if (!canReset(conn)) {
      this.close();
      throw new TypeError("this connection cannot be reset: its listener was not bound for resets");
    }
    this.#done = true;
    try {
      conn.reset();
    } finally {
      this.#resolve();
    }
  }
}
