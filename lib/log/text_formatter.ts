/**
 * The plain text form of a log line, `HH:MM:SS.mmm LVL message` (UTC): the
 * same text LogTape's own text formatter writes, at a fraction of its cost
 * for the lines that are most of a busy log, one per connection or datagram.
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

/** C0 and C1 control characters and DEL: a line with one takes LogTape's sanitizing path. */
// deno-lint-ignore no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Writes `HH:MM:SS.mmm LVL text` lines and a newline, the time in UTC, as
 * `getTextFormatter({ timestamp: "time", level: "ABBR" })` with that layout
 * does, as a string or straight into a {@linkcode LineBuffer}, working out
 * the `HH:MM:SS.` part once a second. It keeps the last second's text, so
 * use one per sink.
 */
export class PlainLines {
  #second = NaN;
  #prefix = "";

  /**
   * The line for one message, or `null` when LogTape's formatter must write
   * it: the text has a control character to escape, or the timestamp is not
   * a whole, non-negative millisecond.
   *
   * @param timestamp Milliseconds since the epoch.
   * @param level The record's level.
   * @param text The message.
   * @returns The line, ending in a newline, or `null`.
   */
  line(timestamp: number, level: LogLevel, text: string): string | null {
    if (CONTROL.test(text) || !Number.isInteger(timestamp) || timestamp < 0) return null;
    const ms = timestamp % 1000;
    const pad = ms < 10 ? "00" : ms < 100 ? "0" : "";
    return `${this.#secondText(timestamp - ms)}${pad}${ms} ${LEVEL_ABBREVIATIONS[level]} ${text}\n`;
  }

  /**
   * Writes the start of a line, `HH:MM:SS.mmm LVL `, into a buffer; the
   * caller writes the message and the newline.
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
    out.text(this.#secondText(timestamp - ms));
    if (ms < 100) out.text(ms < 10 ? "00" : "0");
    out.int(ms);
    out.text(" ");
    out.text(LEVEL_ABBREVIATIONS[level]);
    out.text(" ");
    return true;
  }

  /** `HH:MM:SS.` of a whole second, worked out once a second. */
  #secondText(second: number): string {
    if (second !== this.#second) {
      this.#second = second;
      this.#prefix = new Date(second).toISOString().slice(11, 20);
    }
    return this.#prefix;
  }
}

/**
 * A formatter that writes `HH:MM:SS.mmm LVL message` and a newline, the time
 * in UTC, as `getTextFormatter({ timestamp: "time", level: "ABBR" })` with
 * that layout does.
 *
 * A record whose message is one plain string (every server event's line)
 * is written by {@linkcode PlainLines}. Any other record (a message with
 * values, a control character to escape, a timestamp that is not a whole
 * millisecond) goes to LogTape's formatter, so the output is the same
 * either way.
 *
 * @returns The formatter; it keeps the last second's text, so use one per sink.
 *
 * @example
 * ```ts
 * import { plainTextFormatter } from "./text_formatter.ts";
 *
 * const format = plainTextFormatter();
 * const line = "tcp 127.0.0.1:7007 <- 127.0.0.1:51234 -> echo";
 * const text = format({
 *   category: ["muxd"],
 *   level: "info",
 *   message: [line],
 *   rawMessage: line,
 *   properties: {},
 *   timestamp: Date.UTC(2026, 10, 22, 17, 42, 16, 52),
 * });
 * console.assert(text === `17:42:16.052 INF ${line}\n`);
 * ```
 */
export function plainTextFormatter(): TextFormatter {
  const lines = new PlainLines();
  const general = getTextFormatter({
    timestamp: "time",
    level: "ABBR",
    format: ({ timestamp, level, message }) => `${timestamp} ${level} ${message}`,
  });
  return (record) => {
    const { message } = record;
    const text = message[0];
    return (message.length === 1 && typeof text === "string"
      ? lines.line(record.timestamp, record.level, text)
      : null) ?? general(record);
  };
}
