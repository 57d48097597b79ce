/**
 * What runs behind the ports now, for the dashboard: the programs `exec`
 * runs and the relays `forward` holds open (a TCP connection to the
 * upstream, or a UDP session), kept from the event stream alone, with the
 * latest ones that ended. Live byte counts come from a read of the running
 * server's counters now and then ({@linkcode LiveTable.refresh}), never
 * from an event per chunk. Create one per server.
 *
 * @module
 */

import { bytesArrived } from "../events/bytes_arrived.ts";
import type { ServerEvent } from "../events/event.ts";
import { END_CAUSE_TEXT } from "../events/format_exec.ts";
import type { LiveTraffic } from "../dispatch/live_traffic.ts";
import type { SessionCounts } from "../services/relay.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import type { SocketName, Transport } from "../spec/types.ts";

/** What every row of the live table carries. */
export interface LiveRowBase {
  /** The row's identity: `exec 812`, `tcp #3` or `udp 127.0.0.1:7253 <- 127.0.0.1:40000`. */
  readonly key: string;
  /** The transport the client came on. */
  readonly transport: Transport;
  /** The listen spec, as text. */
  readonly listener: string;
  /** The local socket name the client reached. */
  readonly local: SocketName;
  /** The client's socket name. */
  readonly remote: SocketName;
  /** The TCP connection's id; `null` for UDP. */
  readonly id: number | null;
  /** When it started, in milliseconds since the Unix epoch. */
  readonly started: number;
}

/** A program `exec` runs now. */
export interface ProcessRow extends LiveRowBase {
  /** The row's kind. */
  readonly kind: "process";
  /** Its process id. */
  readonly pid: number;
  /** The program, as `run` names it. */
  readonly program: string;
}

/** A relay `forward` holds open now: a TCP connection joined to the upstream, or a UDP session. */
export interface RelayRow extends LiveRowBase {
  /** The row's kind. */
  readonly kind: "relay";
  /** The upstream's socket name. */
  readonly upstream: SocketName;
  /** muxd's own socket name on the upstream leg. */
  readonly from: SocketName;
  /**
   * Bytes that arrived from the client so far: sent upstream, but for any
   * muxd drained or a fault dropped.
   */
  readonly bytesIn: number;
  /** Bytes to the client so far (from the upstream). */
  readonly bytesOut: number;
  /** For UDP, datagrams from the client so far; `null` for TCP. */
  readonly datagramsIn: number | null;
  /** For UDP, datagrams from the upstream so far; `null` for TCP. */
  readonly datagramsOut: number | null;
}

/** A row of the live table. */
export type LiveRow = ProcessRow | RelayRow;

/** A row that ended, with how. */
export interface EndedRow {
  /** The row as it was last, with its final byte counts. */
  readonly row: LiveRow;
  /** When it ended, in milliseconds since the Unix epoch. */
  readonly ended: number;
  /** How long it ran, in milliseconds. */
  readonly durationMs: number;
  /**
   * How it ended, in plain words: `exited with status 0`,
   * `killed by SIGTERM (ended by muxd: it ran for max-seconds)`, `closed (reset)`, `idle`.
   */
  readonly how: string;
}

/** What one event changed in the live table. */
export interface LiveChange {
  /** The row's key. */
  readonly key: string;
  /** The row as it is now, or `null` when it ended. */
  readonly row: LiveRow | null;
  /** For a row that ended: how. */
  readonly ended: EndedRow | null;
}

/** The live byte counts of one relay, from {@linkcode LiveTable.refresh}. */
export interface TrafficUpdate {
  /** The relay's key. */
  readonly key: string;
  /** Bytes from the client so far. */
  readonly bytesIn: number;
  /** Bytes to the client so far. */
  readonly bytesOut: number;
  /** For UDP, datagrams from the client so far; `null` for TCP. */
  readonly datagramsIn: number | null;
  /** For UDP, datagrams from the upstream so far; `null` for TCP. */
  readonly datagramsOut: number | null;
}

