/**
 * The programs `exec` runs, counted per listening socket and per source
 * address, so that no client can make muxd fork without bound, and ended
 * together when muxd shuts down or a reload removes their listener.
 *
 * @module
 */

import { formatSocketName } from "../spec/socket_name.ts";
import { unmappedIPv4 } from "../spec/ip.ts";
import {
  findSetsid,
  groupSignalMethod,
  type ProgramLaunch,
  programLaunch,
} from "./process_group.ts";
import type { SocketName, Transport } from "../spec/types.ts";

/**
 * The key of a listening socket in the table: `tcp 127.0.0.1:7300`.
 *
 * @param transport The socket's transport.
 * @param bound The listening socket's name.
 * @returns The key.
 */
export function processKey(transport: Transport, bound: SocketName): string {
  return `${transport} ${formatSocketName(bound)}`;
}

/** Why exec ran no program for a connection or datagram. */
export type ExecRefusal =
  | "too-many-processes" // the listener's max-procs are running
  | "too-many-from-source" // the source address's max-procs-per-source are running
  | "too-many-waiting" // over a cap, and as many as may wait for a place already do
  | "program-missing" // the program was not found
  | "out-of-resources" // muxd is out of file descriptors, processes or memory
  | "permission-missing"; // muxd may not run it

/** Why a program was ended by muxd rather than exiting by itself. */
export type EndCause =
  | "time-limit" // it ran for max-seconds
  | "output-limit" // it wrote more than max-output
  | "datagram-limit" // its reply to a datagram passed the largest a datagram holds
  | "closed" // its connection closed under it
  | "shutdown" // muxd stopped
  | "reload" // a reload removed its listener
  | "removed"; // its listener was removed through the API

/** The caps a claim is checked against, from the spec's options. */
export interface ProcessLimits {
  /** Programs running at once on one listening socket. */
  readonly maxProcs: number;
  /** Programs running at once for one source address, across every exec listener. */
  readonly maxProcsPerSource: number;
}

/** One running program's place in the table; see {@linkcode ProcessTable.claim}. */
export interface ProcessClaim {
  /**
   * Tells the table how to end the program and when it has exited.
   *
   * @param end Ends the program (TERM, then KILL after a grace) for `cause`.
   * @param exited Settles once the program has exited.
   */
  attach(end: (cause: EndCause) => void, exited: Promise<unknown>): void;
  /**
   * Gives the place back: the program has exited, and counts no more
   * against `max-procs`, while what it left in its group is still being
   * ended (the table still waits for that at shutdown).
   */
  free(): void;
  /** Gives the place back and forgets the program: it and its group are gone, or it never started. */
  release(): void;
}

class Claim implements ProcessClaim {
  end: ((cause: EndCause) => void) | null = null;
  exited: Promise<unknown> = Promise.resolve();
  #freed = false;
  #released = false;

  constructor(
    readonly table: ProcessTable,
    readonly socket: string,
    readonly source: string,
  ) {}

  attach(end: (cause: EndCause) => void, exited: Promise<unknown>): void {
    this.end = end;
    this.exited = exited;
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.table.uncount(this);
  }

  release(): void {
    this.free();
    if (this.#released) return;
    this.#released = true;
    this.table.forget(this);
  }
}

/**
 * The table of running programs. One per running server, created by
 * `start()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessTable } from "./process_table.ts";
 *
 * const table = new ProcessTable();
 * const limits = { maxProcs: 1, maxProcsPerSource: 1 };
 * const claim = table.claim("tcp 127.0.0.1:7300", "127.0.0.1", limits);
 * assert.equal(table.claim("tcp 127.0.0.1:7300", "127.0.0.1", limits), "too-many-processes");
 * if (typeof claim !== "string") claim.release();
 * assert.equal(table.size, 0);
 * ```
 */
export class ProcessTable {
  readonly #claims = new Set<Claim>();
  readonly #waiting: Waiter[] = [];
  readonly #perSocket = new Map<string, number>();
  readonly #perSource = new Map<string, number>();
  #launch: ProgramLaunch | undefined;
  #warned = false;

  /**
   * Creates an empty table.
   *
   * @param launch How to start a program and signal its group; by default
   *   decided from muxd's rights (`--allow-env=PATH`, `--allow-run`) at the
   *   first program.
   */
  constructor(launch?: ProgramLaunch) {
    this.#launch = launch;
  }

  /** How to start a program and signal its group (see `process_group.ts`). */
  get launch(): ProgramLaunch {
    this.#launch ??= programLaunch(findSetsid(), groupSignalMethod());
    return this.#launch;
  }

