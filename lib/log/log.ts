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
  type TextFormatter,
} from "@logtape/logtape";
import type { EventSink, EventType, ServerEvent } from "../events/event.ts";
import { type BatchSink, getBatchSink } from "./batch_sink.ts";
import { stderrOutput } from "./stderr_output.ts";
import { type EventLineWriter, formattedEventLine } from "./event_line.ts";
import { fastTextLine } from "./fast_text_line.ts";
import { DEFAULT_LOG_LINES, heldLinesLog, isBudgeted, LineBudget } from "./line_budget.ts";
import { colorTextFormatter, plainTextFormatter } from "./text_formatter.ts";
import type { LogFormat } from "../config/config_file.ts";
import { jsonVisible, visible } from "../spec/visible.ts";

/** Options for {@linkcode setUpLogging}. */
export interface LoggingOptions {
  /** `text` for people, `json` for JSON lines. @default "text" */
  readonly format?: LogFormat;
  /**
   * Colour the text form: the same lines, with the level and the arrows
   * coloured (see `useColor()` for when). @default false
   */
  readonly color?: boolean;
  /** The lowest level written. @default "info" */
  readonly level?: LogLevel;
  /** Where the log goes. @default Deno.stderr.writable */
  readonly stream?: WritableStream<Uint8Array>;
  /**
   * Lines a second at most about the connections and datagrams of one socket
   * name (`--log-lines`); past it, lines are counted, and one line a second
   * says how many were held back (`line_budget.ts`). 0 for every line.
   * @default {DEFAULT_LOG_LINES}
   */
  readonly linesPerSecond?: number;
}

/** The levels muxd logs at. */
export type LogLevel = "debug" | "info" | "warning" | "error";

const LEVELS: Record<ServerEvent["type"], LogLevel> = {
  "listening": "debug",
  "bind-failed": "error",
  "listener-closed": "debug",
  // A listener added through the API is gone: a test suite may be using it.
  "listener-replaced": "warning",
  "connection-opened": "info",
  "connection-closed": "info",
  "connection-refused": "warning",
  "connection-aborted": "debug",
  "accept-paused": "warning",
  "accept-resumed": "info",
  "reply-suppressed": "warning",
  "datagram": "info",
  "reply": "debug",
  "error": "error",
  "exec-started": "debug",
  "exec-exited": "info",
  "exec-stderr": "warning",
  "exec-refused": "warning",
  "exec-no-group": "warning",
  "upstream-connected": "info",
  "session-closed": "info",
  "session-refused": "warning",
  // One per connection or datagram a fault hits: a summary per listener
  // comes at info (lib/log/fault_summary.ts).
  "fault": "debug",
  "faults-changed": "info",
};

/** What {@linkcode setUpLogging} sets up. */
export interface Logging {
  /**
   * The event sink: one log record per event at or above the configured
   * level, under the category `muxd.events`. Give it to
   * `EventHub.subscribe` or `start(plan, { sink })`.
   */
  readonly events: EventSink;
  /**
   * The types of event {@linkcode Logging.events} writes at its level (for
   * `EventHub.subscribe`): at the default level, no `reply`.
   */
  readonly types: ReadonlySet<EventType>;
  /**
   * Writes text for a person (the socket table) to the log's output, after
   * the lines before it and off the main thread as they are: a console
   * write would stop muxd on a pipe nobody reads. Control characters in
   * each line are escaped ({@linkcode visible}): a path it names (the
   * control token file's) may hold an escape code.
   *
   * @param text The text, one or more lines, without a final newline.
   */
  say(text: string): void;
  /**
   * Writes what the budget of lines holds back, one line per socket name
   * past it, and holds nothing back from then on: at shutdown, once the
   * last connection has closed, so that these lines come before the last
   * one (`bye`). {@linkcode Logging.close} does it too.
   */
  sayHeldBack(): void;
  /** Flushes and closes the log; await it before exit. */
  close(): Promise<void>;
}

/**
 * Configures LogTape to write to standard error (or `options.stream`), and
 * returns the event sink that writes to the same place. Call once, from
 * `main`; nothing is configured at import time.
 *
 * Event lines go straight into the batch of the sink LogTape was given, in
 * the same formats as every other record, without passing through
 * LogTape's logger tree: its dispatch (category, filters, sink plan)
 * decides nothing here, where muxd's configuration is the only one, and an
 * event line is written once per connection or datagram. In the plain text
 * form, the lines of connections and datagrams are written as bytes (see
 * `fast_text_line.ts`); the coloured form, for a terminal, formats every
 * line through LogTape's formatter. Other records (`muxd.main`, LogTape's own) take
 * LogTape's usual path.
 *
 * @param options Format, colour and level.
 * @returns The event sink and the function that closes the log.
 */
