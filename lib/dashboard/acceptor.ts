/**
 * The dashboard's accept loop: a cap on open connections, where a new
 * connection at the cap takes the slot of the oldest one that holds its
 * slot idly (waiting for a request head, or lingering after its last
 * response), else of the oldest event stream of a source address that holds
 * more than its share of them; and the same answer to accept errors as the
 * listeners give. A connection that went
 * away before it was accepted is skipped; running out of file descriptors
 * (or memory) pauses accepting briefly, with at most one warning per
 * interval, and accepting resumes by itself; nothing here can end the
 * process.
 *
 * @module
 */

import { acceptErrorKind, errorCode, exhaustionAdvice } from "../bind/accept_error.ts";
import { Link } from "./link.ts";
import { sourceGroup } from "./source_group.ts";

/**
 * Event streams a source keeps when every slot is taken, by default: as
 * many as one browser opens to one host over HTTP/1.1 (a page holds one).
 * Past them, its oldest stream yields its slot to a new connection, so that
 * streams that are never read cannot keep a page from opening. A source is
 * an address, all of loopback (one host), or an IPv6 /64 ({@linkcode sourceGroup}).
 */
export const STREAMS_PER_SOURCE = 6;

/** How the accept loop behaves. */
export interface AcceptorOptions {
  /**
   * Connections served at once. At the cap, a new connection closes the
   * oldest one that is {@linkcode Link.evictable} and takes its slot; with
   * none, the oldest event stream of the source address that holds the
   * most, if it holds more than `streamsPerSource`; else it is refused.
   */
  readonly maxClients: number;
  /**
   * Event streams a source address keeps when the server is full: past
   * this many, its oldest yields its slot to a new connection.
   */
  readonly streamsPerSource: number;
  /** How long to pause after an accept failed for want of a resource, in milliseconds. */
  readonly pauseMs: number;
  /** At most one warning per this many milliseconds. */
  readonly warnIntervalMs: number;
  /** What the warnings call the server, such as `the dashboard at http://127.0.0.1:7080/`. */
  readonly name: string;
  /** Where warnings go. */
  readonly warn: (message: string) => void;
  /** Serves one connection and closes it; never rejects. */
  readonly serve: (link: Link) => Promise<void>;
  /** Answers a connection over the cap (with a 503) and closes it; never rejects. */
  readonly refuse: (link: Link) => Promise<void>;
}

/**
 * Accepts connections from a listener until {@linkcode Acceptor.close}.
 *
 * @example
 * ```ts
 * import { Acceptor } from "./acceptor.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * let served = 0;
 * const acceptor = new Acceptor(listener, {
 *   maxClients: 64, streamsPerSource: 6, pauseMs: 100, warnIntervalMs: 10_000, name: "the example",
 *   warn: console.warn,
 *   serve: async (link) => void (served++, link.close()),
 *   refuse: async (link) => link.close(),
 * });
 * using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * assert.equal(await client.read(new Uint8Array(1)), null); // served and closed
 * assert.equal(served, 1);
 * await acceptor.close();
 * ```
 */
export class Acceptor {
  #listener: Deno.TcpListener;
  #options: AcceptorOptions;
  /** Open connections being served; a link leaves its set when it is closed. */
  #served = new Set<Link>();
  /** Open connections being refused. */
  #refused = new Set<Link>();
  /** Handlers that have not finished. */
  #running = 0;
  #allFinished: (() => void) | null = null;
  #stop = new AbortController();
  #loop: Promise<void>;
  #lastWarning = -Infinity;
  /** When the accepts that failed since the last one that worked began to fail. */
  #pausedAt = 0;
  /** Accepts that failed since the last one that worked. */
  #failedSinceAccept = 0;
  /** A warning about failed accepts went out, and none yet that they work again. */
  #warnedFailing = false;

  /**
   * Starts accepting.
   *
   * @param listener The bound listener; the acceptor closes it.
   * @param options The cap, the pause, and what to do with each connection.
   */
  constructor(listener: Deno.TcpListener, options: AcceptorOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#loop = this.#acceptLoop();
  }

  /** Connections being served now (not counting refused ones). */
  get open(): number {
    return this.#served.size;
  }

