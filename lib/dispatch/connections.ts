/**
 * The open TCP connections of one running server, so that shutdown can wait
 * for them and then close what is left.
 *
 * @module
 */

/** One open connection, as the table sees it. */
export interface OpenConnection {
  /** Set once muxd closed the connection itself at shutdown. */
  readonly forced: boolean;
  /** Closes the socket once; later calls do nothing. */
  close(): void;
}

class Entry implements OpenConnection {
  forced = false;
  #conn: Deno.Conn;
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }
}

/** The set of open connections, with a way to wait for it to empty. */
export class ConnectionTable {
  #open = new Set<Entry>();
  #onEmpty: (() => void) | null = null;

  /** How many connections are open. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Adds a connection that has just been accepted.
   *
   * @param conn The accepted connection.
   * @returns Its entry; pass it to {@linkcode ConnectionTable.release} when done.
   */
  add(conn: Deno.Conn): OpenConnection {
    const entry = new Entry(conn);
    this.#open.add(entry);
    return entry;
  }

  /**
   * Closes a connection's socket (if muxd has not already) and forgets it.
   *
   * @param entry The entry from {@linkcode ConnectionTable.add}.
   */
  release(entry: OpenConnection): void {
    entry.close();
    this.#open.delete(entry as Entry);
    if (this.#open.size === 0) this.#onEmpty?.();
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
    if (this.#open.size === 0) return true;
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

  /** Closes every open connection now, marking each as forced. */
  closeAll(): void {
    for (const entry of this.#open) {
      entry.forced = true;
      entry.close();
    }
  }
}