export async function setUpLogging(options: LoggingOptions = {}): Promise<Logging> {
  const format = options.format ?? "text";
  const formatter: TextFormatter = format === "json"
    // A JSON line read on a terminal must not move its cursor either.
    ? (record) => jsonVisible(jsonLinesFormatter(record))
    : options.color
    ? colorTextFormatter()
    : plainTextFormatter();
  const lowest = options.level ?? "info";
  const sink = getBatchSink(options.stream ?? stderrOutput(), { formatter });
  await configure({
    reset: true,
    sinks: { stderr: sink },
    loggers: [
      { category: ["muxd"], lowestLevel: lowest, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
  const readable = formattedEventLine(formatter, format === "json");
  const line = format === "text" && !options.color ? fastTextLine(readable) : readable;
  const perSecond = options.linesPerSecond ?? DEFAULT_LOG_LINES;
  // A budget for the lines at info and debug, and one for warnings: a load
  // test's lines never hold back a refusal's.
  const budgets: Budgets = {
    lines: new LineBudget(perSecond, heldLinesLog("info")),
    warnings: new LineBudget(perSecond, heldLinesLog("warning"), {
      noun: ["warning", "warnings"],
    }),
  };
  const sayHeldBack = () => {
    budgets.lines.close();
    budgets.warnings.close();
  };
  return {
    events: eventLines(lowest, sink, line, budgets),
    types: typesWritten(lowest),
    say: (text) => sink.writeLine(`${text.split("\n").map(visible).join("\n")}\n`),
    sayHeldBack,
    close: () => {
      // What was held back is said before the log closes.
      sayHeldBack();
      return dispose();
    },
  };
}

/**
 * The types of event written at or above `lowest`: those of that level or
 * above, and `listening` from info on (see {@linkcode eventLines}).
 *
 * @param lowest The lowest level written.
 * @returns The types.
 */
export function typesWritten(lowest: LogLevel): ReadonlySet<EventType> {
  const types = new Set(levelsWritten(lowest).keys());
  // A listener with faults says so at info.
  if (compareLogLevel("info", lowest) >= 0) types.add("listening");
  return types;
}

/** The level of each event type written at or above `lowest`; the types below it are left out. */
function levelsWritten(lowest: LogLevel): Map<EventType, LogLevel> {
  const written = new Map<EventType, LogLevel>();
  for (const [type, level] of Object.entries(LEVELS) as [EventType, LogLevel][]) {
    if (compareLogLevel(level, lowest) >= 0) written.set(type, level);
  }
  return written;
}

/** The budgets of lines about one socket name: at info and debug, and of warnings. */
interface Budgets {
  readonly lines: LineBudget;
  readonly warnings: LineBudget;
}

/**
 * An event sink that writes each event at or above `lowest` as one line,
 * within the budget of lines about its socket name.
 *
 * @param lowest The lowest level written.
 * @param sink Where lines go.
 * @param line Writes each line.
 * @param budgets Hold back the lines of connections and datagrams past them.
 * @returns The event sink.
 */
function eventLines(
  lowest: LogLevel,
  sink: BatchSink,
  line: EventLineWriter,
  budgets: Budgets,
): EventSink {
  // Nothing is formatted for the types below `lowest`.
  const written = levelsWritten(lowest);
  // A TCP program's exit is on its connection's closing line as well, so
  // its own line (which adds the pid and the run time) is at debug level; a
  // datagram's program has no other line for its exit.
  const tcpExit: LogLevel | undefined = compareLogLevel("debug", lowest) >= 0 ? "debug" : undefined;
  // A listener with faults says so at info, with the seed muxd picked, so
  // that a run can be repeated with `seed=`; other listeners at debug.
  const faulty: LogLevel | undefined = compareLogLevel("info", lowest) >= 0 ? "info" : undefined;
  return (event) => {
    const level = event.type === "exec-exited" && event.transport === "tcp"
      ? tcpExit
      : event.type === "listening" && event.faults !== undefined
      ? faulty
      : written.get(event.type);
    if (level === undefined) return;
    if (isBudgeted(event)) {
      const budget = level === "warning" ? budgets.warnings : budgets.lines;
      if (!budget.take(event)) return;
    }
    const out = sink.lineBuffer();
    if (out !== null) line(event, level, out); // null: over the limit, counted as dropped
  };
}

/**
 * Where muxd's own messages go (start-up, shutdown, reloads), category
 * `muxd.main`. Each message is plain text, written as it is: braces in a
 * path or a spec are not LogTape placeholders.
 */
export interface MainLog {
  /** Logs at debug level. */
  debug(text: string): void;
  /** Logs at info level. */
  info(text: string): void;
  /** Logs at warning level. */
  warn(text: string): void;
  /** Logs at error level. */
  error(text: string): void;
}

/**
 * The log for muxd's own messages.
 *
 * @returns The log, category `muxd.main`.
 *
 * @example
 * ```ts
 * import { mainLogger, setUpLogging } from "./log.ts";
 * import assert from "node:assert/strict";
 *
 * let text = "";
 * const stream = new WritableStream<Uint8Array>({
 *   write: (bytes) => void (text += new TextDecoder().decode(bytes)),
 * });
 * const log = await setUpLogging({ stream });
 * mainLogger().warn("cannot write the ready file /tmp/{x}/ready.json");
 * await log.close();
 * assert.match(text, / WRN cannot write the ready file \/tmp\/\{x\}\/ready\.json\n$/); // braces kept
 * ```
 */
export function mainLogger(): MainLog {
  const logger = getLogger(["muxd", "main"]);
  // LogTape reads a message as a template, where "{name}" is a placeholder
  // and "{{" a literal brace.
  const literal = (text: string) => text.replaceAll("{", "{{").replaceAll("}", "}}");
  return {
    debug: (text) => logger.debug(literal(text)),
    info: (text) => logger.info(literal(text)),
    warn: (text) => logger.warn(literal(text)),
    error: (text) => logger.error(literal(text)),
  };
}
