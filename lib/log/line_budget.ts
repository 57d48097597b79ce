/**
 * How many lines the log writes about one socket name's connections and
 * datagrams: at most a few a second each. A load test from 127.0.0.1 makes
 * thousands of connections a second, each with two lines, and a UDP one
 * a hundred thousand datagrams; a hostile client that a listener refuses
 * makes as many warnings. Nobody reads that many lines, and writing them
 * costs a server more than serving. Past the budget, a line is not written
 * but counted by its kind (and its reason: `denied`, `rate`), and one line a
 * second per socket name says how many were held back: nothing goes unsaid.
 * The lines at info and debug and the warnings have budgets of their own, so
 * that a load test's lines never hold back a refusal's; errors are never
 * held back.
 *
 * @module
 */

import type { EventType, ServerEvent } from "../events/event.ts";
import type { ServiceName } from "../services/names.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import type { SocketName, Transport } from "../spec/types.ts";
import { summaryLog } from "./summary_log.ts";

/** Lines a second about one socket name, unless `--log-lines` says otherwise. */
export const DEFAULT_LOG_LINES = 100;

/** How long one budget lasts, in ms. */
export const BUDGET_MS = 1000;

/** A kind of line a budget counts: its key in `counts`, and its words for one and for more. */
interface Kind {
  /** The event's type, with its reason after a colon where it has one: `connection-refused:denied`. */
  readonly key: string;
  /** Where it comes in a summary line. */
  readonly order: number;
  /** Its words after a count of 1: `connection refused (denied)`. */
  readonly one: string;
  /** Its words after any other count: `connections refused (denied)`. */
  readonly more: string;
}

/**
 * A type of event whose line counts against a budget: those of one
 * connection, datagram, program or relay session, that it went as it
 * should or went away before muxd accepted it (at info or debug) or that
 * it was refused (a warning).
 */
export type BudgetedType = Extract<
  EventType,
  | "connection-opened"
  | "connection-closed"
  | "connection-aborted"
  | "datagram"
  | "reply"
  | "upstream-connected"
  | "session-closed"
  | "exec-started"
  | "exec-exited"
  | "fault"
  | "connection-refused"
  | "reply-suppressed"
  | "session-refused"
  | "exec-refused"
  | "exec-stderr"
>;

/**
 * The words of each budgeted type in a summary line, in its order: for one,
 * then for more; a reason follows in brackets.
 */
const KIND_WORDS: Readonly<Record<BudgetedType, readonly [string, string]>> = {
  "connection-opened": ["connection opened", "connections opened"],
  "connection-closed": ["connection closed", "connections closed"],
  "connection-aborted": ["connection reset before accept", "connections reset before accept"],
  "datagram": ["datagram", "datagrams"],
  "reply": ["reply", "replies"],
  "upstream-connected": ["upstream connection", "upstream connections"],
  "session-closed": ["relay session closed", "relay sessions closed"],
  "exec-started": ["program started", "programs started"],
  "exec-exited": ["program exited", "programs exited"],
  "fault": ["fault", "faults"],
  "connection-refused": ["connection refused", "connections refused"],
  "reply-suppressed": ["datagram not answered in full", "datagrams not answered in full"],
  "session-refused": ["relay session refused", "relay sessions refused"],
  "exec-refused": ["program not run", "programs not run"],
  "exec-stderr": ["program's standard error line", "programs' standard error lines"],
};

/** The kinds without a reason, by type. */
const KINDS: ReadonlyMap<EventType, Kind> = new Map(
  Object.entries(KIND_WORDS).map(([type, [one, more]], order) => [
    type as BudgetedType,
    { key: type, order, one, more },
  ]),
);

/** An event whose line counts against a budget: see {@linkcode isBudgeted}. */
export type BudgetedEvent = Extract<ServerEvent, { readonly type: BudgetedType }>;

/**
 * Whether an event's line counts against a budget.
 *
 * @param event The event.
 * @returns `true` for the lines of one connection, datagram, program or relay session.
 */
