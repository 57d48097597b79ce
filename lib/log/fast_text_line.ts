/**
 * The text log's line of an event written straight as bytes, for the
 * events a busy server writes most: two or three per connection (a relayed
 * one's `upstream-connected` among them), one per datagram. It writes exactly what the readable form writes,
 * `formattedEventLine(plainTextFormatter(), false)` (`HH:MM:SS.mmm LVL `,
 * `formatEvent()`'s text, a newline), but makes no string, no log
 * record and no other object on the way, so that a log line adds nothing
 * for the garbage collector to do. Every other event, and every line that
 * is not printable ASCII (a control character LogTape escapes, a name in
 * UTF-8), goes to the readable form instead.
 *
 * The tests hold it to the readable form over thousands of events of every
 * kind (`tests/log/fast_text_line_test.ts`); an event's text changes in
 * `lib/events/format.ts` first, then here.
 *
 * @module
 */

import type { ServerEvent } from "../events/event.ts";
import { CLOSE_REASON_TEXT } from "../events/format.ts";
import type { SocketName } from "../spec/types.ts";
import { type EventLineWriter, formattedEventLine } from "./event_line.ts";
import type { LineBuffer } from "./line_buffer.ts";
import type { LogLevel } from "./log.ts";
import { plainTextFormatter } from "./text_formatter.ts";

/** The level as LogTape's text formatter abbreviates it. */
const LEVEL_TEXT: Readonly<Record<LogLevel, string>> = {
  debug: "DBG",
  info: "INF",
  warning: "WRN",
  error: "ERR",
};

const NEWLINE = 0x0a;
const DIGIT_0 = 0x30;
const INT32_MAX = 0x7fffffff;
/** 10 to the power of the index: 1 to 10^9, the largest below 2^31. */
const POWERS_OF_TEN: readonly number[] = [
  1,
  10,
  100,
  1_000,
  10_000,
  100_000,
  1_000_000,
  10_000_000,
  100_000_000,
  1_000_000_000,
];

/**
 * The text log's event lines, written as bytes where the event is one a
 * connection or datagram writes and its line is printable ASCII.
 *
 * @param readable The readable form, which writes every other line; by
 *   default `formattedEventLine(plainTextFormatter(), false)`.
 * @returns The line writer. It keeps the text of the last second it wrote,
 *   so use one per log.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fastTextLine } from "./fast_text_line.ts";
 * import { LineBuffer } from "./line_buffer.ts";
 *
 * const out = new LineBuffer();
 * fastTextLine()({
 *   type: "datagram", time: Date.UTC(2026, 10, 22, 17, 42, 16, 52), transport: "udp",
 *   listener: "udp://[::1]:7007=echo", service: "echo",
 *   local: { address: "::1", port: 7007 }, remote: { address: "::1", port: 40000 },
 *   bytesIn: 5,
 * }, "info", out);
 * assert.equal(
 *   new TextDecoder().decode(out.view()),
 *   "17:42:16.052 INF udp [::1]:7007 <- [::1]:40000 -> echo (5 B)\n",
 * );
 * ```
 */
export function fastTextLine(
  readable: EventLineWriter = formattedEventLine(plainTextFormatter(), false),
): EventLineWriter {
  const line = new ByteLine();
  return (event, level, out) => {
    if (!line.write(event, level, out)) readable(event, level, out);
  };
}

/** Writes a line into a {@linkcode LineBuffer} in place, piece by piece. */
class ByteLine {
  #out: LineBuffer | null = null;
  #bytes: Uint8Array = new Uint8Array(0);
  #at = 0;
  /** Whether every character written since the line began was printable ASCII. */
  #plain = true;
  /** The second of the last line's timestamp, and its `HH:MM:SS.` text. */
  #second = NaN;
  #secondText = "";
  /**
   * The bytes of the last two socket names written: a socket's own name and
   * its busiest peer come on line after line.
   */
  #recent = new NameBytes();
  #older = new NameBytes();

