/**
 * Logs as one consumer of the event stream, through LogTape: a readable
 * line per event, or JSON lines for machines.
 *
 * @module
 */

import {
  compareLogLevel,
  configure,
  dispose,
  getLogger,
  jsonLinesFormatter,
  type Logger,
  type Sink,
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

/** What {@linkcode setUpLogging} sets up. */
export interface Logging {
  /**
   * The event sink: one log record per event at or above the configured
   * level, under the category `muxd.events`. Give it to
   * `EventHub.subscribe` or `start(plan, { sink })`.
   */
  readonly events: EventSink;
  /** Flushes and closes the log; await it before exit. */
  close(): Promise<void>;
}

/**
 * Configures LogTape to write to standard error, and returns the event sink
 * that writes to the same place. Call once, from `main`; nothing is
 * configured at import time.
 *
 * Event records go straight to the sink LogTape was given, in the same
 * batches and formats as every other record, without passing through
 * LogTape's logger tree: that dispatch (category, filters, sink plan) costs
 * about 3 µs a record in a busy server, a tenth of the connection rate for
 * the two records a connection writes, and decides nothing here, where
 * muxd's configuration is the only one. Other records (`muxd.main`,
 * LogTape's own) take LogTape's usual path.
 *
 * @param options Format, colour and level.
 * @returns The event sink and the function that closes the log.
 */
export async function setUpLogging(options: LoggingOptions = {}): Promise<Logging> {
  const format = options.format ?? "text";
  const formatter: TextFormatter = format === "json"
    ? jsonLinesFormatter
    : options.color
    ? prettyFormatter
    : plainTextFormatter();
  const lowest = options.level ?? "info";
  const sink = getBatchSink(Deno.stderr.writable, { formatter });
  await configure({
    reset: true,
    sinks: { stderr: sink },
    loggers: [
      { category: ["muxd"], lowestLevel: lowest, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
  return {
    events: eventRecords(sink, { lowest, properties: format === "json" }),
    close: dispose,
  };
}

const EVENTS_CATEGORY = ["muxd", "events"] as const;

/**
 * An event sink that turns each event at or above `lowest` into one log
 * record, handed to `sink`.
 *
 * @param sink Where records go.
 * @param options `lowest`: the lowest level written; `properties`: attach
 *   the event's fields to each record, for the JSON form.
 * @returns The event sink.
 */
function eventRecords(
  sink: Sink,
  options: { readonly lowest: LogLevel; readonly properties: boolean },
): EventSink {
  return (event) => {
    const level = LEVELS[event.type];
    // Nothing is formatted for a level that is not written.
    if (compareLogLevel(level, options.lowest) < 0) return;
    const line = formatEvent(event);
    sink({
      category: EVENTS_CATEGORY,
      level,
      message: [line],
      rawMessage: line,
      // The text forms do not show properties; only the JSON form pays for them.
      properties: options.properties ? event as unknown as Record<string, unknown> : NONE,
      timestamp: event.time,
    });
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
