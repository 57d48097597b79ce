/**
 * The last arrivals, for a page opened after the traffic: a ring of the most
 * recent connection-opened and datagram events, so that the feed shows what
 * came in before the page was there, in bounded memory.
 *
 * @module
 */

import type { ServerEvent } from "../events/event.ts";

/** An arrival: a TCP connection accepted, or a UDP datagram received. */
export type Arrival = Extract<ServerEvent, { type: "connection-opened" | "datagram" }>;

/** How many arrivals a dashboard keeps for a page that opens later. */
export const RECENT_ARRIVALS = 100;

/**
 * Tells whether an event is an arrival.
 *
 * @param event Any server event.
 * @returns `true` for `connection-opened` and `datagram`.
 */
export function isArrival(event: ServerEvent): event is Arrival {
  return event.type === "connection-opened" || event.type === "datagram";
}

/**
 * The most recent arrivals, at most `capacity` of them: a ring that
 * overwrites the oldest, so it costs the same after a billion arrivals as
 * after a hundred.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RecentArrivals } from "./recent_arrivals.ts";
 *
 * const recent = new RecentArrivals(2);
 * const datagram = (port: number) => ({
 *   type: "datagram", time: 0, transport: "udp", listener: "udp://127.0.0.1:7007=echo",
 *   service: "echo", local: { address: "127.0.0.1", port: 7007 },
 *   remote: { address: "127.0.0.1", port }, bytesIn: 1,
 * }) as const;
 * for (const port of [40001, 40002, 40003]) recent.record(datagram(port));
 * assert.deepEqual(recent.list().map((a) => a.remote.port), [40002, 40003]);
 * ```
 */
export class RecentArrivals {
  readonly #ring: Arrival[] = [];
  readonly #capacity: number;
  /** Where the next arrival goes once the ring is full: the oldest one's slot. */
  #next = 0;

  /**
   * Creates an empty ring.
   *
   * @param capacity How many arrivals it keeps. @default 100
   */
  constructor(capacity: number = RECENT_ARRIVALS) {
    this.#capacity = capacity;
  }

  /**
   * Keeps one arrival, forgetting the oldest when full.
   *
   * @param arrival The event.
   */
  record(arrival: Arrival): void {
    if (this.#capacity <= 0) return;
    if (this.#ring.length < this.#capacity) {
      this.#ring.push(arrival);
      return;
    }
    this.#ring[this.#next] = arrival;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /**
   * The arrivals kept, oldest first.
   *
   * @returns A new array.
   */
  list(): Arrival[] {
    return [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
  }
}
