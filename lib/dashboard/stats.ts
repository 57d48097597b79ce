/**
 * Per-socket counters for the dashboard: a pure consumer of server events,
 * one row per transport and local socket name. Create one per server.
 *
 * @module
 */

import { bytesArrived } from "../events/bytes_arrived.ts";
import { listenerKey } from "../events/listener_key.ts";
import { KEEP_CLOSED, RecentlyClosed } from "../events/recently_closed.ts";
import type { ServerEvent } from "../events/event.ts";
import type { FaultCounts } from "../faults/kinds.ts";
import type { ServiceName } from "../services/names.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import type { SocketName, Transport } from "../spec/types.ts";
import { type Arrival, isArrival, RecentArrivals } from "./recent_arrivals.ts";

/** What a socket is doing: bound and serving, stopped, or never bound. */
export type SocketState = "listening" | "closed" | "failed";

/** One row of the socket table. */
export interface SocketRow {
  /** Transport and local socket name, such as `udp 127.0.0.2:1060`: the row's identity. */
  readonly key: string;
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The local socket name (for a failed row, the one that was asked for). */
  readonly local: SocketName;
  /** The service configured for it. */
  readonly service: ServiceName;
  /** The listen spec, as text. */
  readonly listener: string;
  /** Listening, closed, or failed to bind. */
  readonly state: SocketState;
  /** TCP connections open now; always 0 for UDP. */
  readonly open: number;
  /** Arrivals so far: connections accepted (TCP) or datagrams received (UDP). */
  readonly total: number;
  /**
   * Bytes received: from closed connections (TCP: every byte that arrived,
   * those muxd drained or faults dropped too) or from every datagram (UDP).
   */
  readonly bytesIn: number;
  /** Bytes sent: to closed connections (TCP) or in replies (UDP). */
  readonly bytesOut: number;
  /** Connections or datagrams that ended in an error. */
  readonly errors: number;
  /** TCP connections turned away by a limit or an access rule before the service saw them. */
  readonly refused: number;
  /** UDP replies a guard suppressed or cut (and datagrams it dropped unanswered). */
  readonly suppressed: number;
  /** The socket name of the last peer that arrived, if any. */
  readonly lastRemote: SocketName | null;
  /** When the last arrival came, in milliseconds since the Unix epoch. */
  readonly lastArrival: number | null;
  /** Why it could not be bound, for a failed row. */
  readonly reason: string | null;
  /**
   * The faults it applies now, as a spec writes them (`?drop=0.5`), and the
   * seed of their random choices; `null` for none.
   */
  readonly faults: { readonly text: string; readonly seed: number } | null;
  /** Faults that hit its connections or datagrams so far, by kind (a reload keeps counting). */
  readonly faultCounts: FaultCounts;
}

/** A listener that could not be bound, with the explanation. */
export interface BindFailure {
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The socket name that was asked for. */
  readonly local: SocketName;
  /** The listen spec, as text. */
  readonly listener: string;
  /** The service it would have run. */
  readonly service: ServiceName;
  /** The OS error's code, such as `EADDRINUSE`, or `null`. */
  readonly code: string | null;
  /** What went wrong, in plain words. */
  readonly reason: string;
  /** When it was reported, in milliseconds since the Unix epoch. */
  readonly time: number;
}

/** Totals over every socket. */
export interface StatsSummary {
  /** When these counters started, in milliseconds since the Unix epoch. */
  readonly since: number;
  /** Rows in each state. */
  readonly sockets: Readonly<Record<SocketState, number>>;
  /** TCP connections open now. */
  readonly open: number;
  /** TCP connections accepted. */
  readonly connections: number;
  /** UDP datagrams received. */
  readonly datagrams: number;
  /** TCP connections refused before their service saw them. */
  readonly refused: number;
  /** UDP replies suppressed or cut by a guard. */
  readonly suppressed: number;
  /** Bytes received on every socket. */
  readonly bytesIn: number;
  /** Bytes sent on every socket. */
  readonly bytesOut: number;
  /** The faults: configured, and those that hit connections or datagrams. */
  readonly faults: FaultsSummary;
  /** How many events of each type were seen, including types this module does not know. */
  readonly events: Readonly<Record<string, number>>;
}

