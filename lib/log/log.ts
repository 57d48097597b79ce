/**
 * Logs as one consumer of the event stream, through LogTape: a readable
 * line per event, or JSON lines for machines.
 *
 * @module
 */

import {
  configure,
  dispose,
  getLogger,
  jsonLinesFormatter,
  type Logger,
  type LogRecord,
  type TextFormatter,
} from "@logtape/logtape";
import { prettyFormatter } from "@logtape/pretty";
import type { EventSink, ServerEvent } from "../events/event.ts";
import { formatEvent } from "../events/format.ts";
import { getBatchSink } from "./batch_sink.ts";
import { plainTextFormatter } from "./text_formatter.ts";
import type { LogFormat } from "../config/config_file.ts";

/** Options for {@linkcode setUpLogging}. */
export interface LoggingOptions {
  /** `text` for people, `json` for JSON lines. @default "text" */
  readonly format?: LogFormat;
  /** Colour the text form. @default false */
  readonly color?: boolean;
  /** The lowest level written. @default "info" */
  readonly level?: LogLevel;
}

/** The levels muxd logs at. */
export type LogLevel = "debug" | "info" | "warning" | "error";

const LEVELS: Record<ServerEvent["type"], LogLevel> = {
  "listening": "debug",
  "bind-failed": "error",
  "listener-closed": "debug",
  "connection-opened": "info",
  "connection-closed": "info",
  "connection-refused": "warning",
  "reply-suppressed": "warning",
  "datagram": "info",
  "reply": "debug",
  "error": "error",
};

/**
 * Configures LogTape to write to standard error. Call once, from `main`;
 * nothing is configured at import time.
 *
 * @param options Format, colour and level.
 * @returns A function that flushes and closes the log; await it before exit.
 */
export async function setUpLogging(options: LoggingOptions = {}): Promise<() => Promise<void>> {
  const formatter: TextFormatter = options.format === "json"
    ? jsonLinesFormatter
    : options.color
    ? prettyFormatter
    : plainTextFormatter();
  await configure({
    reset: true,
    sinks: { stderr: getBatchSink(Deno.stderr.writable, { formatter }) },
    loggers: [
      { category: ["muxd"], lowestLevel: options.level ?? "info", sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
  return dispose;
}

/**
 * An event sink that writes one log record per event, under the category
 * `muxd.events`. Use it with `start(plan, { sink })` or `EventHub.subscribe`,
 * after {@linkcode setUpLogging}: levels are read once, at the first event.
 *
 * @param options `properties`: attach the event's fields to each record, for
 *   the JSON form.
 * @returns The sink.
 */
export function eventLogger(options: { readonly properties?: boolean } = {}): EventSink {
  const category = ["muxd", "events"] as const;
  const logger = getLogger(category);
  const enabled = new Map<LogLevel, boolean>();
  const isEnabled = (level: LogLevel) => {
    let on = enabled.get(level);
    if (on === undefined) enabled.set(level, on = logger.isEnabledFor(level));
    return on;
  };
  return (event) => {
    const level = LEVELS[event.type];
    // Nothing is formatted for a level that is not written.
    if (!isEnabled(level)) return;
    const line = formatEvent(event);
    const record: LogRecord = {
      // A record that names its category takes LogTape's direct path.
      category,
      level,
      message: [line],
      rawMessage: line,
      // LogTape copies the properties of every record; the text form does not
      // show them, so only the JSON form pays for them.
      properties: options.properties ? event as unknown as Record<string, unknown> : NONE,
      timestamp: event.time,
    };
    logger.emit(record);
  };
}

const NONE: Record<string, unknown> = Object.freeze({});

/**
 * The logger for muxd's own messages (start-up, shutdown), category `muxd.main`.
 *
 * @returns The logger.
 */
export function mainLogger(): Logger {
  return getLogger(["muxd", "main"]);
}
