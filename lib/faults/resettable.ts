/**
 * A connection that can be reset: closed with an RST instead of a FIN, so
 * that the peer sees ECONNRESET. `Deno.TcpConn` cannot (it has no
 * SO_LINGER); a listener whose faults include `reset-after` accepts
 * connections that can.
 *
 * @module
 */

/** A connection that can be closed with a reset (RST). */
export interface Resettable {
  /** Closes the connection at once with an RST (SO_LINGER 0, then close). */
  reset(): void;
}

/**
 * Tells whether a connection can be reset.
 *
 * @param conn An accepted connection.
 * @returns `true` when it has a `reset()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isResettable } from "./resettable.ts";
 *
 * assert.equal(isResettable({ reset() {} }), true);
 * assert.equal(isResettable({ close() {} }), false);
 * ```
 */
export function isResettable(conn: object): conn is Resettable {
  return typeof (conn as Partial<Resettable>).reset === "function";
}
