/**
 * Admission of TCP connections: access lists and connection limits, decided
 * when a connection is accepted, before its service sees a byte.
 *
 * @module
 */

import { cidrContains } from "./cidr.ts";
import type { ListenerLimits } from "./limits.ts";
import { RateLimiter } from "./rate_limiter.ts";

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
 * Tells whether a peer may talk to a listener at all.
 *
 * @param limits The listener's limits.
 * @param address The peer's address.
 * @returns `true` when allowed.
 */
export function isAllowed(limits: ListenerLimits, address: string): boolean {
  if (limits.allow.length > 0 && !limits.allow.some((c) => cidrContains(c, address))) {
    return false;
  }
  return !limits.deny.some((c) => cidrContains(c, address));
}

class ListenerState {
  open = 0;
  perSource = new Map<string, number>();
  rate: RateLimiter;
  constructor(limits: ListenerLimits) {
    this.rate = new RateLimiter({ rate: limits.connRate, burst: limits.connRate * 2 });
  }
}

/**
 * Counts open connections per server, per listener and per source address,
 * and admits or refuses each new one. Created by `start()`, one per server.
 */
export class Admission {
  readonly #maxTotal: number;
  #total = 0;
  #listeners = new Map<object, ListenerState>();

  /**
   * Creates the counters of one server.
   *
   * @param maxTotal Open connections at most, over every listener.
   */
  constructor(maxTotal: number) {
    this.#maxTotal = maxTotal;
  }

  /**
   * Admits a new connection, counting it, or says why not.
   *
   * @param listener The listener: any object unique to it, such as its bound socket (two
   *   listeners may share a spec's text, as two `:0` specs do).
   * @param limits The listener's limits.
   * @param source The peer's address.
   * @returns `null` when admitted (call {@linkcode Admission.release} at close), else the reason.
   */
  admit(listener: object, limits: ListenerLimits, source: string): RefusalReason | null {
    if (!isAllowed(limits, source)) return "denied";
    let state = this.#listeners.get(listener);
    if (state === undefined) {
      state = new ListenerState(limits);
      this.#listeners.set(listener, state);
    }
    if (this.#total >= this.#maxTotal) return "server-full";
    if (state.open >= limits.maxConns) return "listener-full";
    const fromSource = state.perSource.get(source) ?? 0;
    if (fromSource >= limits.maxConnsPerSource) return "source-full";
    if (!state.rate.take(source)) return "rate";
    this.#total++;
    state.open++;
    state.perSource.set(source, fromSource + 1);
    return null;
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
    this.#total--;
    state.open--;
    const left = (state.perSource.get(source) ?? 1) - 1;
    if (left === 0) state.perSource.delete(source);
    else state.perSource.set(source, left);
  }
}
