/**
 * One readable line per event, naming the transport and both socket names:
 * `tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami`.
 *
 * {@linkcode formatEvent} is the one definition of every line. The plain
 * text log writes the lines a busy server writes most (one per connection
 * or datagram) as bytes instead (`lib/log/fast_text_line.ts`), and its
 * tests hold those bytes to this function's text.
 *
 * @module
 */

import { formatSocketName } from "../spec/socket_name.ts";
import type { SocketName, Transport } from "../spec/types.ts";
import type { CloseReason, ConnectionClosedEvent, ServerEvent } from "./event.ts";
import { formatExecEvent, formatProgramExit } from "./format_exec.ts";
import type { SessionEndReason } from "./relay_events.ts";

/** What a connection's closing line adds after its byte counts, by close reason. */
export const CLOSE_REASON_TEXT: Readonly<Record<CloseReason, string>> = {
  done: "",
  reset: ", reset by peer",
  error: ", after an error",
  shutdown: ", closed at shutdown",
  idle: ", closed as idle",
  upstream: "",
  fault: ", ended by a fault",
};

/**
 * The words for the bytes of a closed connection that are in neither its
 * "in" nor its "out": `, dropped 400 B in and 1200 B out, then 4000 B drained`.
 */
function setAsideText(event: ConnectionClosedEvent): string {
  const { droppedIn, droppedOut, drained } = event;
  const dropped = droppedIn !== undefined && droppedOut !== undefined
    ? `, dropped ${droppedIn} B in and ${droppedOut} B out`
    : droppedIn !== undefined
    ? `, dropped ${droppedIn} B in`
    : droppedOut !== undefined
    ? `, dropped ${droppedOut} B out`
    : "";
  return dropped + (drained === undefined ? "" : `, then ${drained} B drained`);
}

/**
 * Formats an event as one line of text, without a timestamp or a newline.
 *
 * @param event Any server event.
 * @returns The line, such as `tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatEvent } from "./format.ts";
 *
 * const line = formatEvent({
 *   type: "connection-opened", time: 0, id: 1, transport: "tcp",
 *   listener: "tcp://127.0.0.2:7007=whoami", service: "whoami",
 *   local: { address: "127.0.0.2", port: 7007 },
 *   remote: { address: "127.0.0.1", port: 51234 },
 *   bound: { address: "127.0.0.2", port: 7007 },
 * });
 * assert.equal(line, "tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami");
 * ```
 */
