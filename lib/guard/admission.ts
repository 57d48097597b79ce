/**
 * Admission of TCP connections: access lists and connection limits, decided
 * when a connection is accepted, before its service sees a byte.
 *
 * @module
 */

import { parseIpAddress } from "./cidr.ts";
import { isLoopback } from "../spec/ip.ts";
import type { ListenerLimits } from "./limits.ts";
import { takeToken, type TokenBucket, tokensAt } from "./rate_limiter.ts";

/** Why a connection or datagram was turned away. */
export type RefusalReason =
  | "denied" // an allow or deny list
  | "server-full" // the server's open connections
  | "listener-full" // the listener's open connections
  | "source-full" // one source address's open connections on the listener
  | "rate"; // one source address's new connections a second

/** The refusal reasons in plain words, for logs. */
export const REFUSAL_WORDS: Record<RefusalReason, string> = {
  "denied": "the peer is not in the listener's allow list, or is in its deny list",
  "server-full": "muxd has as many open connections as --max-connections allows",
  "listener-full": "the listener has as many open connections as max-conns allows",
  "source-full": "this source address has as many open connections as max-conns-per-source " +
    "allows",
  "rate": "this source address opens connections faster than conn-rate allows; it may again " +
    "in a moment",
};

/**
 * Tells whether a peer may talk to a listener at all. The address is parsed
 * once, and only when the listener has an allow or deny list.
 *
 * @param limits The listener's limits.
 * @param address The peer's address, as the OS gave it.
 * @returns `true` when allowed: in the allow list (when there is one), and
 *   not in the deny list. Text that is not an address is in no range.
 */
export function isAllowed(limits: ListenerLimits, address: string): boolean {
  const { allow, deny } = limits;
  if (allow.size === 0 && deny.size === 0) return true;
  const ip = parseIpAddress(address);
  if (allow.size > 0 && (ip === null || !allow.contains(ip))) return false;
  return ip === null || !deny.contains(ip);
}

/**
 * Tells whether a peer's address is a loopback address: the common case,
 * 127.x.y.z, without parsing (this runs for every connection and datagram).
 *
 * @param address The peer's address, as the OS gave it.
 * @returns `true` for 127.0.0.0/8, `::1` and IPv4-mapped loopback.
 */
export function isLoopbackSource(address: string): boolean {
  return address.startsWith("127.") || isLoopback(address);
}

/**
 * How many source addresses with no connection open a listener remembers,
 * for their rate, before it forgets some: as many as a `RateLimiter`
 * remembers by default.
 */
const REMEMBERED_SOURCES = 10_000;

/** One source address on one listener: its open connections and its token bucket. */
class SourceState implements TokenBucket {
  open = 0;
  constructor(public tokens: number, public at: number) {}
}

/**
 * One listener's counts: its open connections, and one {@linkcode SourceState}
 * per source address, found with one map lookup per connection, which both
 * max-conns-per-source and conn-rate use.
 */
class ListenerState {
  open = 0;
  /**
   * Of `open`, the connections from loopback that per-source limits spare:
   * counted here only, with no per-source state to find for them.
   */
  spared = 0;
  readonly sources = new Map<string, SourceState>();
  readonly #rate: number;
  readonly #burst: number;
  #pruneAt = REMEMBERED_SOURCES;

  constructor(limits: ListenerLimits) {
    this.#rate = limits.connRate;
    this.#burst = limits.connRate * 2;
  }

