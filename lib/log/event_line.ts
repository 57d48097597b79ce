/**
 * An event's line in the log: the event made into a LogTape record, with
 * {@linkcode formatEvent}'s text as its message, and given to a LogTape
 * formatter, as every other record is. With the plain text formatter this
 * is the readable form of the text log's line, the one that
 * `fast_text_line.ts` must match byte for byte.
 *
 * @module
 */

import type { LogRecord, TextFormatter } from "@logtape/logtape";
import type { ServerEvent } from "../events/event.ts";
import { formatEvent } from "../events/format.ts";
import type { LineBuffer } from "./line_buffer.ts";
import type { LogLevel } from "./log.ts";

/**
 * Writes an event's line, newline included, at the end of a buffer.
 *
 * @param event The event.
 * @param level The level it is logged at.
 * @param out Where the line goes.
 */
export type EventLineWriter = (event: ServerEvent, level: LogLevel, out: LineBuffer) => void;

const EVENTS_CATEGORY = ["muxd", "events"] as const;
const NONE: Record<string, unknown> = Object.freeze({});

/**
 * Event lines through a LogTape formatter.
 *
 * @param formatter Formats one record as one line, newline included.
 * @param withProperties Gives the formatter the event's fields as the
 *   record's properties (the JSON form shows them; the text forms do not).
 * @returns The line writer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formattedEventLine } from "./event_line.ts";
 * import { LineBuffer } from "./line_buffer.ts";
 * import { plainTextFormatter } from "./text_formatter.ts";
 *
 * const out = new LineBuffer();
 * formattedEventLine(plainTextFormatter(), false)({
 *   type: "listener-closed", time: Date.UTC(2026, 10, 22, 17, 42, 16, 52), transport: "tcp",
 *   listener: "tcp://127.0.0.2:7007=echo", service: "echo",
 *   local: { address: "127.0.0.2", port: 7007 },
 * }, "debug", out);
 * assert.equal(
 *   new TextDecoder().decode(out.view()),
 *   "17:42:16.052 DBG stopped listening tcp 127.0.0.2:7007\n",
 * );
 * ```
 */
export function formattedEventLine(
  formatter: TextFormatter,
  withProperties: boolean,
): EventLineWriter {
  return (event, level, out) => {
    const text = formatEvent(event);
    const record: LogRecord = {
      category: EVENTS_CATEGORY,
      level,
      message: [text],
      rawMessage: text,
      properties: withProperties ? event as unknown as Record<string, unknown> : NONE,
      timestamp: event.time,
    };
    out.appendUtf8(formatter(record));
  };
}
