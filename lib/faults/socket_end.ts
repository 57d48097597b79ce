/**
 * How the socket of a connection with faults ends: closed or reset, once,
 * whoever asks first (the fault, the idle sweep, shutdown), with a promise
 * for the faults that wait on it.
 *
 * @module
 */

import { isResettable } from "./resettable.ts";

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

  /** Whether the connection can be reset with a real RST. */
  get canReset(): boolean {
    return isResettable(this.#conn);
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
   * Resets the connection: an RST where the connection can send one, and a
   * plain close otherwise (TEMPORARY, until every listener with reset-after
   * accepts resettable connections), which Deno sends as a FIN, followed by
   * an RST only when bytes from the peer are still unread. Once; does nothing
   * after a close.
   */
  reset(): void {
    if (this.#done) return;
    const conn = this.#conn;
    if (!isResettable(conn)) return this.close();
    this.#done = true;
    try {
      conn.reset();
    } finally {
      this.#resolve();
    }
  }
}