/** The faults of every socket, in {@linkcode StatsSummary}. */
export interface FaultsSummary {
  /** Faults that hit, by kind, over every socket. */
  readonly counts: FaultCounts;
  /** Each socket that has faults now or was hit by some, in table order. */
  readonly sockets: readonly {
    /** The row's key, such as `udp 127.0.0.1:1060`. */
    readonly key: string;
    /** Its faults now (text and seed), or `null`. */
    readonly faults: { readonly text: string; readonly seed: number } | null;
    /** Faults that hit it, by kind. */
    readonly counts: FaultCounts;
  }[];
}

type MutableRow = { -readonly [K in keyof SocketRow]: SocketRow[K] };

/**
 * The key of a socket: its transport and local socket name.
 *
 * @param transport `tcp` or `udp`.
 * @param local The local socket name.
 * @returns Such as `udp 127.0.0.2:1060` or `tcp [::1]:7007`.
 *
 * @example
 * ```ts
 * import { socketKey } from "./stats.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(socketKey("tcp", { address: "::1", port: 7007 }), "tcp [::1]:7007");
 * ```
 */
export function socketKey(transport: Transport, local: SocketName): string {
  return `${transport} ${formatSocketName(local)}`;
}

/**
 * Counters per socket, fed with {@linkcode DashboardStats.record} from the
 * event stream. Subscribe it before `start()` so that the `listening` and
 * `bind-failed` events of start-up are counted too.
 *
 * Each event is counted on the row of the socket that received it. On a
 * wildcard TCP listener a connection's `local` name is the address it was
 * sent to (`127.0.0.2:7000`), not the listener's (`0.0.0.0:7000`): the
 * connection is counted on the listener's row, through `bound` and the
 * connection's id.
 *
 * @example
 * ```ts
 * import { EventHub } from "../events/mod.ts";
 * import { DashboardStats } from "./stats.ts";
 * import assert from "node:assert/strict";
 *
 * const hub = new EventHub();
 * const stats = new DashboardStats();
 * hub.subscribe(stats.record);
 * hub.emit({
 *   type: "listening", time: 0, transport: "udp", listener: "udp://127.0.0.2:1060=echo",
 *   service: "echo", local: { address: "127.0.0.2", port: 1060 },
 * });
 * assert.equal(stats.sockets()[0].state, "listening");
 * ```
 */
export class DashboardStats {
  #rows = new Map<string, MutableRow>();
  /**
   * The row of each bound listen spec and port ({@linkcode listenerKey}), for
   * events whose `local` is no row's name.
   */
  #byListener = new Map<string, string>();
  /** The row of each open TCP connection, by connection id. */
  #connections = new Map<number, string>();
  /** Rows of closed listeners, the most recent. */
  #closed: RecentlyClosed;
  /** Rows of names that could not be bound, the most recent. */
  #failed: RecentlyClosed;
  /** The latest bind failures, at most `#keepFailures`, oldest first. */
  #failures: BindFailure[] = [];
  #keepFailures: number;
  #events: Record<string, number> = {};
  #since: number;
  #arrivals: RecentArrivals;

  /**
   * Creates empty counters.
   *
   * @param since When counting starts. @default Date.now()
   * @param keepArrivals How many of the latest arrivals {@linkcode DashboardStats.arrivals}
   *   lists. @default 100
   * @param keepClosed How many closed listeners keep their rows, the most recently closed;
   *   as many names that could not be bound keep theirs, and as many bind failures are
   *   listed, the latest. @default {KEEP_CLOSED}
   */
  constructor(
    since: number = Date.now(),
    keepArrivals?: number,
    keepClosed?: number,
  ) {
    this.#since = since;
    this.#arrivals = new RecentArrivals(keepArrivals);
    this.#closed = new RecentlyClosed(keepClosed);
    this.#failed = new RecentlyClosed(keepClosed);
    this.#keepFailures = keepClosed ?? KEEP_CLOSED;
  }