  /**
   * Writes the line of an event that a connection or datagram writes, with
   * its timestamp and newline.
   *
   * @returns `false`, having written nothing, for any other event, for a
   *   timestamp that is not a whole, non-negative millisecond, and for a
   *   line that is not printable ASCII.
   */
  write(event: ServerEvent, level: LogLevel, out: LineBuffer): boolean {
    if (!isHot(event) || !Number.isInteger(event.time) || event.time < 0) return false;
    // A connection that ran a program costs a process; its line goes the
    // readable way.
    if (event.type === "connection-closed" && event.exit !== undefined) return false;
    // So does one with bytes drained or dropped, which formatEvent() words.
    if (
      event.type === "connection-closed" &&
      (event.drained !== undefined || event.droppedIn !== undefined ||
        event.droppedOut !== undefined)
    ) return false;
    const start = out.length;
    this.#out = out;
    this.#bytes = out.reserve(0);
    this.#at = start;
    this.#plain = true;
    this.#time(event.time);
    this.#text(LEVEL_TEXT[level]);
    this.#text(" ");
    this.#message(event);
    if (this.#at === this.#bytes.length) this.#room(1);
    this.#bytes[this.#at++] = NEWLINE;
    out.length = this.#plain ? this.#at : start;
    this.#out = null;
    return this.#plain;
  }

  /** `formatEvent()`'s text of each event {@linkcode isHot} accepts. */
  #message(event: HotEvent): void {
    const t = event.transport;
    switch (event.type) {
      case "connection-opened":
        this.#peers(t, event.local, event.remote);
        this.#text(" -> ");
        this.#text(event.service);
        if (event.bound.address !== event.local.address) {
          this.#text(" (via ");
          this.#socket(t, event.bound);
          this.#text(")");
        }
        return;
      case "connection-closed":
        this.#peers(t, event.local, event.remote);
        this.#text(" closed after ");
        this.#int(Math.round(event.durationMs));
        this.#text(" ms: ");
        this.#int(event.bytesIn);
        this.#text(" B in, ");
        this.#int(event.bytesOut);
        this.#text(" B out");
        this.#text(CLOSE_REASON_TEXT[event.reason]);
        if (event.detail !== undefined) {
          this.#text(", ");
          this.#text(event.detail);
        }
        return;
      case "connection-refused":
        this.#peers(t, event.local, event.remote);
        this.#text(" refused (");
        this.#text(event.reason);
        this.#text("): ");
        this.#text(event.detail);
        return;
      case "datagram":
        this.#peers(t, event.local, event.remote);
        this.#text(" -> ");
        this.#text(event.service);
        this.#text(" (");
        this.#int(event.bytesIn);
        this.#text(" B)");
        return;
      case "reply":
        this.#socket(t, event.local);
        this.#text(" -> ");
        this.#address(event.remote);
        this.#text(" reply ");
        this.#int(event.bytesOut);
        this.#text(" B from ");
        this.#text(event.service);
        return;
      case "upstream-connected":
        this.#peers(t, event.local, event.remote);
        this.#text(" -> ");
        this.#text(event.service);
        this.#text(" -> ");
        this.#address(event.upstream);
        this.#text(" (from ");
        this.#address(event.from);
        if (event.proxy === undefined) {
          this.#text(")");
        } else {
          this.#text(", sent PROXY ");
          this.#text(event.proxy);
          this.#text(")");
        }
        return;
      case "reply-suppressed":
        this.#peers(t, event.local, event.remote);
        if (event.bytesOut > 0) {
          this.#text(" reply cut to ");
          this.#int(event.bytesOut);
          this.#text(" B from ");
        } else {
          this.#text(" no reply from ");
        }
        this.#text(event.service);
        this.#text(" (");
        this.#text(event.reason);
        this.#text("): ");
        this.#text(event.detail);
        return;
    }
  }

