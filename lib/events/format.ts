/**
 * One readable line per event, naming the transport and both socket names:
 * `tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami`.
 *
 * @module
 */

import { formatSocketName as name } from "../spec/socket_name.ts";
import type { CloseReason, ServerEvent } from "./event.ts";

const CLOSE_REASONS: Record<CloseReason, string> = {
  done: "",
  reset: ", reset by peer",
  error: ", after an error",
  shutdown: ", closed at shutdown",
  idle: ", closed as idle",
};

/**
 * Formats an event as one line of text, without a timestamp.
 *
 * @param event Any server event.
 * @returns The line, such as `tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami`.
 *
 * @example
 * ```ts
 * import { formatEvent } from "./format.ts";
 * formatEvent({
 *   type: "connection-opened", time: 0, id: 1, transport: "tcp",
 *   listener: "tcp://127.0.0.2:7007=whoami", service: "whoami",
 *   local: { address: "127.0.0.2", port: 7007 },
 *   remote: { address: "127.0.0.1", port: 51234 },
 *   bound: { address: "127.0.0.2", port: 7007 },
 * }); // "tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami"
 * ```
 */
export function formatEvent(event: ServerEvent): string {
  const t = event.transport;
  switch (event.type) {
    case "listening":
      return `listening ${t} ${name(event.local)} -> ${event.service}`;
    case "bind-failed":
      return `cannot bind ${t} ${name(event.local)} (${event.listener}): ${event.reason}`;
    case "listener-closed":
      return `stopped listening ${t} ${name(event.local)}`;
    case "connection-opened":
      return `${t} ${name(event.local)} <- ${name(event.remote)} -> ${event.service}` +
        (event.bound.address === event.local.address ? "" : ` (via ${t} ${name(event.bound)})`);
    case "connection-closed":
      return `${t} ${name(event.local)} <- ${name(event.remote)} closed after ` +
        `${Math.round(event.durationMs)} ms: ${event.bytesIn} B in, ${event.bytesOut} B out` +
        CLOSE_REASONS[event.reason];
    case "connection-refused":
      return `${t} ${name(event.local)} <- ${name(event.remote)} refused (${event.reason}): ` +
        event.detail;
    case "reply-suppressed":
      return `${t} ${name(event.local)} <- ${name(event.remote)} ` +
        (event.bytesOut > 0 ? `reply cut to ${event.bytesOut} B` : "no reply") +
        ` from ${event.service} (${event.reason}): ${event.detail}`;
    case "datagram":
      return `${t} ${name(event.local)} <- ${name(event.remote)} -> ${event.service} ` +
        `(${event.bytesIn} B)`;
    case "reply":
      return `${t} ${name(event.local)} -> ${name(event.remote)} reply ${event.bytesOut} B ` +
        `from ${event.service}`;
    case "error": {
      const peer = event.remote ? ` <- ${name(event.remote)}` : "";
      return `${t} ${name(event.local)}${peer} -> ${event.service} failed: ` +
        `${event.name}: ${event.message}`;
    }
  }
}