/** The whole live table, for a page that opens. */
export interface LiveState {
  /** The programs running now, oldest first. */
  readonly processes: readonly ProcessRow[];
  /** The relays open now, oldest first. */
  readonly relays: readonly RelayRow[];
  /** The latest rows that ended, oldest first. */
  readonly ended: readonly EndedRow[];
  /** The server's clock when this was taken, so a page can tick running times from `started`. */
  readonly now: number;
}

/** How many ended rows a live table keeps. */
export const ENDED_ROWS = 20;

type MutableRelay = { -readonly [K in keyof RelayRow]: RelayRow[K] };

/**
 * The key of a UDP relay session: its listening socket and its client.
 *
 * @param local The listening socket's name.
 * @param client The client's socket name.
 * @returns Such as `udp 127.0.0.1:7253 <- 127.0.0.1:40000`.
 */
export function sessionKey(local: SocketName, client: SocketName): string {
  return `udp ${formatSocketName(local)} <- ${formatSocketName(client)}`;
}

/**
 * The programs and relays running now, fed with {@linkcode LiveTable.record}
 * from the event stream:
 *
 * - `exec-started` adds a program, `exec-exited` ends it;
 * - `upstream-connected` adds a relay (over TCP, by connection id; over UDP,
 *   a session, by listening socket and client), `connection-closed` and
 *   `session-closed` end it with their final byte counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LiveTable } from "./live_table.ts";
 *
 * const live = new LiveTable();
 * const conversation = {
 *   time: 1000, transport: "tcp", listener: "tcp://127.0.0.1:7300=exec?run=cat",
 *   service: "exec", local: { address: "127.0.0.1", port: 7300 },
 *   remote: { address: "127.0.0.1", port: 40000 }, id: 1,
 * } as const;
 * live.record({ ...conversation, type: "exec-started", pid: 812, program: "cat" });
 * assert.equal(live.state(2000).processes[0].pid, 812);
 * ```
 */
export class LiveTable {
  #processes = new Map<string, ProcessRow>();
  #relays = new Map<string, MutableRelay>();
  /** The keys of TCP relays by connection id, for `connection-closed` and live counts. */
  #tcp = new Map<number, string>();
  #ended: EndedRow[] = [];
  #keepEnded: number;

  /**
   * Creates an empty table.
   *
   * @param keepEnded How many ended rows it keeps. @default 20
   */
  constructor(keepEnded: number = ENDED_ROWS) {
    this.#keepEnded = keepEnded;
  }

  /** How many programs run now. */
  get processes(): number {
    return this.#processes.size;
  }

  /** How many relays are open now. */
  get relays(): number {
    return this.#relays.size;
  }

