/**
 * The plain text form of a log line, `HH:MM:SS.mmm LVL message` (UTC): the
 * same text LogTape's own text formatter writes, at a fraction of its cost
 * for the lines that are most of a busy log, one per connection or datagram.
 *
 * @module
 */

import { getTextFormatter, type LogLevel, type TextFormatter } from "@logtape/logtape";

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
 * A formatter that writes `HH:MM:SS.mmm LVL message` and a newline, the time
 * in UTC, as `getTextFormatter({ timestamp: "time", level: "ABBR" })` with
 * that layout does.
 *
 * A record whose message is one plain string (every server event's line)
 * is written directly, with the `HH:MM:SS.` part worked out once a second.
 * Any other record (a message with values, a control character to escape,
 * a timestamp that is not a whole millisecond) goes to LogTape's formatter,
 * so the output is the same either way.
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
  const general = getTextFormatter({
    timestamp: "time",
    level: "ABBR",
    format: ({ timestamp, level, message }) => `${timestamp} ${level} ${message}`,
  });
  let second = NaN;
  let prefix = "";
  return (record) => {
    const { message, timestamp } = record;
    const text = message[0];
    if (
      message.length !== 1 || typeof text !== "string" || CONTROL.test(text) ||
      !Number.isInteger(timestamp) || timestamp < 0
    ) {
      return general(record);
    }
    const ms = timestamp % 1000;
    if (timestamp - ms !== second) {
      second = timestamp - ms;
      prefix = new Date(second).toISOString().slice(11, 20); // "HH:MM:SS."
    }
    const pad = ms < 10 ? "00" : ms < 100 ? "0" : "";
    return `${prefix}${pad}${ms} ${LEVEL_ABBREVIATIONS[record.level]} ${text}\n`;
  };
}
