/**
 * Below the socket table: what became of each UDP wildcard, one line each,
 * since its spec names an address that no row shows.
 *
 * @module
 */

import type { ServingSocket } from "../server/running_server.ts";
import { formatSocketName } from "../spec/socket_name.ts";

/**
 * One line per UDP wildcard bound per address, naming its sockets, with a
 * blank line before them; nothing when there is none.
 *
 * @param sockets The sockets a running server holds.
 * @returns The lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wildcardLines } from "./wildcard_lines.ts";
 *
 * const at = (address: string) => ({
 *   id: `udp-${address}-7000`, origin: "config" as const, faults: null, faultsBy: "config" as const,
 *   transport: "udp" as const, local: { address, port: 7000 }, service: "echo" as const,
 *   spec: `udp://${address}:7000=echo`, wildcard: "udp://0.0.0.0:7000=echo",
 * });
 * assert.deepEqual(wildcardLines([at("127.0.0.1"), at("192.0.2.2")]), [
 *   "",
 *   "udp://0.0.0.0:7000=echo is one socket per address (127.0.0.1:7000, 192.0.2.2:7000), " +
 *   "so each reply leaves from the address its datagram was sent to (?wildcard=kernel: " +
 *   "one wildcard socket)",
 * ]);
 * ```
 */
export function wildcardLines(sockets: readonly ServingSocket[]): string[] {
  const byWildcard = new Map<string, string[]>();
  for (const s of sockets) {
    if (s.wildcard === null) continue;
    byWildcard.set(s.wildcard, [...(byWildcard.get(s.wildcard) ?? []), formatSocketName(s.local)]);
  }
  if (byWildcard.size === 0) return [];
  return [
    "",
    ...[...byWildcard].map(([spec, names]) =>
      `${spec} is one socket per address (${names.join(", ")}), so each reply leaves from the ` +
      `address its datagram was sent to (?wildcard=kernel: one wildcard socket)`
    ),
  ];
}