export function isBudgeted(event: ServerEvent): event is BudgetedEvent {
  return KINDS.has(event.type);
}

/** What one summary line says: the lines about a socket name held back over a while. */
export interface HeldLines {
  /** The transport. */
  readonly transport: Transport;
  /** The socket name the connections or datagrams arrived on. */
  readonly local: SocketName;
  /** Its service. */
  readonly service: ServiceName;
  /** How long the counts cover, in seconds (one decimal). */
  readonly seconds: number;
  /** How many lines were held back, in all. */
  readonly held: number;
  /**
   * How many of each type of event, by type, or by type and reason where the
   * event has one: `{ "connection-opened": 11956, "connection-closed": 11956 }`, and
   * in a warning `{ "connection-refused:denied": 3 }` (the warnings have a budget of their own).
   */
  readonly counts: Readonly<Record<string, number>>;
  /**
   * The line: `tcp 127.0.0.1:7007 -> echo: 23,912 lines not written in the last 1.0 s,
   * past 100 a second (--log-lines): 11,956 connections opened, 11,956 connections closed`.
   */
  readonly text: string;
}

/** Options for {@linkcode LineBudget}. */
export interface LineBudgetOptions {
  /** How long one budget lasts, in ms; it allows `perSecond` scaled to it. @default {BUDGET_MS} */
  readonly everyMs?: number;
  /** The clock, in ms. @default performance.now */
  readonly now?: () => number;
  /** What it counts, for one and for more, in its summary lines. @default ["line", "lines"] */
  readonly noun?: readonly [string, string];
}

interface Account {
  readonly transport: Transport;
  readonly local: SocketName;
  readonly service: ServiceName;
  written: number;
  held: number;
  readonly counts: Map<Kind, number>;
}

/**
 * The budgets of the socket names that connections and datagrams arrive
 * on. A budget starts with the first line about any of them and lasts
 * {@linkcode BUDGET_MS}; at its end, a line per socket name that went past
 * it says what was held back, and every budget starts again with the next
 * line. Its timer runs only while lines come.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineBudget } from "./line_budget.ts";
 *
 * const summaries: string[] = [];
 * using budget = new LineBudget(2, (held) => summaries.push(held.text));
 * const event = {
 *   type: "datagram", time: 0, transport: "udp", listener: "udp://127.0.0.1:7007=echo",
 *   service: "echo", local: { address: "127.0.0.1", port: 7007 },
 *   remote: { address: "127.0.0.1", port: 40000 }, bytesIn: 5,
 * } as const;
 * assert.deepEqual([1, 2, 3, 4].map(() => budget.take(event)), [true, true, false, false]);
 * budget.close();
 * assert.match(summaries[0], /^udp 127\.0\.0\.1:7007 -> echo: 2 lines not written in the last [\d.]+ s/);
 * ```
 */
