/**
 * One readable line per event, naming the transport and both socket names:
 * `tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami`.
 *
 * Each line is defined once, by {@linkcode writeEvent}, as a sequence of
 * text and whole numbers given to an {@linkcode EventTextOut}. That lets the
 * log write a line straight into its byte buffer without making a string
 * (a busy server writes one per connection opened, one per connection
 * closed and one per datagram), while {@linkcode formatEvent} makes the
 * same line as a string for everything else.
 *
 * @module
 */

import type { SocketName } from "../spec/types.ts";
import type { CloseReason, ServerEvent } from "./event.ts";

/** Where {@linkcode writeEvent} writes a line, piece by piece. */
export interface EventTextOut {
  /**
   * Appends text.
   *
   * @param text The text.
   */
  text(text: string): void;
  /**
   * Appends a whole, non-negative number in decimal.
   *
   * @param n The number.
   */
  int(n: number): void;
}

const CLOSE_REASONS: Record<CloseReason, string> = {
  done: "",
  reset: ", reset by peer",
  error: ", after an error",
  shutdown: ", closed at shutdown",
  idle: ", closed as idle",
};

/**
 * Writes an event's line, without a timestamp or a newline.
 *
 * @param event Any server event.
 * @param out Where the line goes.
 */
export function writeEvent(event: ServerEvent, out: EventTextOut): void {
  const t = event.transport;
  switch (event.type) {
    case "listening":
      out.text("listening ");
      writeSocketName(t, event.local, out);
      out.text(" -> ");
      out.text(event.service);
      return;
    case "bind-failed":
      out.text("cannot bind ");
      writeSocketName(t, event.local, out);
      out.text(" (");
      out.text(event.listener);
      out.text("): ");
      out.text(event.reason);
      return;
    case "listener-closed":
      out.text("stopped listening ");
      writeSocketName(t, event.local, out);
      return;
    case "connection-opened":
      writePeers(t, event.local, event.remote, out);
      out.text(" -> ");
      out.text(event.service);
      if (event.bound.address !== event.local.address) {
        out.text(" (via ");
        writeSocketName(t, event.bound, out);
        out.text(")");
      }
      return;
    case "connection-closed":
      writePeers(t, event.local, event.remote, out);
      out.text(" closed after ");
      out.int(Math.round(event.durationMs));
      out.text(" ms: ");
      out.int(event.bytesIn);
      out.text(" B in, ");
      out.int(event.bytesOut);
      out.text(" B out");
      out.text(CLOSE_REASONS[event.reason]);
      return;
    case "connection-refused":
      writePeers(t, event.local, event.remote, out);
      out.text(" refused");
      writeWhy(event.reason, event.detail, out);
      return;
    case "connection-aborted":
      writeSocketName(t, event.local, out);
      out.text(" -> ");
      out.text(event.service);
      out.text(": a connection was reset before it could be accepted (");
      out.text(event.name);
      out.text(")");
      return;
    case "accept-paused":
      writeSocketName(t, event.local, out);
      out.text(" -> ");
      out.text(event.service);
      out.text(" cannot accept (");
      out.text(event.code);
      out.text("): ");
      out.text(event.detail);
      out.text("; retrying every ");
      out.int(event.retryMs);
      out.text(" ms (");
      out.int(event.failures);
      out.text(event.failures === 1 ? " failed accept)" : " failed accepts)");
      return;
    case "accept-resumed":
      writeSocketName(t, event.local, out);
      out.text(" -> ");
      out.text(event.service);
      out.text(" accepting again after ");
      out.int(Math.round(event.pausedMs));
      out.text(" ms (");
      out.int(event.failures);
      out.text(event.failures === 1 ? " failed accept)" : " failed accepts)");
      return;
    case "reply-suppressed":
      writePeers(t, event.local, event.remote, out);
      if (event.bytesOut > 0) {
        out.text(" reply cut to ");
        out.int(event.bytesOut);
        out.text(" B");
      } else {
        out.text(" no reply");
      }
      out.text(" from ");
      out.text(event.service);
      writeWhy(event.reason, event.detail, out);
      return;
    case "datagram":
      writePeers(t, event.local, event.remote, out);
      out.text(" -> ");
      out.text(event.service);
      out.text(" (");
      out.int(event.bytesIn);
      out.text(" B)");
      return;
    case "reply":
      writeSocketName(t, event.local, out);
      out.text(" -> ");
      writeAddress(event.remote, out);
      out.text(" reply ");
      out.int(event.bytesOut);
      out.text(" B from ");
      out.text(event.service);
      return;
    case "error":
      writeSocketName(t, event.local, out);
      if (event.remote) {
        out.text(" <- ");
        writeAddress(event.remote, out);
      }
      out.text(" -> ");
      out.text(event.service);
      out.text(" failed: ");
      out.text(event.name);
      out.text(": ");
      out.text(event.message);
      return;
  }
}

/** `tcp LOCAL <- REMOTE`: where a connection or datagram arrived, and from whom. */
function writePeers(
  transport: string,
  local: SocketName,
  remote: SocketName,
  out: EventTextOut,
): void {
  writeSocketName(transport, local, out);
  out.text(" <- ");
  writeAddress(remote, out);
}

/** ` (reason): detail`: why muxd refused or held back, in a word and in words. */
function writeWhy(reason: string, detail: string, out: EventTextOut): void {
  out.text(" (");
  out.text(reason);
  out.text("): ");
  out.text(detail);
}

/** `tcp 127.0.0.1:7007`: a transport and a socket name. */
function writeSocketName(transport: string, name: SocketName, out: EventTextOut): void {
  out.text(transport);
  out.text(" ");
  writeAddress(name, out);
}

/** A socket name as `formatSocketName` writes it: `127.0.0.1:7007`, `[::1]:7007`. */
function writeAddress(name: SocketName, out: EventTextOut): void {
  const v6 = name.address.includes(":");
  if (v6) out.text("[");
  out.text(name.address);
  out.text(v6 ? "]:" : ":");
  out.int(name.port);
}

/** Collects a line as a string. */
class TextCollector implements EventTextOut {
  line = "";
  text(text: string): void {
    this.line += text;
  }
  int(n: number): void {
    this.line += n;
  }
}

/**
 * Formats an event as one line of text, without a timestamp.
 *
 * @param event Any server event.
 * @returns The line, such as `tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami`.
 *
 * @example
 * ```ts
 * import { formatEvent } from "./format.ts";
 * import assert from "node:assert/strict";
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
  const out = new TextCollector();
  writeEvent(event, out);
  return out.line;
}
