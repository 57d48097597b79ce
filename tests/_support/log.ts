/**
 * muxd's log read back: the JSON log (`--log-format json`) as records and
 * server events, event counts for polling a long log, and the times of
 * text log lines.
 *
 * @module
 */

import type { ServerEvent } from "../../lib/events/mod.ts";

/** One line of muxd's JSON log. */
export interface LogRecord {
  readonly level: string;
  readonly message: string;
  readonly logger: string;
  readonly properties: Record<string, unknown>;
}

/**
 * Reads muxd's JSON log (stderr with `--log-format json`).
 *
 * @param stderr Everything muxd wrote to stderr.
 * @returns Every complete JSON line, in order; a half-written last line is left out.
 * @throws {SyntaxError} When a complete line is not JSON: muxd wrote something else.
 */
export function logRecords(stderr: string): LogRecord[] {
  const lines = stderr.split("\n");
  lines.pop(); // the part after the last newline is not a complete line
  return lines.filter((l) => l !== "").map((l) => {
    try {
      return JSON.parse(l) as LogRecord;
    } catch (error) {
      throw new SyntaxError(`muxd wrote a line to stderr that is not JSON: ${l}`, {
        cause: error,
      });
    }
  });
}

/** The server events in muxd's JSON log, in order. */
export function logEvents(stderr: string): ServerEvent[] {
  return logRecords(stderr)
    .filter((r) => r.logger === "muxd.events")
    .map((r) => r.properties as unknown as ServerEvent);
}

/**
 * Counts the events of one type in muxd's JSON log without parsing it, for
 * polling a log of thousands of lines.
 */
export function countEvents(stderr: string, type: ServerEvent["type"]): number {
  const needle = `"properties":{"type":"${type}",`;
  let count = 0;
  for (let at = stderr.indexOf(needle); at !== -1; at = stderr.indexOf(needle, at + 1)) count++;
  return count;
}

/** The events of one type, typed. */
export function eventsOf<T extends ServerEvent["type"]>(
  events: readonly ServerEvent[],
  type: T,
): Extract<ServerEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ServerEvent, { type: T }> => e.type === type);
}

/**
 * The times of day, in ms since midnight, of the text log lines that match
 * `pattern`, in order (`17:42:16.052 WRN ...`); a line after midnight counts
 * on from the day before.
 *
 * @param stderr muxd's text log.
 * @param pattern What the lines contain.
 * @returns One time per matching line.
 */
export function lineTimes(stderr: string, pattern: RegExp): number[] {
  const times: number[] = [];
  for (const line of stderr.split("\n")) {
    const time = /^(\d\d):(\d\d):(\d\d)\.(\d{3}) /.exec(line);
    if (time === null || !pattern.test(line)) continue;
    const [h, m, s, ms] = time.slice(1).map(Number);
    let at = ((h * 60 + m) * 60 + s) * 1000 + ms;
    while (times.length > 0 && at < times.at(-1)!) at += 24 * 3600 * 1000;
    times.push(at);
  }
  return times;
}

/**
 * Asserts that consecutive times are at least `ms` apart: something
 * happened at most once per interval, however long the test took.
 *
 * @param times In ms, in order.
 * @param ms The interval.
 * @param what What happened, for the message.
 * @throws {Error} Naming the two times that are too close.
 */
export function assertSpaced(times: readonly number[], ms: number, what: string): void {
  for (let i = 1; i < times.length; i++) {
    // A millisecond of slack: log times are rounded, the interval is not.
    if (times[i] - times[i - 1] < ms - 1) {
      throw new Error(
        `${what}: ${times.length} in all, two of them ${times[i] - times[i - 1]} ms apart ` +
          `(at most one per ${ms} ms)`,
      );
    }
  }
}
