/**
 * The metrics collector: a consumer of the one event stream that keeps, per
 * listener, the counters `GET /metrics` shows. Each event costs a few map
 * operations; nothing is done per chunk of bytes, and nothing is kept per
 * client beyond the open TCP connections' ids.
 *
 * @module
 */

import { bytesArrived } from "../events/bytes_arrived.ts";
import { listenerKey } from "../events/listener_key.ts";
import type { ServerEvent } from "../events/event.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import type { SocketName } from "../spec/types.ts";
import { type ListenerSeries, newCounters, tally } from "./listener_series.ts";
import { RecentlyClosed } from "../events/recently_closed.ts";

/** Options for {@linkcode MetricsCollector}. */
export interface MetricsCollectorOptions {
  /**
   * How many closed listeners keep their series, so that connections that
   * drain after the close and scrapes soon after it still count them; older
   * ones go, which keeps the series bounded when listeners come and go.
   * @default {KEEP_CLOSED}
   */
  readonly keepClosed?: number;
  /** The clock, in milliseconds since the Unix epoch. @default Date.now */
  readonly now?: () => number;
}

/** A series with what the collector needs to find it again. */
interface Entry extends ListenerSeries {
  readonly key: string;
  /** The listen spec its events name now (a change of faults changes it). */
  spec: string;
  /** Its bound port: with `spec`, what finds it ({@linkcode listenerKey}). */
  readonly port: number;
}

/**
 * Counts the event stream per listener for the Prometheus text format.
 * Subscribe {@linkcode MetricsCollector.record} before `start()`, so that
 * the start-up `listening` events make the listeners' series: events of a
 * listener it has not seen listening are not counted.
 *
 * A listener's series is named by its transport, bound socket name and
 * service. A connection on a wildcard listener arrives on a more specific
 * name (`127.0.0.2:7000` on `0.0.0.0:7000`); it is counted on the
 * listener's series, found through the connection's `bound` name and id.
 *
 * @example
 * ```ts
 * import { EventHub } from "../events/mod.ts";
 * import { MetricsCollector } from "./collector.ts";
 * import assert from "node:assert/strict";
 *
 * const hub = new EventHub();
 * const metrics = new MetricsCollector();
 * hub.subscribe(metrics.record);
 * const base = {
 *   time: 0, transport: "udp", listener: "udp://127.0.0.1:1060=echo", service: "echo",
 *   local: { address: "127.0.0.1", port: 1060 },
 * } as const;
 * hub.emit({ ...base, type: "listening" });
 * hub.emit({ ...base, type: "datagram", remote: { address: "127.0.0.1", port: 40000 }, bytesIn: 5 });
 * const [series] = metrics.series();
 * assert.equal(series.counters.datagrams, 1);
 * assert.equal(series.counters.bytesIn, 5);
 * metrics.reset();
 * assert.equal(metrics.series()[0].counters.datagrams, 0);
 * ```
 */
export class MetricsCollector {
  /** Every listener's series, by key, in the order they first listened. */
  readonly #series = new Map<string, Entry>();
  /** The series of each listen spec and port, for an event whose `local` is no series' name. */
  readonly #bySpec = new Map<string, Entry>();
  /** The series of each open TCP connection, by connection id. */
  readonly #connections = new Map<number, Entry>();
  /** Keys of closed listeners, oldest first. */
  readonly #closed: RecentlyClosed;
  readonly #now: () => number;
  #since: number;
  /** The last event's socket name and series: a socket's events share their `local` object. */
  #lastLocal: SocketName | null = null;
  #lastSeries: Entry | null = null;

  /**
   * Creates a collector with no series.
   *
   * @param options How many closed listeners to keep; the clock.
   */
  constructor(options: MetricsCollectorOptions = {}) {
    this.#closed = new RecentlyClosed(options.keepClosed);
    this.#now = options.now ?? Date.now;
    this.#since = this.#now();
  }

  /** When the counters started: at creation or at the last reset, in ms since the Unix epoch. */
  get since(): number {
    return this.#since;
  }