  /**
   * Applies one event.
   *
   * @param event Any server event.
   * @returns What changed, or `null` when the event changed nothing here.
   */
  record = (event: ServerEvent): LiveChange | null => {
    switch (event.type) {
      case "exec-started": {
        const row: ProcessRow = {
          kind: "process",
          key: `exec ${event.pid}`,
          transport: event.transport,
          listener: event.listener,
          local: event.local,
          remote: event.remote,
          id: event.id,
          started: event.time,
          pid: event.pid,
          program: event.program,
        };
        this.#processes.set(row.key, row);
        return { key: row.key, row, ended: null };
      }
      case "exec-exited": {
        const key = `exec ${event.pid}`;
        const row = this.#processes.get(key);
        if (row === undefined) return null;
        this.#processes.delete(key);
        const how =
          (event.signal === null
            ? `exited with status ${event.code}`
            : `killed by ${event.signal}`) +
          (event.endedBy === null ? "" : ` (${END_CAUSE_TEXT[event.endedBy]})`);
        return this.#end(row, event.time, event.runMs, how);
      }
      case "upstream-connected": {
        const key = event.id === null ? sessionKey(event.local, event.remote) : `tcp #${event.id}`;
        const udp = event.transport === "udp";
        const row: MutableRelay = {
          kind: "relay",
          key,
          transport: event.transport,
          listener: event.listener,
          local: event.local,
          remote: event.remote,
          id: event.id,
          started: event.time,
          upstream: event.upstream,
          from: event.from,
          bytesIn: 0,
          bytesOut: 0,
          datagramsIn: udp ? 0 : null,
          datagramsOut: udp ? 0 : null,
        };
        this.#relays.set(key, row);
        if (event.id !== null) this.#tcp.set(event.id, key);
        return { key, row: { ...row }, ended: null };
      }
      case "connection-closed": {
        const key = this.#tcp.get(event.id);
        if (key === undefined) return null;
        this.#tcp.delete(event.id);
        const row = this.#relays.get(key)!;
        this.#relays.delete(key);
        // What arrived, as the live count showed while it was open.
        row.bytesIn = bytesArrived(event);
        row.bytesOut = event.bytesOut;
        const how = event.reason === "done" ? "closed" : `closed (${event.reason})`;
        return this.#end({ ...row }, event.time, event.durationMs, how);
      }
      case "session-closed": {
        const key = sessionKey(event.local, event.remote);
        const row = this.#relays.get(key);
        if (row === undefined) return null;
        this.#relays.delete(key);
        Object.assign(row, {
          bytesIn: event.bytesIn,
          bytesOut: event.bytesOut,
          datagramsIn: event.datagramsIn,
          datagramsOut: event.datagramsOut,
        });
        return this.#end({ ...row }, event.time, event.durationMs, event.reason);
      }
      default:
        return null;
    }
  };

  /**
   * Reads the live byte counts of every open relay from the running server.
   * It walks the open connections and sessions once: call it now and then,
   * not per event.
   *
   * @param traffic The running server's counters.
   * @returns The relays whose counts changed since the last refresh.
   */
  refresh(traffic: LiveTraffic): TrafficUpdate[] {
    if (this.#relays.size === 0) return [];
    const changed: TrafficUpdate[] = [];
    const update = (key: string | undefined, counts: SessionCounts) => {
      const row = key === undefined ? undefined : this.#relays.get(key);
      if (row === undefined) return;
      if (row.bytesIn === counts.bytesIn && row.bytesOut === counts.bytesOut) return;
      row.bytesIn = counts.bytesIn;
      row.bytesOut = counts.bytesOut;
      if (row.transport === "udp") {
        row.datagramsIn = counts.datagramsIn;
        row.datagramsOut = counts.datagramsOut;
      }
      const { key: k, bytesIn, bytesOut, datagramsIn, datagramsOut } = row;
      changed.push({ key: k, bytesIn, bytesOut, datagramsIn, datagramsOut });
    };
    if (this.#tcp.size > 0) {
      traffic.eachConnection((id, bytesIn, bytesOut) =>
        update(this.#tcp.get(id), { bytesIn, bytesOut, datagramsIn: 0, datagramsOut: 0 })
      );
    }
    if (this.#relays.size > this.#tcp.size) {
      traffic.eachSession((local, client, counts) => update(sessionKey(local, client), counts));
    }
    return changed;
  }

  /**
   * The whole table.
   *
   * @param now The server's clock. @default Date.now()
   * @returns Copies of the rows.
   */
  state(now: number = Date.now()): LiveState {
    return {
      processes: [...this.#processes.values()],
      relays: [...this.#relays.values()].map((r) => ({ ...r })),
      ended: [...this.#ended],
      now,
    };
  }

  #end(row: LiveRow, time: number, durationMs: number, how: string): LiveChange {
    const ended: EndedRow = { row, ended: time, durationMs, how };
    if (this.#keepEnded > 0) {
      this.#ended.push(ended);
      if (this.#ended.length > this.#keepEnded) this.#ended.shift();
    }
    return { key: row.key, row: null, ended };
  }
}
