/**
 * The open TCP connections of one running server, so that shutdown can wait
 * for them and then close what is left, and idle ones can be closed.
 *
 * @module
 */

/** One open connection, as the table sees it. */
export interface OpenConnection {
  /** Set once muxd closed the connection itself at shutdown. */
  readonly forced: boolean;
  /** Set once muxd closed the connection for being idle. */
  readonly idle: boolean;
  /** Closes the socket once; later calls do nothing. */
  close(): void;
}

/** What the table closes: a `Deno.Conn`, or any other connection. */
export interface Closable {
  /** Closes the connection. */
  close(): void;
}

/** How the table sees a connection's traffic: the bytes counted so far. */
export interface Traffic {
  /** Bytes read so far. */
  readonly bytesIn: number;
  /** Bytes written so far. */
  readonly bytesOut: number;
}

class Entry implements OpenConnection {
  forced = false;
  idle = false;
  lastBytes = 0;
  lastActive: number;
  /** Where it is in the table's array; -1 once released. */
  at = -1;
  #conn: Closable;
  #closed = false;

  constructor(
    conn: Closable,
    readonly traffic: Traffic,
    readonly idleMs: number,
    now: number,
    readonly id: number,
  ) {
    this.#conn = conn;
    this.lastActive = now;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }
}

/**
 * The set of open connections, with a way to wait for it to empty.
 *
 * An array with swap-remove, not a `Set`: connections come and go
 * thousands of times a second, and a `Set` of them keeps far more alive
 * through each young-generation collection, to be copied and promoted,
 * than an array does (figures in docs/BENCHMARKS.md, "Why the hot paths
 * look as they do").
 */
export class ConnectionTable {
  #open: Entry[] = [];
  #onEmpty: (() => void) | null = null;

  /** How many connections are open. */
  get size(): number {
    return this.#open.length;
  }

  /**
   * Adds a connection that has just been accepted.
   *
   * @param conn The accepted connection.
   * @param traffic Its byte counters, which {@linkcode ConnectionTable.sweep} watches.
   * @param idleMs How long it may go without a byte either way.
   * @param now The time, in ms.
   * @param id The connection's id, as its events give it, for {@linkcode ConnectionTable.each}.
   * @returns Its entry; pass it to {@linkcode ConnectionTable.release} when done.
   */
  add(
    conn: Closable,
    traffic: Traffic = { bytesIn: 0, bytesOut: 0 },
    idleMs = Infinity,
    now: number = performance.now(),
    id = 0,
  ): OpenConnection {
    const entry = new Entry(conn, traffic, idleMs, now, id);
    entry.at = this.#open.length;
    this.#open.push(entry);
    return entry;
  }

  /**
   * Closes a connection's socket (if muxd has not already) and forgets it.
   *
   * @param entry The entry from {@linkcode ConnectionTable.add}.
   */
  release(entry: OpenConnection): void {
    entry.close();
    const gone = entry as Entry;
    if (gone.at === -1) return;
    const last = this.#open.pop()!;
    if (last !== gone) {
      this.#open[gone.at] = last;
      last.at = gone.at;
    }
    gone.at = -1;
    if (this.#open.length === 0) this.#onEmpty?.();
  }

  /**
   * Waits until every connection has been released, `graceMs` has passed,
   * or `signal` is aborted, whichever comes first.
   *
   * @param graceMs How long to wait at most.
   * @param signal Ends the wait early.
   * @returns `true` when the table emptied in time.
   */
  async drain(graceMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#open.length === 0) return true;
    if (signal?.aborted) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort = () => {};
    const empty = new Promise<boolean>((resolve) => {
      this.#onEmpty = () => resolve(true);
    });
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
      onAbort = () => resolve(false);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([empty, late]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      this.#onEmpty = null;
    }
  }

  /**
   * Closes the connections that moved no byte for their idle time. Called
   * now and then: nothing is done per chunk of data.
   *
   * @param now The time, in ms.
   * @returns How many were closed.
   */
  sweep(now: number = performance.now()): number {
    let closed = 0;
    for (const entry of this.#open) {
      const bytes = entry.traffic.bytesIn + entry.traffic.bytesOut;
      if (bytes !== entry.lastBytes) {
        entry.lastBytes = bytes;
        entry.lastActive = now;
      } else if (!entry.idle && now - entry.lastActive >= entry.idleMs) {
        entry.idle = true;
        entry.close();
        closed++;
      }
    }
    return closed;
  }

  /**
   * Calls `visit` once per open connection with its byte counts so far: for
   * a reader that asks now and then (the dashboard), never per chunk.
   *
   * @param visit Gets the connection's id and its bytes read and written.
   */
  each(visit: (id: number, bytesIn: number, bytesOut: number) => void): void {
    for (const entry of this.#open) visit(entry.id, entry.traffic.bytesIn, entry.traffic.bytesOut);
  }

  /** Closes every open connection now, marking each as forced. */
  closeAll(): void {
    for (const entry of this.#open) {
      entry.forced = true;
      entry.close();
    }
  }
}
