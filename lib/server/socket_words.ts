/**
 * Serving sockets in the words of muxd's log, for the lines that name what
 * changed (a reload's, the control API's): `tcp 127.0.0.1:7007 echo`, and a
 * run of consecutive ports on one address with one service (a port
 * range's) as one entry, `tcp 127.0.0.1:9000-9999 echo`.
 *
 * @module
 */

import { formatSocketName } from "../spec/socket_name.ts";
import type { ServingSocket } from "./running_server.ts";

/**
 * How many entries a line names at most; the rest are counted. Listeners on
 * port 0 get ports that are not consecutive, so 10,000 of them would be
 * 10,000 entries: one log line of 260 KB.
 */
export const MAX_NAMED = 20;

/**
 * Names sockets in the order given, runs of consecutive ports as ranges: a
 * change of 1,000 ports is a few words, not 30 KB. Past {@linkcode MAX_NAMED}
 * entries the rest are counted, not named (the ready record lists them all).
 *
 * @param sockets The sockets, in the order the line names them.
 * @returns Such as `tcp 127.0.0.1:9000-9049 echo, udp [::1]:7101 whoami`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { socketsWords } from "./socket_words.ts";
 *
 * const socket = (port: number, service: "echo" | "whoami" = "echo") =>
 *   ({ transport: "tcp", local: { address: "127.0.0.1", port }, service }) as const;
 * assert.equal(
 *   socketsWords([socket(9000), socket(9001), socket(9002), socket(9003, "whoami"), socket(9005)]),
 *   "tcp 127.0.0.1:9000-9002 echo, tcp 127.0.0.1:9003 whoami, tcp 127.0.0.1:9005 echo",
 * );
 * ```
 */
export function socketsWords(
  sockets: readonly Pick<ServingSocket, "transport" | "local" | "service">[],
): string {
  const runs: string[] = [];
  for (let i = 0; i < sockets.length;) {
    const s = sockets[i];
    let j = i + 1;
    while (
      j < sockets.length && sockets[j].transport === s.transport &&
      sockets[j].local.address === s.local.address && sockets[j].service === s.service &&
      sockets[j].local.port === sockets[j - 1].local.port + 1
    ) j++;
    const last = sockets[j - 1].local.port;
    const to = last === s.local.port ? "" : `-${last}`;
    runs.push(`${s.transport} ${formatSocketName(s.local)}${to} ${s.service}`);
    i = j;
  }
  if (runs.length <= MAX_NAMED) return runs.join(", ");
  return `${runs.slice(0, MAX_NAMED).join(", ")} and ${runs.length - MAX_NAMED} more`;
}
