/**
 * The plain text form of a log line, `HH:MM:SS.mmm LVL message` (UTC).
 *
 * @module
 */

import { getTextFormatter, type TextFormatter } from "@logtape/logtape";

/**
 * LogTape's text formatter with muxd's layout: `HH:MM:SS.mmm LVL message`
 * and a newline, the time in UTC, with LogTape's escaping of control
 * characters.
 *
 * @returns The formatter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plainTextFormatter } from "./text_formatter.ts";
 *
 * const line = plainTextFormatter()({
 *   category: ["muxd", "main"], level: "info", message: ["bye"], rawMessage: "bye",
 *   properties: {}, timestamp: Date.UTC(2026, 10, 22, 17, 42, 16, 52),
 * });
 * assert.equal(line, "17:42:16.052 INF bye\n");
 * ```
 */
export function plainTextFormatter(): TextFormatter {
  return getTextFormatter({
    timestamp: "time",
    level: "ABBR",
    format: ({ timestamp, level, message }) => `${timestamp} ${level} ${message}`,
  });
}