export function formatEvent(event: ServerEvent): string {
  const t = event.transport;
  switch (event.type) {
    case "listening":
      return `listening ${socket(t, event.local)} -> ${event.service}` +
        (event.faults === undefined ? "" : ` with faults ${formatFaults(event.faults)}`);
    case "bind-failed":
      return `cannot bind ${socket(t, event.local)} (${event.listener}): ${event.reason}`;
    case "listener-closed":
      return `stopped listening ${socket(t, event.local)}`;
    case "listener-replaced":
      return `the config's ${event.listener} takes ${socket(t, event.local)} from ` +
        `${event.replaced}, which was added through the API: it replaces it`;
    case "connection-opened": {
      const via = event.bound.address === event.local.address
        ? ""
        : ` (via ${socket(t, event.bound)})`;
      return `${peers(t, event.local, event.remote)} -> ${event.service}${via}`;
    }
    case "connection-closed":
      return `${peers(t, event.local, event.remote)} closed after ` +
        `${Math.round(event.durationMs)} ms: ${event.bytesIn} B in, ${event.bytesOut} B out` +
        setAsideText(event) + CLOSE_REASON_TEXT[event.reason] +
        (event.detail === undefined ? "" : `, ${event.detail}`) +
        (event.exit === undefined ? "" : `; ${formatProgramExit(event.exit)}`);
    case "connection-refused":
      return `${peers(t, event.local, event.remote)} refused (${event.reason}): ${event.detail}`;
    case "connection-aborted":
      return `${socket(t, event.local)} -> ${event.service}: ` +
        `a connection was reset before it could be accepted (${event.name})`;
    case "accept-paused":
      return `${socket(t, event.local)} -> ${event.service} cannot accept ` +
        `(${event.code}): ${event.detail}; retrying every ${event.retryMs} ms ` +
        `(${failedAccepts(event.failures)})`;
    case "accept-resumed":
      return `${socket(t, event.local)} -> ${event.service} accepting again after ` +
        `${Math.round(event.pausedMs)} ms (${failedAccepts(event.failures)})`;
    case "reply-suppressed": {
      const cut = event.bytesOut > 0 ? `reply cut to ${event.bytesOut} B` : "no reply";
      return `${peers(t, event.local, event.remote)} ${cut} from ${event.service} ` +
        `(${event.reason}): ${event.detail}`;
    }
    case "datagram":
      return `${peers(t, event.local, event.remote)} -> ${event.service} (${event.bytesIn} B)`;
    case "reply":
      return `${socket(t, event.local)} -> ${formatSocketName(event.remote)} ` +
        `reply ${event.bytesOut} B from ${event.service}`;
    case "upstream-connected":
      return `${peers(t, event.local, event.remote)} -> ${event.service} -> ` +
        `${formatSocketName(event.upstream)} (from ${formatSocketName(event.from)}` +
        (event.proxy === undefined ? ")" : `, sent PROXY ${event.proxy})`);
    case "session-closed":
      return `${peers(t, event.local, event.remote)} -> ${event.service} -> ` +
        `${formatSocketName(event.upstream)} session ended after ` +
        `${Math.round(event.durationMs)} ms: ${event.datagramsIn} ` +
        `${event.datagramsIn === 1 ? "datagram" : "datagrams"} (${event.bytesIn} B) ` +
        `in, ${event.datagramsOut} (${event.bytesOut} B) out, ${SESSION_END_TEXT[event.reason]}`;
    case "session-refused":
      return `${peers(t, event.local, event.remote)} -> ${event.service} no session: ` +
        event.detail;
    case "error": {
      const from = event.remote === null ? "" : ` <- ${formatSocketName(event.remote)}`;
      return `${socket(t, event.local)}${from} -> ${event.service} failed: ` +
        `${event.name}: ${event.message}`;
    }
    case "fault":
      return `${peers(t, event.local, event.remote)} -> ${event.service} fault ${event.fault}` +
        (event.on === null ? "" : ` on the ${event.on}`) + `: ${event.detail}`;
    case "faults-changed":
      return `faults of ${socket(t, event.local)} -> ${event.service} changed ` +
        (event.by === "api" ? "through the API " : "") + `from ` +
        `${faultsText(event.before)} to ` +
        (event.seed === null
          ? faultsText(event.after)
          : formatFaults({ text: event.after, seed: event.seed })) +
        `; they apply to ${t === "tcp" ? "connections" : "datagrams"} from now on` +
        (event.by === "config" && event.was === "api"
          ? " (the config changed this listener's faults, so its faults replace those set " +
            "through the API)"
          : "");
    case "exec-started":
    case "exec-stderr":
    case "exec-exited":
    case "exec-refused":
    case "exec-no-group":
      return formatExecEvent(event);
  }
}

/** How a relay session's line ends, by the reason it ended. */
const SESSION_END_TEXT: Readonly<Record<SessionEndReason, string>> = {
  idle: "idle",
  evicted: "closed for a new client (max-sessions reached)",
  shutdown: "closed at shutdown",
};

/** `tcp 127.0.0.1:7007`: a transport and a socket name. */
function socket(transport: Transport, name: SocketName): string {
  return `${transport} ${formatSocketName(name)}`;
}

/** `tcp LOCAL <- REMOTE`: where a connection or datagram arrived, and from whom. */
function peers(transport: Transport, local: SocketName, remote: SocketName): string {
  return `${socket(transport, local)} <- ${formatSocketName(remote)}`;
}

/** Fault options as a spec writes them, without the `?`: `latency=100&seed=7`, or `none`. */
function faultsText(text: string): string {
  return text === "" ? "none" : text.slice(1);
}

/**
 * A listener's faults as the log and the socket table show them: the
 * options as a spec writes them, and the seed when muxd picked it (a spec
 * that sets `seed=` shows it already), so that a run can be repeated.
 *
 * @param faults The fault options as a spec writes them (`?drop=0.5`) and their seed.
 * @returns Such as `drop=0.5&seed=1`, or `drop=0.5 (seed 123, picked by muxd)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFaults } from "./format.ts";
 *
 * assert.equal(formatFaults({ text: "?drop=0.5&seed=1", seed: 1 }), "drop=0.5&seed=1");
 * assert.equal(formatFaults({ text: "?drop=0.5", seed: 9 }), "drop=0.5 (seed 9, picked by muxd)");
 * ```
 */
export function formatFaults(faults: { readonly text: string; readonly seed: number }): string {
  const text = faultsText(faults.text);
  return /(?:^|[?&])seed=/.test(faults.text)
    ? text
    : `${text} (seed ${faults.seed}, picked by muxd)`;
}

/** `1 failed accept`, `2 failed accepts`. */
function failedAccepts(failures: number): string {
  return failures === 1 ? "1 failed accept" : `${failures} failed accepts`;
}
