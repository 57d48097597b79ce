/**
 * Which listening socket an event concerns when its `local` is no bound
 * socket name: the key that the consumers of the events (the dashboard, the
 * metrics, the log's fault summary) learn from `listening` and look up.
 *
 * @module
 */

/**
 * A listening socket's key: its listen spec and its bound port. The spec
 * alone names no socket: one spec with port 0, given twice
 * (`tcp://0.0.0.0:0=echo` and again), binds two sockets on two ports. The
 * events of a connection on a wildcard listener name the address the client
 * reached, on the listener's port, so `local` finds its socket by this key.
 *
 * @param listener The event's `listener`: the spec, as it is now.
 * @param port The port of the event's `local`.
 * @returns The key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenerKey } from "./listener_key.ts";
 *
 * const spec = "tcp://0.0.0.0:0=echo";
 * // Bound on two ports; a connection to 127.0.0.2 on the first names its listener's.
 * assert.equal(listenerKey(spec, 40001), listenerKey(spec, 40001));
 * assert.notEqual(listenerKey(spec, 40001), listenerKey(spec, 40002));
 * ```
 */
export function listenerKey(listener: string, port: number): string {
  return `${port} ${listener}`;
}