  /**
   * The warning to give once per table, with the first program, when muxd
   * cannot end a program's group: the warning the first time, `null` after
   * that and when there is none.
   */
  firstWarning(): string | null {
    if (this.#warned) return null;
    this.#warned = true;
    return this.launch.warning;
  }

  /** How many programs are running, or exited with their groups still being ended. */
  get size(): number {
    return this.#claims.size;
  }

  /**
   * Claims a place for one program, or says which cap is reached.
   *
   * @param socket The listening socket, as text: `tcp 127.0.0.1:7300`.
   * @param address The client's address; an IPv4-mapped one (a client of a
   *   dual-stack `[::]`) counts as the IPv4 address it is.
   * @param limits The listener's caps.
   * @returns The claim, or the refusal.
   */
  claim(socket: string, address: string, limits: ProcessLimits): ProcessClaim | ExecRefusal {
    const source = unmappedIPv4(address);
    // Whoever waits could not take a place that is free now (a freed place
    // goes to the waiting first), so nobody is overtaken.
    const reached = this.#capReached(socket, source, limits);
    if (reached !== null) return reached;
    bump(this.#perSocket, socket, 1);
    bump(this.#perSource, source, 1);
    const claim = new Claim(this, socket, source);
    this.#claims.add(claim);
    return claim;
  }

  /**
   * Claims a place for one program, waiting for one (in the order asked)
   * when a cap is reached, as tcpserver defers a connection: a client over
   * the cap waits its turn instead of being turned away.
   *
   * @param socket The listening socket, as text: `tcp 127.0.0.1:7300`.
   * @param address The client's address, counted as {@linkcode ProcessTable.claim} counts it.
   * @param limits The listener's caps.
   * @param waitMs How long to wait at most.
   * @param signal Ends the wait (muxd stopping, the connection closing).
   * @param maxWaiting How many may wait for a place on `socket` at once;
   *   past it, the claim is refused at once (datagrams, which nothing else
   *   bounds).
   * @returns The claim, or the cap that stayed reached for `waitMs`.
   */
  claimWhenFree(
    socket: string,
    address: string,
    limits: ProcessLimits,
    waitMs: number,
    signal: AbortSignal,
    maxWaiting = Infinity,
  ): Promise<ProcessClaim | ExecRefusal> {
    const source = unmappedIPv4(address);
    const now = this.claim(socket, source, limits);
    if (typeof now !== "string" || signal.aborted) return Promise.resolve(now);
    if (this.#waiting.filter((w) => w.socket === socket).length >= maxWaiting) {
      return Promise.resolve("too-many-waiting");
    }
    return new Promise((resolve) => {
      const giveUp = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at < 0) return;
        this.#waiting.splice(at, 1);
        waiter.done();
        resolve(this.#capReached(socket, source, limits) ?? "too-many-processes");
      };
      const timer = setTimeout(giveUp, waitMs);
      signal.addEventListener("abort", giveUp, { once: true });
      const waiter: Waiter = {
        socket,
        source,
        limits,
        grant: resolve,
        giveUp,
        done: () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", giveUp);
        },
      };
      this.#waiting.push(waiter);
    });
  }

  /** Hands freed places to those waiting, first come first served. */
  #grantWaiting(): void {
    for (let i = 0; i < this.#waiting.length;) {
      const waiter = this.#waiting[i];
      const claim = this.claim(waiter.socket, waiter.source, waiter.limits);
      if (typeof claim === "string") {
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      waiter.done();
      waiter.grant(claim);
    }
  }

  /** The cap that keeps `source` from a place on `socket` now, or `null` when none does. */
  #capReached(socket: string, source: string, limits: ProcessLimits): ExecRefusal | null {
    if ((this.#perSocket.get(socket) ?? 0) >= limits.maxProcs) return "too-many-processes";
    if ((this.#perSource.get(source) ?? 0) >= limits.maxProcsPerSource) {
      return "too-many-from-source";
    }
    return null;
  }

  /**
   * Stops counting a freed claim against the caps. Called by the claim itself.
   *
   * @param claim The claim.
   */
  uncount(claim: ProcessClaim): void {
    const c = claim as Claim;
    bump(this.#perSocket, c.socket, -1);
    bump(this.#perSource, c.source, -1);
    if (this.#waiting.length > 0) this.#grantWaiting();
  }

  /**
   * Removes a released claim. Called by the claim itself.
   *
   * @param claim The claim.
   */
  forget(claim: ProcessClaim): void {
    this.#claims.delete(claim as Claim);
  }

  /**
   * Waits until every program in the table has exited and its process
   * group is ended, without ending any.
   */
  async idle(): Promise<void> {
    while (this.#claims.size > 0) {
      await Promise.allSettled([...this.#claims].map((c) => c.exited));
    }
  }

  /**
   * Ends the programs of the given listening sockets (all of them when
   * `sockets` is omitted) and waits until each has exited. Whoever waits for
   * a place on them is refused at once.
   *
   * @param cause Why: `shutdown`, `reload` or `removed`.
   * @param sockets The listening sockets, as text, as given to {@linkcode claim}.
   */
  async endAll(cause: EndCause, sockets?: ReadonlySet<string>): Promise<void> {
    // Whoever waits for a place on these sockets waits no more: their
    // listener is gone, and the places the ending programs free must not
    // start new ones for it.
    const cut = this.#waiting.filter((w) => sockets === undefined || sockets.has(w.socket));
    for (const w of cut) w.giveUp();
    const ending = [...this.#claims].filter((c) => sockets === undefined || sockets.has(c.socket));
    for (const c of ending) c.end?.(cause);
    await Promise.allSettled(ending.map((c) => c.exited));
  }
}

/** A connection waiting for a place; see {@linkcode ProcessTable.claimWhenFree}. */
interface Waiter {
  readonly socket: string;
  readonly source: string;
  readonly limits: ProcessLimits;
  readonly grant: (claim: ProcessClaim) => void;
  /** Ends the wait without a place: the refusal of the cap that is reached. */
  readonly giveUp: () => void;
  /** Stops its timer and its abort listener. */
  readonly done: () => void;
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}
