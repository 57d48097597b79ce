/**
 * The text log's lines for `accept-paused` and `accept-resumed` events: the
 * open-files limit is the process's, so when muxd runs out of descriptors
 * every listener that has a client waiting meets it at once, and each says
 * so every 5 s. The listeners that say the same within a second make one
 * line that names them all (a port range as `tcp 127.0.0.1:9000-9198
 * echo`), not one line each: 199 listeners of a range wrote 199 warnings
 * every 5 s, and 199 lines more when descriptors were free again.
 *
 * @module
 */

import type {
  AcceptPausedEvent,
  AcceptResumedEvent,
  EventSink,
  ServerEvent,
} from "../events/event.ts";
import type { LogLevel } from "./log.ts";
import { socketsWords } from "../server/socket_words.ts";

/** How long the accept pauses that listeners report gather into one line, in ms. */
export const ACCEPT_LINES_GATHER_MS = 1000;

type AcceptEvent = AcceptPausedEvent | AcceptResumedEvent;

/**
 * An event sink in front of the log's: every event but `accept-paused` and
 * `accept-resumed` passes at once; those wait {@linkcode ACCEPT_LINES_GATHER_MS}
 * from the first of them (or {@linkcode AcceptPauseLines.flush}), then the
 * listeners that paused for one reason, or that accept again, are told in
 * one line each; a listener alone is told by its own event.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AcceptPauseLines } from "./accept_pause_lines.ts";
 *
 * const lines: string[] = [];
 * using accepts = new AcceptPauseLines(() => {}, (_level, line) => lines.push(line));
 * for (const port of [9000, 9001, 9002]) {
 *   accepts.sink({
 *     type: "accept-paused", time: 0, transport: "tcp", listener: `tcp://127.0.0.1:${port}=echo`,
 *     service: "echo", local: { address: "127.0.0.1", port }, code: "EMFILE",
 *     detail: "out of files", failures: 2, retryMs: 50,
 *   });
 * }
 * accepts.flush();
 * assert.deepEqual(lines, [
 *   "3 listeners cannot accept (EMFILE): tcp 127.0.0.1:9000-9002 echo: out of files; " +
 *   "retrying every 50 ms (6 failed accepts)",
 * ]);
 * ```
 */
export class AcceptPauseLines implements Disposable {
  readonly #log: EventSink;
  readonly #say: (level: LogLevel, line: string) => void;
  readonly #gatherMs: number;
  #held: AcceptEvent[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;

  /**
   * @param log The log's event sink, for every other event and a listener alone.
   * @param say Writes a line that stands for several listeners, at the events' level.
   * @param gatherMs How long events gather into one line. @default ACCEPT_LINES_GATHER_MS
   */
  constructor(
    log: EventSink,
    say: (level: LogLevel, line: string) => void,
    gatherMs: number = ACCEPT_LINES_GATHER_MS,
  ) {
    this.#log = log;
    this.#say = say;
    this.#gatherMs = gatherMs;
  }

  /** Takes each event. */
  readonly sink = (event: ServerEvent): void => {
    if (event.type !== "accept-paused" && event.type !== "accept-resumed") {
      return this.#log(event);
    }
    this.#held.push(event);
    this.#timer ??= setTimeout(() => this.flush(), this.#gatherMs);
  };

  /** Writes what is held: the listeners that said the same in one line, in the order they first said it. */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const held = this.#held;
    if (held.length === 0) return;
    this.#held = [];
    const groups = Map.groupBy(
      held,
      (e) =>
        e.type === "accept-paused" ? JSON.stringify([e.type, e.code, e.detail, e.retryMs]) : e.type,
    );
    for (const group of groups.values()) {
      if (group.length === 1) this.#log(group[0]);
      else this.#tell(group);
    }
  }

  /** Writes what is held and stops the timer: muxd stops. */
  [Symbol.dispose](): void {
    this.flush();
  }

  #tell(group: readonly AcceptEvent[]): void {
    const sockets = [...group].sort((a, b) =>
      a.local.address < b.local.address ? -1 : a.local.address > b.local.address ? 1 : (
        a.local.port - b.local.port
      )
    );
    const who = `${group.length} listeners`;
    const what = socketsWords(sockets);
    const failures = failedAccepts(group.reduce((sum, e) => sum + e.failures, 0));
    const first = group[0];
    if (first.type === "accept-paused") {
      this.#say(
        "warning",
        `${who} cannot accept (${first.code}): ${what}: ${first.detail}; ` +
          `retrying every ${first.retryMs} ms (${failures})`,
      );
      return;
    }
    const longest = Math.max(...group.map((e) => (e as AcceptResumedEvent).pausedMs));
    this.#say(
      "info",
      `${who} accepting again, after ${Math.round(longest)} ms at most (${failures}): ${what}`,
    );
  }
}

function failedAccepts(failures: number): string {
  return failures === 1 ? "1 failed accept" : `${failures} failed accepts`;
}
