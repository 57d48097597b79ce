/**
 * A netcat command line that tries a socket the way its service expects.
 *
 * @module
 */

import type { ServiceName } from "../services/names.ts";
import type { SocketName, Transport } from "../spec/types.ts";

/** How a TCP client talks to each service: send a line, or only listen. */
const TCP_STYLE: Record<ServiceName, "send" | "listen" | "stream"> = {
  echo: "send",
  discard: "send",
  size: "send",
  chargen: "stream",
  qotd: "listen",
  daytime: "listen",
  time: "listen",
  whoami: "listen",
  banner: "listen",
  exec: "send",
  // The upstream answers; a line to send is what most servers expect.
  forward: "send",
};

/**
 * The OpenBSD netcat command that tries a socket.
 *
 * @param transport The socket's transport.
 * @param local The bound socket name; a wildcard is dialled on loopback.
 * @param service The service it runs.
 * @returns A shell command line.
 *
 * @example
 * ```ts
 * import { netcatCommand } from "./try_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   netcatCommand("udp", { address: "127.0.0.1", port: 1060 }, "size"),
 *   "echo hello | nc -u -w1 127.0.0.1 1060",
 * );
 * ```
 */
export function netcatCommand(
  transport: Transport,
  local: SocketName,
  service: ServiceName,
): string {
  const v6 = local.address.includes(":");
  const host = local.address === "0.0.0.0"
    ? "127.0.0.1"
    : local.address === "::"
    ? "::1"
    : local.address;
  const target = `${v6 ? "-6 " : ""}${host} ${local.port}`;
  if (transport === "udp") return `echo hello | nc -u -w1 ${target}`;
  if (service === "time") return `nc -d ${target} | od -An -tu1`;
  switch (TCP_STYLE[service]) {
    case "send":
      return `echo hello | nc -N ${target}`;
    case "stream":
      return `nc -d ${target} | head -n 3`;
    case "listen":
      return `nc -d ${target}`;
  }
}
