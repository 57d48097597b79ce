/**
 * The faults that hit, summed per listener: every `fault` event is logged at
 * debug, one per connection or datagram; at info, a line per listener every
 * 10 s says how many of each kind hit, while faults hit.
 *
 * @module
 */

import type { EventSink, EventType, ServerEvent } from "../events/event.ts";
import { listenerKey } from "../events/listener_key.ts";
import { RecentlyClosed } from "../events/recently_closed.ts";
import { type FaultCounts, formatFaultCounts } from "../faults/kinds.ts";
import type { ServiceName } from "../services/names.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import type { SocketName, Transport } from "../spec/types.ts";
import { summaryLog } from "./summary_log.ts";

/** How often a summary is written while faults hit, in ms. */
export const FAULT_SUMMARY_MS = 10_000;

/** What one summary line says: a listener and the faults that hit it over a while. */
export interface FaultSummaryLine {
  /** The listener's transport. */
  readonly transport: Transport;
  /** The listener's bound socket name (on a TCP wildcard, the wildcard's). */
  readonly local: SocketName;
  /** The listener's service. */
  readonly service: ServiceName;
  /** How long the counts cover, in seconds (one decimal). */
  readonly seconds: number;
  /** How many faults of each kind hit. */
  readonly counts: FaultCounts;
  /** The line: `faults on udp 127.0.0.1:1060 -> size in the last 10 s: 5,012 drop, 12 duplicate`. */
  readonly text: string;
}

interface Tally {
  readonly transport: Transport;
  readonly local: SocketName;
  readonly service: ServiceName;
  readonly counts: FaultCounts;
}

/**
 * Sums the `fault` events of the event stream per listener and writes one
 * line per listener that had any, every {@linkcode FAULT_SUMMARY_MS}. Its
 * timer runs only while faults hit: it stops after an interval without
 * any, and {@linkcode FaultSummary.close} writes what is left and stops it.
 *
 * A fault is counted on its listener's bound socket name, learnt from the
 * `listening` and `faults-changed` events (a connection on a TCP wildcard
 * arrives on another address) by spec and port: two listeners of one spec
 * text (`udp://127.0.0.1:0=echo?drop=1` twice) are two sockets, each with its line.
 * The names of listeners that closed, or whose faults changed (and so their
 * spec), are kept for the most recent ones only, as the dashboard keeps its
 * rows: listeners added and removed by the thousand leave no more.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaultSummary } from "./fault_summary.ts";
 *
 * const lines: string[] = [];
 * using summary = new FaultSummary((line) => lines.push(line.text));
 * const local = { address: "127.0.0.1", port: 1060 };
 * const base = { time: 0, transport: "udp", listener: "udp://127.0.0.1:1060=size?drop=0.5",
 *   service: "size", local } as const;
 * summary.sink({ ...base, type: "listening" });
 * for (let i = 0; i < 3; i++) {
 *   summary.sink({ ...base, type: "fault", fault: "drop", id: null, on: "request",
 *     remote: { address: "127.0.0.1", port: 40000 }, detail: "dropped" });
 * }
 * summary.close();
 * assert.match(lines[0], /^faults on udp 127\.0\.0\.1:1060 -> size in the last [\d.]+ s: 3 drop$/);
 * ```
 */
export class FaultSummary implements Disposable {
  readonly #write: (line: FaultSummaryLine) => void;
  readonly #everyMs: number;
  readonly #now: () => number;
  /** Counts by listener key (`udp 127.0.0.1:1060 -> size`), since the interval began. */
  #tallies = new Map<string, Tally>();
  /**
   * The bound socket name of each listener, by its spec and port
   * (`listenerKey()`): one per port a spec bound, kept after it closes.
   */
  #bound = new Map<string, SocketName>();
  /** The key each bound socket name has now, by `transport local`. */
  #current = new Map<string, string>();
  /** The keys of listeners closed, or left by a change of faults: a bounded few are kept. */
  #left: RecentlyClosed;
  #since = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Creates a summary that writes nothing until a fault hits.
   *
   * @param write Writes one line.
   * @param everyMs How often it writes while faults hit. @default {FAULT_SUMMARY_MS}
   * @param now The clock, in ms. @default performance.now
   * @param keepClosed How many closed listeners' names it keeps. @default {KEEP_CLOSED}
   */
  constructor(
    write: (line: FaultSummaryLine) => void,
    everyMs: number = FAULT_SUMMARY_MS,
    now: () => number = () => performance.now(),
    keepClosed?: number,
  ) {
    this.#write = write;
    this.#everyMs = everyMs;
    this.#now = now;
    this.#left = new RecentlyClosed(keepClosed);
  }

