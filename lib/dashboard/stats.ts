/**
 * Per-socket counters for the dashboard: a pure consumer of server events,
 * one row per transport and local socket name. Create one per server.
 *
 * @module
 */

import type { ServerEvent } from "../events/event.ts";
import type { ServiceName } from "../services/names.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import type { SocketName, Transport } from "../spec/types.ts";

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
  /** Bytes received: from closed connections (TCP) or from every datagram (UDP). */
  readonly bytesIn: number;
  /** Bytes sent: to closed connections (TCP) or in replies (UDP). */
  readonly bytesOut: number;
  /** Connections or datagrams that ended in an error. */
  readonly errors: number;
  /** The socket name of the last peer that arrived, if any. */
  readonly lastRemote: SocketName | null;
  /** When the last arrival came, in milliseconds since the Unix epoch. */
  readonly lastArrival: number | null;
  /** Why it could not be bound, for a failed row. */
  readonly reason: string | null;
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
  /** Bytes received on every socket. */
  readonly bytesIn: number;
  /** Bytes sent on every socket. */
  readonly bytesOut: number;
  /** How many events of each type were seen, including types this module does not know. */
  readonly events: Readonly<Record<string, number>>;
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
 * socketKey("tcp", { address: "::1", port: 7007 }); // "tcp [::1]:7007"
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
 * @example
 * ```ts
 * import { EventHub } from "../events/mod.ts";
 * import { DashboardStats } from "./stats.ts";
 * const hub = new EventHub();
 * const stats = new DashboardStats();
 * hub.subscribe(stats.record);
 * hub.emit({
 *   type: "listening", time: 0, transport: "udp", listener: "udp://127.0.0.2:1060=echo",
 *   service: "echo", local: { address: "127.0.0.2", port: 1060 },
 * });
 * stats.sockets()[0].state; // "listening"
 * ```
 */
export class DashboardStats {
  #rows = new Map<string, MutableRow>();
  #failures: BindFailure[] = [];
  #events: Record<string, number> = {};
  #since: number;

  /**
   * Creates empty counters.
   *
   * @param since When counting starts. @default Date.now()
   */
  constructor(since: number = Date.now()) {
    this.#since = since;
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
    const row = this.#apply(event);
    return row ? { ...row } : null;
  };

  #apply(event: ServerEvent): MutableRow | null {
    const key = socketKey(event.transport, event.local);
    const row = this.#rows.get(key);
    switch (event.type) {
      case "listening": {
        // Replaces a failed row for the same name: another spec bound it.
        const fresh = newRow(key, event, "listening");
        this.#rows.set(key, fresh);
        return fresh;
      }
      case "bind-failed": {
        const { transport, local, listener, service, code, reason, time } = event;
        this.#failures.push({ transport, local, listener, service, code, reason, time });
        // A name that another listener did bind keeps its row.
        if (row) return null;
        const failed = { ...newRow(key, event, "failed"), reason };
        this.#rows.set(key, failed);
        return failed;
      }
      case "listener-closed":
        if (!row) return null;
        row.state = "closed";
        return row;
      case "connection-opened":
      case "datagram":
        if (!row) return null;
        row.total++;
        if (event.type === "connection-opened") row.open++;
        else row.bytesIn += event.bytesIn;
        row.lastRemote = event.remote;
        row.lastArrival = event.time;
        return row;
      case "connection-closed":
        if (!row) return null;
        row.open = Math.max(0, row.open - 1);
        row.bytesIn += event.bytesIn;
        row.bytesOut += event.bytesOut;
        return row;
      case "reply":
        if (!row) return null;
        row.bytesOut += event.bytesOut;
        return row;
      case "error":
        if (!row) return null;
        row.errors++;
        return row;
      default:
        return null;
    }
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
    ].map((r) => ({ ...r }));
  }

  /**
   * Every bind failure, with its explanation, in the order reported. A
   * failure is listed here even when its name has a listening row (two
   * specs asked for the same socket name).
   *
   * @returns The failures.
   */
  failures(): BindFailure[] {
    return [...this.#failures];
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
      bytesIn: sum((r) => r.bytesIn),
      bytesOut: sum((r) => r.bytesOut),
      events: { ...this.#events },
    };
  }
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
    lastRemote: null,
    lastArrival: null,
    reason: null,
  };
}
