/**
 * How many bytes a closed TCP connection brought in from its client, all
 * told: what its service got and what muxd read and set aside.
 *
 * @module
 */

import type { ConnectionClosedEvent } from "./event.ts";

/**
 * The bytes that arrived on a closed connection's socket from its client:
 * `bytesIn` (what the service got) plus `drained` and `droppedIn`. This is
 * what the network delivered, what a connection's live count shows while it
 * is open, and what the dashboard's and the metrics' "bytes in" count.
 *
 * @param event The connection's `connection-closed` event.
 * @returns Every byte muxd read from the client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesArrived } from "./bytes_arrived.ts";
 * import type { ConnectionClosedEvent } from "./event.ts";
 *
 * const closed: ConnectionClosedEvent = {
 *   type: "connection-closed", time: 0, transport: "tcp",
 *   listener: "tcp://127.0.0.1:7007=echo?close-after=1000", service: "echo", id: 1,
 *   local: { address: "127.0.0.1", port: 7007 }, remote: { address: "127.0.0.1", port: 40000 },
 *   bytesIn: 500, bytesOut: 500, drained: 4000, durationMs: 3, reason: "fault",
 * };
 * assert.equal(bytesArrived(closed), 4500);
 * ```
 */
export function bytesArrived(event: ConnectionClosedEvent): number {
  return event.bytesIn + (event.drained ?? 0) + (event.droppedIn ?? 0);
}
