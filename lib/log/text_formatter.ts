/**
 * The plain text form of a log line, `HH:MM:SS.mmm LVL message` (UTC), as
 * LogTape's own text formatter writes it: that formatter for every record,
 * and {@linkcode PlainLines} to write the same start of a line straight into
 * a byte buffer, for the lines that are most of a busy log, one per
 * connection or datagram.
 *
 * @module
 */

import { getTextFormatter, type LogLevel, type TextFormatter } from "@logtape/logtape";
import type { LineBuffer } from "./line_buffer.ts";

const LEVEL_ABBREVIATIONS: Readonly<Record<LogLevel, string>> = {
  trace: "TRC",
  debug: "DBG",
  info: "INF",
  warning: "WRN",
  error: "ERR",
  fatal: "FTL",
};

/**
 * Writes the start of a line, `HH:MM:SS.mmm LVL `, the time in UTC, into a
 * {@linkcode LineBuffer}, as {@linkcode plainTextFormatter} writes it,
 * working out the `HH:MM:SS.` part once a second. It keeps the last second's
 * text, so use one per sink.
 *
 * @example
 * ```ts
 * import { PlainLines } from "./text_formatter.ts";
 * import { LineBuffer } from "./line_buffer.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = new LineBuffer();
 * new PlainLines().start(Date.UTC(2026, 10, 22, 17, 42, 16, 52), "info", buffer);
 * buffer.text("bye");
 * buffer.newline();
 * assert.equal(new TextDecoder().decode(buffer.view()), "17:42:16.052 INF bye\n");
 * ```
 */
export class PlainLines {
  #second = NaN;
  #prefix = "";

  /**
   * Writes the start of a line; the caller writes the message and the newline.
   *
   * @param timestamp Milliseconds since the epoch.
   * @param level The record's level.
   * @param out The buffer.
   * @returns `false`, having written nothing, when the timestamp is not a
   *   whole, non-negative millisecond: LogTape's formatter must write the line.
   */
  start(timestamp: number, level: LogLevel, out: LineBuffer): boolean {
    if (!Number.isInteger(timestamp) || timestamp < 0) return false;
    const ms = timestamp % 1000;
    const second = timestamp - ms;
    if (second !== this.#second) {
      this.#second = second;
      this.#prefix = new Date(second).toISOString().slice(11, 20); // "HH:MM:SS."
    }
    out.text(this.#prefix);
    if (ms < 100) out.text(ms < 10 ? "00" : "0");
    out.int(ms);
    out.text(" ");
    out.text(LEVEL_ABBREVIATIONS[level]);
    out.text(" ");
    return true;
  }
}

/**
 * LogTape's text formatter with muxd's layout: `HH:MM:SS.mmm LVL message`
 * and a newline, the time in UTC, with LogTape's escaping of control
 * characters.
 *
 * @returns The formatter.
 */
export function plainTextFormatter(): TextFormatter {
  return getTextFormatter({
    timestamp: "time",
    level: "ABBR",
    format: ({ timestamp, level, message }) => `${timestamp} ${level} ${message}`,
  });
}
