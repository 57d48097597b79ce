/**
 * The text form of a log line, `HH:MM:SS.mmm LVL message` (UTC), plain or
 * coloured. The coloured form is the plain one with colour codes added
 * around the level and the arrows: the same text, columns and line breaks,
 * on a terminal as in a pipe.
 *
 * @module
 */

import { getTextFormatter, type TextFormatter, type TextFormatterOptions } from "@logtape/logtape";
import { visible } from "../spec/visible.ts";

/** What both forms share: the time, the level's abbreviation, and escaping. */
const LAYOUT: TextFormatterOptions = {
  timestamp: "time",
  level: "ABBR",
  sanitize: { sgr: "escape" },
};

/**
 * LogTape's text formatter with muxd's layout: `HH:MM:SS.mmm LVL message`
 * and a newline, the time in UTC, with LogTape's escaping of control
 * characters, colour codes included: a message (an error's text, say)
 * never colours the log, or clears a terminal, with escape codes of its own.
 * What LogTape leaves as it is, muxd escapes too ({@linkcode visible}): a
 * line break or a carriage return, with which a message would write a
 * forged entry on a line of its own or over its own line's head, and the
 * invisible format characters and separators, which reorder or hide text.
 * A tab stays a tab.
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
    ...LAYOUT,
    format: ({ timestamp, level, message }) => `${timestamp} ${level} ${visible(message)}`,
  });
}

const RESET = "\x1b[0m";

/** The colour of each level's abbreviation, as LogTape writes it. */
const LEVEL_COLOR: Readonly<Record<string, string>> = {
  TRC: "\x1b[2m", // dim
  DBG: "\x1b[2m", // dim
  INF: "\x1b[32m", // green
  WRN: "\x1b[33m", // yellow
  ERR: "\x1b[1;31m", // bold red
  FTL: "\x1b[1;31m", // bold red
};

/** Where a connection or datagram came from, and where it goes. */
const ARROWS = / (<-|->) /g;
const ARROW_COLOR = "\x1b[36m"; // cyan

/**
 * {@linkcode plainTextFormatter}'s line with colour added: the level in
 * its colour, and each ` <- ` and ` -> ` arrow in cyan. Take the colour
 * codes out and the plain line is left, byte for byte; a control character
 * in a message (an escape code among them) is escaped as in the plain form.
 *
 * @returns The formatter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { colorTextFormatter, plainTextFormatter } from "./text_formatter.ts";
 *
 * const record = {
 *   category: ["muxd", "events"], level: "error", message: ["tcp 127.0.0.1:7 -> echo"],
 *   rawMessage: "tcp 127.0.0.1:7 -> echo", properties: {}, timestamp: 0,
 * } as const;
 * const line = colorTextFormatter()(record);
 * assert.equal(line, "00:00:00.000 \x1b[1;31mERR\x1b[0m tcp 127.0.0.1:7 \x1b[36m->\x1b[0m echo\n");
 * assert.equal(line.replace(/\x1b\[[0-9;]*m/g, ""), plainTextFormatter()(record));
 * ```
 */
export function colorTextFormatter(): TextFormatter {
  return getTextFormatter({
    ...LAYOUT,
    format: ({ timestamp, level, message }) => {
      const color = LEVEL_COLOR[level];
      const painted = color === undefined ? level : `${color}${level}${RESET}`;
      return `${timestamp} ${painted} ${
        visible(message).replace(ARROWS, ` ${ARROW_COLOR}$1${RESET} `)
      }`;
    },
  });
}
