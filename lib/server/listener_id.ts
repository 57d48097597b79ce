/**
 * A running listener's id: readable, stable while it runs, and safe in a
 * URL path as it is, such as `tcp-127.0.0.1-7007` or `udp-__1-53`.
 *
 * @module
 */

import type { SocketName, Transport } from "../spec/types.ts";

/**
 * The id of the socket a listener holds: its transport, address and real
 * port, joined by `-`. An IPv6 address writes each `:` as `_` (`[::1]`
 * becomes `__1`), so that the id holds only letters, digits, `.`, `_` and
 * `-`: `encodeURIComponent(id) === id`, and no URL parser takes a part of
 * it for a scheme or a port. A second socket with the same name (both with
 * `reuse=true`) gets `~2`, a third `~3`: pass `taken` to find that.
 *
 * @param transport `tcp` or `udp`.
 * @param local The bound socket name, port 0 resolved.
 * @param taken Ids already in use: the id avoids them.
 * @returns The id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenerId } from "./listener_id.ts";
 *
 * assert.equal(listenerId("tcp", { address: "127.0.0.1", port: 7007 }), "tcp-127.0.0.1-7007");
 * assert.equal(listenerId("udp", { address: "::1", port: 53 }), "udp-__1-53");
 * const taken = new Set(["tcp-127.0.0.1-7007"]);
 * assert.equal(listenerId("tcp", { address: "127.0.0.1", port: 7007 }, taken), "tcp-127.0.0.1-7007~2");
 * ```
 */
export function listenerId(
  transport: Transport,
  local: SocketName,
  taken: ReadonlySet<string> = new Set(),
): string {
  const id = `${transport}-${local.address.replaceAll(":", "_")}-${local.port}`;
  if (!taken.has(id)) return id;
  let n = 2;
  while (taken.has(`${id}~${n}`)) n++;
  return `${id}~${n}`;
}