  /** The state of a source address, remembered from now on if it was not. */
  source(address: string, now: number): SourceState {
    let state = this.sources.get(address);
    if (state === undefined) {
      if (this.sources.size >= this.#pruneAt) this.#prune(now);
      state = new SourceState(this.#burst, now);
      this.sources.set(address, state);
    }
    return state;
  }

  /** Takes one token from a source's bucket, if it has one: `rate` a second, bursts of twice that. */
  take(state: SourceState, now: number): boolean {
    return takeToken(state, now, this.#rate, this.#burst);
  }

  /**
   * Forgets sources with no connection open: first those whose bucket has
   * filled up again (which changes nothing), then the oldest others (which
   * only makes the limit more lenient for them) until half the limit is
   * left. Sources with connections open are kept: max-conns bounds them.
   */
  #prune(now: number): void {
    for (const [address, state] of this.sources) {
      if (state.open === 0 && tokensAt(state, now, this.#rate, this.#burst) === this.#burst) {
        this.sources.delete(address);
      }
    }
    for (const [address, state] of this.sources) {
      if (this.sources.size <= REMEMBERED_SOURCES / 2) break;
      if (state.open === 0) this.sources.delete(address);
    }
    // However many are left, the next prune waits until as many more arrived.
    this.#pruneAt = Math.max(REMEMBERED_SOURCES, this.sources.size * 2);
  }
}

/**
 * Counts open connections per server, per listener and per source address,
 * and admits or refuses each new one. Created by `start()`, one per server.
 */
export class Admission {
  #maxTotal: number;
  #total = 0;
  /**
   * Each listener's counts, by the object that stands for it: weakly, so
   * that a removed listener's entry goes with its socket, once its last
   * connection has been released.
   */
  #listeners = new WeakMap<object, ListenerState>();

  /**
   * Creates the counters of one server.
   *
   * @param maxTotal Open connections at most, over every listener.
   */
  constructor(maxTotal: number) {
    this.#maxTotal = maxTotal;
  }

  /**
   * Open connections at most, over every listener. Lowering it closes
   * nothing: new connections are refused until fewer are open.
   */
  get maxTotal(): number {
    return this.#maxTotal;
  }

  set maxTotal(value: number) {
    this.#maxTotal = value;
  }

  /**
   * Admits a new connection, counting it, or says why not. A connection
   * from loopback that the per-source limits spare counts for its listener
   * and the server only: should a reload start limiting loopback per
   * source, the connections from before it do not count for their source.
   *
   * @param listener The listener: any object unique to it, such as its bound socket (two
   *   listeners may share a spec's text, as two `:0` specs do).
   * @param limits The listener's limits.
   * @param source The peer's address.
   * @param now The time in milliseconds, for conn-rate. @default performance.now()
   * @returns `null` when admitted (call {@linkcode Admission.release} at close), else the reason.
   */
  admit(
    listener: object,
    limits: ListenerLimits,
    source: string,
    now: number = performance.now(),
  ): RefusalReason | null {
    if (!isAllowed(limits, source)) return "denied";
    let state = this.#listeners.get(listener);
    if (state === undefined) {
      state = new ListenerState(limits);
      this.#listeners.set(listener, state);
    }
    if (this.#total >= this.#maxTotal) return "server-full";
    if (state.open >= limits.maxConns) return "listener-full";
    // Per-source limits spare loopback unless the spec asked for them: a
    // test suite's connections from 127.0.0.1 cost no per-source lookup.
    if (!limits.perSourceOnLoopback && isLoopbackSource(source)) {
      this.#total++;
      state.open++;
      state.spared++;
      return null;
    }
    const from = state.source(source, now);
    if (from.open >= limits.maxConnsPerSource) return "source-full";
    if (!state.take(from, now)) return "rate";
    this.#total++;
    state.open++;
    from.open++;
    return null;
  }

  /**
   * How many source addresses a listener remembers: those with connections
   * open, and, up to a bound, those without, for their rate.
   *
   * @param listener The listener, as given to {@linkcode Admission.admit}.
   * @returns How many.
   */
  remembered(listener: object): number {
    return this.#listeners.get(listener)?.sources.size ?? 0;
  }

  /**
   * Counts an admitted connection as closed.
   *
   * @param listener The listener, as given to {@linkcode Admission.admit}.
   * @param source The peer's address.
   */
  release(listener: object, source: string): void {
    const state = this.#listeners.get(listener);
    if (state === undefined) return;
    // A reload may have changed whether loopback is spared while connections
    // were open, so a loopback source may have both kinds open. Its own count
    // goes first: a source never counts more than it has open (a spared one
    // released as counted leaves the other uncounted, which only spares it),
    // and the spared count, which is the listener's, is left to the sources
    // with none counted. Spared first would leave another loopback source's
    // count up for good, and the last releases with nothing to take from.
    const from = state.sources.size === 0 ? undefined : state.sources.get(source);
    if (from !== undefined && from.open > 0) {
      from.open--;
    } else if (state.spared > 0 && isLoopbackSource(source)) {
      state.spared--;
    } else {
      return;
    }
    this.#total--;
    state.open--;
  }
}