export class LineBudget implements Disposable {
  readonly #noun: readonly [string, string];
  readonly #perSecond: number;
  readonly #perBudget: number;
  readonly #write: (held: HeldLines) => void;
  readonly #everyMs: number;
  readonly #now: () => number;
  /** The accounts of this budget, by transport, then address, then port. */
  readonly #accounts = {
    tcp: new Map<string, Map<number, Account>>(),
    udp: new Map<string, Map<number, Account>>(),
  };
  /** The kinds with a reason, by type, then reason: made once each. */
  readonly #reasoned = new Map<EventType, Map<string, Kind>>();
  #since = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Creates the budgets; nothing is held back until a socket name's lines go past it.
   *
   * @param perSecond Lines a second about one socket name, at most; 0 for no limit.
   * @param write Writes one summary line.
   * @param options How long a budget lasts, the clock, and what it counts.
   */
  constructor(
    perSecond: number,
    write: (held: HeldLines) => void,
    options: LineBudgetOptions = {},
  ) {
    const everyMs = options.everyMs ?? BUDGET_MS;
    this.#noun = options.noun ?? ["line", "lines"];
    this.#perSecond = perSecond;
    this.#perBudget = perSecond === 0
      ? Infinity
      : Math.max(1, Math.round(perSecond * everyMs / 1000));
    this.#write = write;
    this.#everyMs = everyMs;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether its timer runs: from a line until its budget ends. */
  get ticking(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Takes one line from the budget of the socket name an event arrived on.
   *
   * @param event An event whose type {@linkcode isBudgeted}.
   * @returns `true` if its line may be written; `false` if it is held back (and counted).
   */
  take(event: BudgetedEvent): boolean {
    if (this.#perBudget === Infinity || this.#closed) return true;
    const byAddress = this.#accounts[event.transport];
    let byPort = byAddress.get(event.local.address);
    if (byPort === undefined) byAddress.set(event.local.address, byPort = new Map());
    let account = byPort.get(event.local.port);
    if (account === undefined) {
      account = {
        transport: event.transport,
        local: event.local,
        service: event.service,
        written: 0,
        held: 0,
        counts: new Map(),
      };
      byPort.set(event.local.port, account);
      if (this.#timer === undefined) {
        this.#since = this.#now();
        this.#timer = setTimeout(() => this.flush(), this.#everyMs);
      }
    }
    if (account.written < this.#perBudget) {
      account.written++;
      return true;
    }
    account.held++;
    const kind = this.#kindOf(event);
    account.counts.set(kind, (account.counts.get(kind) ?? 0) + 1);
    return false;
  }

  /** The kind of an event's line: its type's, or its type's and reason's. */
  #kindOf(event: BudgetedEvent): Kind {
    const kind = KINDS.get(event.type)!;
    const reason = event.type === "connection-refused" || event.type === "reply-suppressed" ||
        event.type === "exec-refused"
      ? event.reason
      : null;
    if (reason === null) return kind;
    let byReason = this.#reasoned.get(event.type);
    if (byReason === undefined) this.#reasoned.set(event.type, byReason = new Map());
    let reasoned = byReason.get(reason);
    if (reasoned === undefined) {
      reasoned = {
        key: `${kind.key}:${reason}`,
        order: kind.order,
        one: `${kind.one} (${reason})`,
        more: `${kind.more} (${reason})`,
      };
      byReason.set(reason, reasoned);
    }
    return reasoned;
  }

  /**
   * Ends the budget: writes one line per socket name that went past it,
   * and the next line starts a new one.
   */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const seconds = Math.round((this.#now() - this.#since) / 100) / 10;
    const limit = this.#perSecond.toLocaleString("en-US");
    for (const byAddress of [this.#accounts.tcp, this.#accounts.udp]) {
      for (const byPort of byAddress.values()) {
        for (const { transport, local, service, held, counts } of byPort.values()) {
          if (held === 0) continue;
          const kinds = [...counts].sort(([a], [b]) =>
            a.order - b.order || (a.key < b.key ? -1 : 1)
          );
          const words = kinds.map(([{ one, more }, count]) =>
            `${count.toLocaleString("en-US")} ${count === 1 ? one : more}`
          );
          const text = `${transport} ${formatSocketName(local)} -> ${service}: ` +
            `${held.toLocaleString("en-US")} ${this.#noun[held === 1 ? 0 : 1]} not written in ` +
            `the last ${seconds.toFixed(1)} s, past ${limit} a second ` +
            `(--log-lines): ${words.join(", ")}`;
          const byKey = Object.fromEntries(kinds.map(([{ key }, count]) => [key, count]));
          this.#write({ transport, local, service, seconds, held, counts: byKey, text });
        }
      }
      byAddress.clear();
    }
  }

  /** Writes what is held back, stops the timer and holds nothing more. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
  }

  /** Same as {@linkcode LineBudget.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Writes summary lines to the log at a level, category `muxd.log`; the JSON
 * log holds the line's fields as properties.
 *
 * @param level `info` for the lines of connections and datagrams, `warning` for warnings.
 * @returns A writer for {@linkcode LineBudget}.
 */
export function heldLinesLog(level: "info" | "warning" = "info"): (line: HeldLines) => void {
  return summaryLog<HeldLines>("log", level);
}