  /**
   * Stops accepting, closes every connection at once, and resolves once
   * every connection's handler has finished.
   */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#listener.close();
    await this.#loop;
    for (const link of [...this.#served, ...this.#refused]) link.close();
    if (this.#running > 0) await new Promise<void>((resolve) => this.#allFinished = resolve);
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        const kind = acceptErrorKind(error);
        if (kind === "closed" || this.#stop.signal.aborted) return;
        if (kind === "connection") continue;
        this.#failedSinceAccept++;
        this.#warnAcceptFailed(error);
        await this.#pause();
        continue;
      }
      if (this.#failedSinceAccept > 0) this.#warnResumed();
      this.#handle(conn);
    }
  }

  #handle(conn: Deno.TcpConn): void {
    // Idle, slowloris and lingering connections, and one source's event
    // streams past its share, cannot hold every slot: one of them yields.
    if (this.#served.size >= this.#options.maxClients) this.#makeRoom();
    if (this.#served.size < this.#options.maxClients) {
      this.#run(new Link(conn, this.#served), this.#served, this.#options.serve);
    } else if (this.#refused.size < this.#options.maxClients) {
      this.#run(new Link(conn, this.#refused), this.#refused, this.#options.refuse);
    } else {
      // Too many are being refused already: not even a 503.
      new Link(conn).close();
    }
  }

  /**
   * Closes the oldest served connection that holds its slot idly; with none,
   * the oldest event stream of the source that holds the most, if
   * that is more than its share. Closes nothing otherwise.
   */
  #makeRoom(): void {
    // A set iterates in insertion order: the oldest connection first.
    for (const link of this.#served) {
      if (link.evictable) return link.close();
    }
    const streams = new Map<string, Link[]>();
    let most: Link[] = [];
    for (const link of this.#served) {
      if (link.phase !== "stream") continue;
      const host = sourceGroup(link.remoteHost);
      const ofHost = streams.get(host) ?? [];
      if (ofHost.length === 0) streams.set(host, ofHost);
      ofHost.push(link);
      if (ofHost.length > most.length) most = ofHost;
    }
    if (most.length > this.#options.streamsPerSource) most[0].close();
  }

  #run(link: Link, set: Set<Link>, handle: (link: Link) => Promise<void>): void {
    set.add(link);
    this.#running++;
    // Shared callbacks, not a closure per connection: a connection costs little.
    handle(link).then(this.#finished, this.#failed);
  }

  #finished = (): void => {
    if (--this.#running === 0) this.#allFinished?.();
  };

  #failed = (error: unknown): void => {
    this.#finished();
    this.#options.warn(`${this.#options.name}: a connection failed: ${error}`);
  };

  #pause(): Promise<void> {
    const signal = this.#stop.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, this.#options.pauseMs);
      signal.addEventListener("abort", done);
    });
  }

  /** Warns about a failed accept, at most once per interval. */
  #warnAcceptFailed(error: unknown): void {
    const now = performance.now();
    if (this.#failedSinceAccept === 1) this.#pausedAt = now;
    if (now - this.#lastWarning < this.#options.warnIntervalMs) return;
    this.#lastWarning = now;
    this.#warnedFailing = true;
    const code = errorCode(error);
    const what = acceptErrorKind(error) === "exhausted" && code !== null
      ? `${code}): ${exhaustionAdvice(code)}`
      : `${error instanceof Error ? error.message : String(error)})`;
    this.#options.warn(
      `${this.#options.name} cannot accept (${what}; retrying every ${this.#options.pauseMs} ms ` +
        `(${failedAccepts(this.#failedSinceAccept)})`,
    );
  }

  /** Says that accepting works again, once per warning that it did not. */
  #warnResumed(): void {
    const failed = this.#failedSinceAccept;
    this.#failedSinceAccept = 0;
    if (!this.#warnedFailing) return;
    this.#warnedFailing = false;
    const pausedMs = Math.round(performance.now() - this.#pausedAt);
    this.#options.warn(
      `${this.#options.name} accepting again after ${pausedMs} ms (${failedAccepts(failed)})`,
    );
  }
}

function failedAccepts(n: number): string {
  return n === 1 ? "1 failed accept" : `${n} failed accepts`;
}