  /** `tcp LOCAL <- REMOTE`. */
  #peers(transport: string, local: SocketName, remote: SocketName): void {
    this.#socket(transport, local);
    this.#text(" <- ");
    this.#address(remote);
  }

  /** `tcp 127.0.0.1:7007`. */
  #socket(transport: string, name: SocketName): void {
    this.#text(transport);
    this.#text(" ");
    this.#address(name);
  }

  /** `127.0.0.1:7007`, `[::1]:7007`, as `formatSocketName` writes it. */
  #address(name: SocketName): void {
    let cached = this.#recent;
    if (!cached.holds(name)) {
      cached = this.#older;
      this.#older = this.#recent;
      this.#recent = cached;
      if (!cached.holds(name)) {
        const start = this.#at;
        const v6 = name.address.includes(":");
        if (v6) this.#text("[");
        this.#text(name.address);
        this.#text(v6 ? "]:" : ":");
        this.#int(name.port);
        // Only a printable name is kept: a copy must not hide one that is not.
        if (this.#plain) cached.keep(name, this.#bytes, start, this.#at);
        return;
      }
    }
    const n = cached.length;
    if (this.#at + n > this.#bytes.length) this.#room(n);
    const bytes = this.#bytes;
    const from = cached.bytes;
    let at = this.#at;
    for (let i = 0; i < n; i++) bytes[at++] = from[i];
    this.#at = at;
  }

  /** `HH:MM:SS.mmm ` in UTC, the `HH:MM:SS.` part worked out once a second. */
  #time(timestamp: number): void {
    const ms = timestamp % 1000;
    const second = timestamp - ms;
    if (second !== this.#second) {
      this.#second = second;
      this.#secondText = new Date(second).toISOString().slice(11, 20);
    }
    this.#text(this.#secondText);
    if (ms < 100) this.#text(ms < 10 ? "00" : "0");
    this.#int(ms);
    this.#text(" ");
  }

  /** Appends text, one byte per character; any character that is not printable ASCII clears `#plain`. */
  #text(text: string): void {
    const n = text.length;
    if (this.#at + n > this.#bytes.length) this.#room(n);
    const bytes = this.#bytes;
    let at = this.#at;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x7e) this.#plain = false;
      bytes[at++] = c;
    }
    this.#at = at;
  }

  /** Appends a number as `String(n)` writes it, without a string for whole ones below 2^31. */
  #int(n: number): void {
    // Int32 arithmetic keeps the digit loop in integer instructions; other
    // numbers (negative, fractional, larger) take String().
    if (!(n >= 0 && n <= INT32_MAX) || n !== Math.floor(n)) {
      this.#text(String(n));
      return;
    }
    let rest = n | 0;
    let digits = 1;
    while (digits < POWERS_OF_TEN.length && rest >= POWERS_OF_TEN[digits]) digits++;
    if (this.#at + digits > this.#bytes.length) this.#room(digits);
    const bytes = this.#bytes;
    const end = this.#at + digits;
    let at = end;
    do {
      const quotient = (rest / 10) | 0;
      bytes[--at] = DIGIT_0 + rest - quotient * 10;
      rest = quotient;
    } while (rest !== 0);
    this.#at = end;
  }

  /** Grows the buffer for `n` more bytes, keeping the part of the line written so far. */
  #room(n: number): void {
    const out = this.#out!;
    out.length = this.#at;
    this.#bytes = out.reserve(n);
  }
}

/** The longest socket name's text: `[` 45 characters of IPv6 `]:65535`. */
const MAX_NAME = 53;

/** A socket name and its bytes as {@linkcode ByteLine} writes them. */
class NameBytes {
  address = "";
  port = -1;
  readonly bytes = new Uint8Array(MAX_NAME);
  length = 0;

  /** Whether these are the bytes of `name`. */
  holds(name: SocketName): boolean {
    return name.port === this.port && name.address === this.address;
  }

  /** Keeps the bytes `line[start, end)` as those of `name`, if they fit; else keeps what it held. */
  keep(name: SocketName, line: Uint8Array, start: number, end: number): void {
    if (end - start > MAX_NAME) return;
    this.address = name.address;
    this.port = name.port;
    this.length = end - start;
    for (let i = start; i < end; i++) this.bytes[i - start] = line[i];
  }
}

/** The events a connection or datagram writes: the ones {@linkcode ByteLine} writes. */
type HotEvent = Extract<
  ServerEvent,
  {
    type:
      | "connection-opened"
      | "connection-closed"
      | "connection-refused"
      | "datagram"
      | "reply"
      | "reply-suppressed"
      | "upstream-connected";
  }
>;

function isHot(event: ServerEvent): event is HotEvent {
  switch (event.type) {
    case "connection-opened":
    case "connection-closed":
    case "connection-refused":
    case "datagram":
    case "reply":
    case "reply-suppressed":
    case "upstream-connected":
      return true;
    default:
      return false;
  }
}