  /**
   * Counts one event. An event of a type this module does not know is
   * counted in the summary and changes no row.
   *
   * @param event Any server event.
   * @returns The row the event changed, or `null` when it changed none.
   */
  record = (event: ServerEvent): SocketRow | null => {
    this.#events[event.type] = (this.#events[event.type] ?? 0) + 1;
    if (isArrival(event)) this.#arrivals.record(event);
    const row = this.#apply(event);
    return row ? copy(row) : null;
  };

  #apply(event: ServerEvent): MutableRow | null {
    if (event.type === "listening") {
      // Replaces a failed row for the same name: another spec bound it.
      const key = socketKey(event.transport, event.local);
      const fresh = newRow(key, event, "listening");
      this.#rows.set(key, fresh);
      this.#closed.reopen(key);
      this.#failed.reopen(key);
      this.#byListener.set(listenerKey(event.listener, event.local.port), key);
      return fresh;
    }
    if (event.type === "bind-failed") {
      const { transport, local, listener, service, code, reason, time } = event;
      this.#failures.push({ transport, local, listener, service, code, reason, time });
      if (this.#failures.length > this.#keepFailures) this.#failures.shift();
      const key = socketKey(transport, local);
      // A name that another listener did bind keeps its row.
      if (this.#rows.has(key)) return null;
      const failed = { ...newRow(key, event, "failed"), reason };
      this.#rows.set(key, failed);
      // Specs that fail to bind, added through the control API by the
      // thousand, leave no more rows than a bound.
      for (const old of this.#failed.close(key)) {
        if (this.#rows.get(old)?.state === "failed") this.#rows.delete(old);
      }
      return failed;
    }
    const row = this.#rowOf(event);
    if (!row) return null;
    switch (event.type) {
      case "listener-closed":
        row.state = "closed";
        this.#forgetOldClosed(row.key);
        break;
      case "connection-opened":
        this.#connections.set(event.id, row.key);
        row.open++;
        row.total++;
        row.lastRemote = event.remote;
        row.lastArrival = event.time;
        break;
      case "datagram":
        row.total++;
        row.bytesIn += event.bytesIn;
        row.lastRemote = event.remote;
        row.lastArrival = event.time;
        break;
      case "connection-closed":
        this.#connections.delete(event.id);
        row.open = Math.max(0, row.open - 1);
        // What arrived on the socket, as metrics count it: the service's
        // bytes and those muxd drained or faults dropped.
        row.bytesIn += bytesArrived(event);
        row.bytesOut += event.bytesOut;
        break;
      case "connection-refused":
        row.refused++;
        break;
      case "reply":
        row.bytesOut += event.bytesOut;
        break;
      case "reply-suppressed":
        // A cut reply is also a `reply` event, which counts its bytes.
        row.suppressed++;
        break;
      case "error":
        row.errors++;
        break;
      case "fault":
        row.faultCounts[event.fault] = (row.faultCounts[event.fault] ?? 0) + 1;
        break;
      case "faults-changed":
        // The listener's spec changes with its faults: later events name the new one.
        this.#byListener.set(listenerKey(event.listener, event.local.port), row.key);
        row.listener = event.listener;
        row.faults = event.seed === null ? null : { text: event.after, seed: event.seed };
        break;
      default:
        return null;
    }
    return row;
  }

  /** Counts a row as closed, and lets the oldest closed rows go past the bound. */
  #forgetOldClosed(key: string): void {
    for (const old of this.#closed.close(key)) {
      this.#rows.delete(old);
      for (const [listener, k] of this.#byListener) {
        if (k === old) this.#byListener.delete(listener);
      }
      for (const [id, k] of this.#connections) if (k === old) this.#connections.delete(id);
    }
  }

  /** The row of the socket an event concerns, or `undefined` when it has none. */
  #rowOf(event: ServerEvent): MutableRow | undefined {
    if (event.type === "connection-opened") {
      return this.#rows.get(socketKey(event.transport, event.bound));
    }
    if (
      (event.type === "connection-closed" || event.type === "error" || event.type === "fault") &&
      event.id !== null
    ) {
      const key = this.#connections.get(event.id);
      if (key !== undefined) return this.#rows.get(key);
    }
    const named = this.#rows.get(socketKey(event.transport, event.local));
    if (named) return named;
    const key = this.#byListener.get(listenerKey(event.listener, event.local.port));
    return key === undefined ? undefined : this.#rows.get(key);
  }

  /**
   * Every row: bound sockets in the order they were bound, then the names
   * that could not be bound.
   *
   * @returns Copies of the rows.
   */
  sockets(): SocketRow[] {
    const rows = [...this.#rows.values()];
    return [
      ...rows.filter((r) => r.state !== "failed"),
      ...rows.filter((r) => r.state === "failed"),
    ].map(copy);
  }

  /**
   * The latest arrivals (connections accepted, datagrams received), at most
   * the number given to the constructor, for a page opened after them.
   *
   * @returns The arrival events, oldest first.
   */
  arrivals(): Arrival[] {
    return this.#arrivals.list();
  }

  /**
   * The latest bind failures (as many as closed listeners keep rows), each
   * with its explanation, in the order reported. A failure is listed here
   * even when its name has a listening row (two specs asked for the same
   * socket name).
   *
   * @returns The failures.
   */
  failures(): BindFailure[] {
    return [...this.#failures];
  }

  /**
   * Sets every counter back to zero (`POST /v1/reset` of the control API):
   * per socket the arrivals, bytes, errors, refusals, suppressed replies and
   * fault counts, and the event counts. What is open now, the states, the
   * faults in force, the bind failures and the latest arrivals stay.
   */
  resetCounters(): void {
    this.#since = Date.now();
    this.#events = {};
    for (const row of this.#rows.values()) {
      row.total = 0;
      row.bytesIn = 0;
      row.bytesOut = 0;
      row.errors = 0;
      row.refused = 0;
      row.suppressed = 0;
      row.faultCounts = {};
    }
  }

  /**
   * Totals over every socket.
   *
   * @returns The summary.
   */
  summary(): StatsSummary {
    const rows = [...this.#rows.values()];
    const sum = (pick: (r: MutableRow) => number, of = rows) => of.reduce((a, r) => a + pick(r), 0);
    const tcp = rows.filter((r) => r.transport === "tcp");
    const udp = rows.filter((r) => r.transport === "udp");
    return {
      since: this.#since,
      sockets: {
        listening: rows.filter((r) => r.state === "listening").length,
        closed: rows.filter((r) => r.state === "closed").length,
        failed: rows.filter((r) => r.state === "failed").length,
      },
      open: sum((r) => r.open),
      connections: sum((r) => r.total, tcp),
      datagrams: sum((r) => r.total, udp),
      refused: sum((r) => r.refused),
      suppressed: sum((r) => r.suppressed),
      bytesIn: sum((r) => r.bytesIn),
      bytesOut: sum((r) => r.bytesOut),
      faults: {
        counts: totalFaults(rows),
        sockets: this.sockets()
          .filter((r) => r.faults !== null || Object.keys(r.faultCounts).length > 0)
          .map((r) => ({ key: r.key, faults: r.faults, counts: r.faultCounts })),
      },
      events: { ...this.#events },
    };
  }
}

/** A row as callers get it: a copy that later events do not change. */
function copy(row: MutableRow): SocketRow {
  return { ...row, faultCounts: { ...row.faultCounts } };
}

/** The fault counts of every row, added up by kind. */
function totalFaults(rows: readonly MutableRow[]): FaultCounts {
  const total: FaultCounts = {};
  for (const row of rows) {
    for (const [kind, n] of Object.entries(row.faultCounts) as [keyof FaultCounts, number][]) {
      total[kind] = (total[kind] ?? 0) + n;
    }
  }
  return total;
}

function newRow(
  key: string,
  event: Extract<ServerEvent, { type: "listening" | "bind-failed" }>,
  state: SocketState,
): MutableRow {
  return {
    key,
    transport: event.transport,
    local: event.local,
    service: event.service,
    listener: event.listener,
    state,
    open: 0,
    total: 0,
    bytesIn: 0,
    bytesOut: 0,
    errors: 0,
    refused: 0,
    suppressed: 0,
    lastRemote: null,
    lastArrival: null,
    reason: null,
    faults: event.type === "listening" ? event.faults ?? null : null,
    faultCounts: {},
  };
}