  /** Whether its timer runs: only while faults hit, and until an interval passes without any. */
  get ticking(): boolean {
    return this.#timer !== undefined;
  }

  /** The types of event {@linkcode FaultSummary.sink} uses: subscribe it to these. */
  static readonly TYPES: readonly EventType[] = [
    "listening",
    "faults-changed",
    "listener-closed",
    "fault",
  ];

  /**
   * Takes any event; counts `fault` events, learns listeners from
   * `listening` and `faults-changed`, and `listener-closed`.
   */
  readonly sink: EventSink = (event: ServerEvent): void => {
    switch (event.type) {
      case "listening":
      case "faults-changed":
        return this.#learn(event.transport, event.listener, event.local);
      case "listener-closed": {
        // Kept a while after the listener closes: a connection it leaves
        // open may still meet a fault (a drain, the shutdown's grace period).
        const socket = `${event.transport} ${formatSocketName(event.local)}`;
        const key = this.#current.get(socket);
        this.#current.delete(socket);
        if (key !== undefined) this.#leave(key);
        return;
      }
      case "fault":
        return this.#count(event);
    }
  };

  /** Notes a listener's bound name, under its spec now; the spec it had before is left. */
  #learn(transport: Transport, listener: string, local: SocketName): void {
    const socket = `${transport} ${formatSocketName(local)}`;
    const key = listenerKey(listener, local.port);
    const before = this.#current.get(socket);
    if (before !== undefined && before !== key) this.#leave(before);
    this.#current.set(socket, key);
    this.#left.reopen(key);
    this.#bound.set(key, local);
  }

  /** Keeps a left key among the recent ones, and forgets those past the bound. */
  #leave(key: string): void {
    for (const old of this.#left.close(key)) this.#bound.delete(old);
  }

  #count(event: Extract<ServerEvent, { type: "fault" }>): void {
    if (this.#closed) return;
    const local = this.#bound.get(listenerKey(event.listener, event.local.port)) ?? event.local;
    const key = `${event.transport} ${formatSocketName(local)} -> ${event.service}`;
    let tally = this.#tallies.get(key);
    if (tally === undefined) {
      tally = { transport: event.transport, local, service: event.service, counts: {} };
      this.#tallies.set(key, tally);
    }
    tally.counts[event.fault] = (tally.counts[event.fault] ?? 0) + 1;
    if (this.#timer === undefined) {
      this.#since = this.#now();
      this.#timer = setTimeout(() => this.#tick(), this.#everyMs);
    }
  }

  /** At the end of an interval: writes, and goes on only if faults hit in it. */
  #tick(): void {
    this.#timer = undefined;
    if (this.#tallies.size === 0) return;
    this.flush();
    this.#since = this.#now();
    this.#timer = setTimeout(() => this.#tick(), this.#everyMs);
  }

  /** Writes one line per listener that faults hit since the last line, and starts counting again. */
  flush(): void {
    const seconds = Math.round((this.#now() - this.#since) / 100) / 10;
    const tallies = [...this.#tallies.values()];
    this.#tallies = new Map();
    for (const { transport, local, service, counts } of tallies) {
      const text = `faults on ${transport} ${formatSocketName(local)} -> ${service} in the last ` +
        `${seconds} s: ${formatFaultCounts(counts)}`;
      this.#write({ transport, local, service, seconds, counts, text });
    }
  }

  /** Writes what is left, stops the timer and counts nothing more. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  /** Same as {@linkcode FaultSummary.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Writes summary lines to the log at info, category `muxd.faults`; the JSON
 * log holds the line's fields as properties.
 *
 * @returns A writer for {@linkcode FaultSummary}.
 */
export function faultSummaryLog(): (line: FaultSummaryLine) => void {
  return summaryLog<FaultSummaryLine>("faults");
}
