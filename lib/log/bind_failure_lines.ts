/**
 * The text log's lines for `bind-failed` events: the failures of one spec
 * on one address for one reason (the same words but for each one's own
 * port), which muxd emits together (at start-up,
 * when the control API adds a port range, at a reload with `keepGoing`),
 * make one line that names every port, not one line each.
 *
 * @module
 */

import type { BindFailedEvent, EventSink, ServerEvent } from "../events/event.ts";
import { failedPortsWords, failureGroupKey, reasonForPorts } from "../bind/failure_groups.ts";

/**
 * An event sink in front of the log's: every event but `bind-failed` passes
 * at once; `bind-failed` events wait until the end of the task that emitted
 * them (or {@linkcode BindFailureLines.flush}), then each group of more than
 * one is written as one line.
 */
export class BindFailureLines {
  readonly #log: EventSink;
  readonly #say: (line: string) => void;
  #held: BindFailedEvent[] = [];

  /**
   * @param log The log's event sink, for every other event and a failure alone.
   * @param say Writes a line that stands for a group, at error level.
   */
  constructor(log: EventSink, say: (line: string) => void) {
    this.#log = log;
    this.#say = say;
  }

  /** Takes each event. */
  readonly sink = (event: ServerEvent): void => {
    if (event.type !== "bind-failed") return this.#log(event);
    if (this.#held.length === 0) queueMicrotask(() => this.flush());
    this.#held.push(event);
  };

  /** Writes the failures held so far: alike ones in one line, in the place of the first. */
  flush(): void {
    const held = this.#held;
    if (held.length === 0) return;
    this.#held = [];
    const groups = Map.groupBy(held, (e, i) =>
      (e.origin !== undefined &&
        failureGroupKey(e.transport, e.local.address, e.local.port, e.origin, e.reason)) || `${i}`);
    for (const group of groups.values()) {
      if (group.length === 1) {
        this.#log(group[0]);
        continue;
      }
      const [e] = group;
      const ports = group.map((g) => g.local.port);
      const what = failedPortsWords(e.transport, e.local.address, ports, e.origin!);
      this.#say(`cannot bind ${what}: ${reasonForPorts(e.reason, e.local.port, ports)}`);
    }
  }
}
