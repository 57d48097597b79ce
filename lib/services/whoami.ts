/**
 * The whoami service (muxd's own): tells the client the socket names of the
 * conversation it is in.
 *
 * @module
 */

import type { Service, ServiceContext } from "./service.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import { writeAll } from "./write_all.ts";

const encoder = new TextEncoder();

/**
 * Describes the conversation in `ctx` as six lines, each ending with `\n`:
 * the socket names, then the process that holds the socket, which tells
 * apart two processes that share one socket name (`?reuse=true`):
 *
 * ```text
 * transport: tcp
 * local: 127.0.0.2:7007
 * remote: 127.0.0.1:51234
 * listener: tcp://127.0.0.2:7007=whoami
 * service: whoami
 * process: 12345
 * ```
 *
 * When `ctx.local` is `null` (a datagram on a UDP socket bound to the
 * wildcard, as `?wildcard=kernel` binds it) the local line says so, names the
 * bound socket and says why, on one line: `local: unknown (UDP socket bound
 * to the wildcard 0.0.0.0:7000: the kernel can tell a program which address
 * a datagram was sent to (IP_PKTINFO), but Deno does not expose it; the reply
 * leaves from an address the kernel picks)`.
 *
 * @param ctx The conversation.
 * @param pid The process id of the process that answers, such as `Deno.pid`.
 * @returns The lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { whoamiText } from "./whoami.ts";
 *
 * const text = whoamiText({
 *   transport: "tcp",
 *   local: { address: "::1", port: 7007 },
 *   bound: { address: "::1", port: 7007 },
 *   remote: { address: "::1", port: 51234 },
 *   listener: "tcp://[::1]:7007=whoami",
 *   service: "whoami",
 * }, 12345);
 * assert.equal(text.split("\n")[1], "local: [::1]:7007");
 * assert.equal(text.split("\n")[5], "process: 12345");
 * ```
 */
export function whoamiText(
  ctx: Pick<ServiceContext, "transport" | "local" | "bound" | "remote" | "listener" | "service">,
  pid: number,
): string {
  const local = ctx.local === null
    ? `unknown (${ctx.transport.toUpperCase()} socket bound to the wildcard ` +
      `${formatSocketName(ctx.bound)}: the kernel can tell a program which address a datagram ` +
      `was sent to (${ctx.bound.address.includes(":") ? "IPV6_PKTINFO" : "IP_PKTINFO"}), but ` +
      "Deno does not expose it; the reply leaves from an address the kernel picks)"
    : formatSocketName(ctx.local);
  return [
    `transport: ${ctx.transport}`,
    `local: ${local}`,
    `remote: ${formatSocketName(ctx.remote)}`,
    `listener: ${ctx.listener}`,
    `service: ${ctx.service}`,
    `process: ${pid}`,
  ].map((line) => `${line}\n`).join("");
}

/**
 * Whoami, muxd's own: replies with {@linkcode whoamiText} for this process,
 * the lesson itself.
 *
 * - TCP: sends the lines and returns, ignoring input.
 * - UDP: replies with the lines, whatever the request holds.
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.2:7007=whoami
 * udp://127.0.0.2:7007=whoami
 * ```
 */
export const whoami: Service = {
  name: "whoami",
  rfc: null,
  summary:
    "Tells the client the transport, both socket names, the listener, the service and muxd's process id.",
  options: [],
  async tcp(stream, ctx) {
    await writeAll(stream, encoder.encode(whoamiText(ctx, Deno.pid)));
  },
  udp: (_request, ctx) => encoder.encode(whoamiText(ctx, Deno.pid)),
};