  /**
   * Every listener's series, listening or recently closed, in the order
   * they first listened. The objects are the collector's own: read them
   * before the next event.
   *
   * @returns The series.
   */
  series(): readonly Readonly<ListenerSeries>[] {
    return [...this.#series.values()];
  }

  /**
   * Zeroes every counter and histogram (for `POST /v1/reset`). The state
   * stays: which listeners are up, and their open connections. Prometheus
   * takes the drop to zero as a counter reset, which `rate()` handles.
   */
  reset(): void {
    for (const entry of this.#series.values()) entry.counters = newCounters();
    this.#since = this.#now();
  }

  /**
   * Counts one event.
   *
   * @param event Any server event.
   */
  record = (event: ServerEvent): void => {
    if (event.type === "listening") return this.#listening(event);
    const series = this.#seriesOf(event);
    if (series === null) return;
    const c = series.counters;
    switch (event.type) {
      case "listener-closed":
        this.#close(series);
        break;
      case "faults-changed": {
        // The listener's spec changes with its faults: later events name the new one.
        const before = listenerKey(series.spec, series.port);
        if (this.#bySpec.get(before) === series) this.#bySpec.delete(before);
        series.spec = event.listener;
        this.#bySpec.set(listenerKey(event.listener, series.port), series);
        break;
      }
      case "connection-opened":
        this.#connections.set(event.id, series);
        series.open++;
        c.opened++;
        break;
      case "connection-closed":
        this.#connections.delete(event.id);
        series.open = Math.max(0, series.open - 1);
        tally(c.closed, event.reason);
        // Every byte received from the client, the service's or not.
        c.bytesIn += bytesArrived(event);
        c.bytesOut += event.bytesOut;
        c.durations.observe(event.durationMs / 1000);
        break;
      case "connection-refused":
        tally(c.refused, event.reason);
        break;
      case "datagram":
        c.datagrams++;
        c.bytesIn += event.bytesIn;
        break;
      case "reply":
        c.replies++;
        c.bytesOut += event.bytesOut;
        break;
      case "reply-suppressed":
        // A cut reply is also a `reply` event, which counts its bytes.
        tally(c.suppressed, event.reason);
        break;
      case "error":
        c.errors++;
        break;
      case "fault":
        tally(c.faults, event.fault);
        break;
      case "exec-started":
        c.execStarted++;
        break;
      case "exec-exited":
        tally(c.execExited, event.endedBy ?? "self");
        break;
      case "session-closed":
        tally(c.sessionsClosed, event.reason);
        c.sessionBytesUp += event.bytesIn;
        c.sessionBytesDown += event.bytesOut;
        break;
    }
  };

  #listening(event: Extract<ServerEvent, { type: "listening" }>): void {
    const key = seriesKey(event.transport, event.local, event.service);
    let entry = this.#series.get(key);
    if (entry === undefined) {
      entry = {
        key,
        spec: event.listener,
        port: event.local.port,
        labels: {
          transport: event.transport,
          local: formatSocketName(event.local),
          service: event.service,
        },
        up: true,
        open: 0,
        counters: newCounters(),
      };
      this.#series.set(key, entry);
    } else if (!entry.up) {
      // The same socket name and service again (a reload): its counts go on.
      entry.up = true;
      this.#closed.reopen(key);
    }
    entry.spec = event.listener;
    this.#bySpec.set(listenerKey(event.listener, entry.port), entry);
    this.#lastLocal = null;
  }

  /** Marks a listener closed, and lets the oldest closed series go past the bound. */
  #close(entry: Entry): void {
    if (!entry.up) return;
    entry.up = false;
    for (const key of this.#closed.close(entry.key)) {
      const old = this.#series.get(key);
      if (old === undefined || old.up) continue;
      this.#series.delete(old.key);
      const spec = listenerKey(old.spec, old.port);
      if (this.#bySpec.get(spec) === old) this.#bySpec.delete(spec);
      for (const [id, e] of this.#connections) if (e === old) this.#connections.delete(id);
    }
    this.#lastLocal = null;
  }

  /** The series an event concerns, or `null` when it concerns no listener seen listening. */
  #seriesOf(event: Exclude<ServerEvent, { type: "listening" }>): Entry | null {
    if (event.type === "connection-opened") {
      return this.#series.get(seriesKey(event.transport, event.bound, event.service)) ?? null;
    }
    if ("id" in event && event.id !== null) {
      const open = this.#connections.get(event.id);
      if (open !== undefined) return open;
    }
    const last = this.#lastSeries;
    if (
      event.local === this.#lastLocal && last !== null &&
      last.labels.service === event.service && last.labels.transport === event.transport
    ) {
      return last;
    }
    const named = this.#series.get(seriesKey(event.transport, event.local, event.service)) ??
      this.#bySpec.get(listenerKey(event.listener, event.local.port)) ?? null;
    if (named !== null) {
      this.#lastLocal = event.local;
      this.#lastSeries = named;
    }
    return named;
  }
}

/** A series' key: transport, socket name and service. */
function seriesKey(transport: string, local: SocketName, service: string): string {
  return `${transport} ${formatSocketName(local)} ${service}`;
}
