/**
 * A loop between two UDP servers, told by its signature: the same datagram
 * from the same socket name, again and again, as fast as two servers can
 * answer each other. It finds the loops that no port rule can see, such as
 * two servers on ports the OS picked (port 0).
 *
 * @module
 */

import type { SocketName } from "../spec/types.ts";

/** How many identical datagrams in a row from one socket name make a loop. */
export const LOOP_REPEATS = 100;

/** Within how many milliseconds {@linkcode LOOP_REPEATS} identical datagrams make a loop. */
export const LOOP_WINDOW_MS = 1000;

/** What is remembered of one source socket name. */
interface Streak {
  /** The fingerprint of its last datagram. */
  print: number;
  /** How many datagrams in a row had that fingerprint, in this window. */
  count: number;
  /** When the window began, in milliseconds. */
  since: number;
  /** Whether it was seen again since it last came to the front of the map. */
  recent: boolean;
}

/**
 * Watches the datagrams one listener answers, per source socket name, for a
 * loop: {@linkcode LOOP_REPEATS} identical datagrams in a row within
 * {@linkcode LOOP_WINDOW_MS}. muxd's replies depend only on the request, the
 * source and the clock's second, so between two servers that reply to every
 * datagram the exchange soon repeats itself exactly; a client that numbers
 * its requests never repeats one. Dropping one reply ends a loop: nothing is
 * left in flight. So the detector drops that one and starts counting again;
 * it holds nothing against the source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LOOP_REPEATS, LoopDetector } from "./loop_detector.ts";
 * const detector = new LoopDetector();
 * const peer = { address: "127.0.0.1", port: 40000 };
 * const ping = new TextEncoder().encode("ping");
 * for (let i = 1; i < LOOP_REPEATS; i++) assert.equal(detector.feeds(peer, ping, i), false);
 * assert.equal(detector.feeds(peer, ping, LOOP_REPEATS), true);
 * ```
 */
export class LoopDetector {
  readonly #maxKeys: number;
  #streaks = new Map<string, Streak>();

  /**
   * Creates a detector that remembers nothing yet.
   *
   * @param maxKeys How many source socket names to remember. When it is
   *   full, a source not seen again since it was remembered (or since it
   *   last had a second chance) is forgotten first, so a flood of new
   *   sources cannot push out a loop that is going on; forgetting only ever
   *   delays a detection.
   */
  constructor(maxKeys = 10_000) {
    this.#maxKeys = maxKeys;
  }

  /**
   * Records a datagram that is about to be answered and tells whether the
   * answer would feed a loop.
   *
   * @param remote The datagram's source.
   * @param request The datagram.
   * @param now The time in milliseconds. @default performance.now()
   * @returns `true` when this is the {@linkcode LOOP_REPEATS}th identical
   *   datagram in a row from `remote` within {@linkcode LOOP_WINDOW_MS}.
   */
  feeds(remote: SocketName, request: Uint8Array, now: number = performance.now()): boolean {
    const key = remote.address + " " + remote.port;
    const print = fingerprint(request);
    const streak = this.#streaks.get(key);
    if (streak === undefined) {
      this.#makeRoom();
      this.#streaks.set(key, { print, count: 1, since: now, recent: false });
      return false;
    }
    // A flag, not a re-insertion: moving a key to the map's end on every
    // datagram costs more than all the rest of the guard.
    streak.recent = true;
    if (print !== streak.print) {
      streak.print = print;
      streak.count = 1;
      streak.since = now;
      return false;
    }
    if (++streak.count < LOOP_REPEATS) return false;
    const fast = now - streak.since <= LOOP_WINDOW_MS;
    // A new window either way: after the loop is cut, it starts with the next
    // datagram; after a slow streak, with this one.
    streak.count = fast ? 0 : 1;
    streak.since = now;
    return fast;
  }

  /**
   * Forgets sources until there is room for one more: the oldest first, but
   * one seen again since gets a second chance at the end of the map (the
   * CLOCK algorithm), which costs each source at most one move per pass.
   */
  #makeRoom(): void {
    while (this.#streaks.size >= this.#maxKeys) {
      const [key, oldest] = this.#streaks.entries().next().value!;
      this.#streaks.delete(key);
      if (oldest.recent) {
        oldest.recent = false;
        this.#streaks.set(key, oldest);
      }
    }
  }

  /** How many source socket names it remembers now. */
  get size(): number {
    return this.#streaks.size;
  }
}

/**
 * A cheap fingerprint of a datagram, in constant time whatever its size: its
 * length, its first 8 bytes (where clients put sequence numbers), 8 bytes
 * spread over the rest, and its last 4, mixed with FNV-1a. Two different
 * datagrams may share one; a loop repeats the same datagram exactly, so it
 * always does.
 *
 * @param datagram The bytes.
 * @returns A 32-bit number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fingerprint } from "./loop_detector.ts";
 * const text = new TextEncoder();
 * assert.equal(fingerprint(text.encode("seq 1")), fingerprint(text.encode("seq 1")));
 * assert.notEqual(fingerprint(text.encode("seq 1")), fingerprint(text.encode("seq 2")));
 * ```
 */
export function fingerprint(datagram: Uint8Array): number {
  const n = datagram.length;
  let hash = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  const head = n < 8 ? n : 8;
  for (let i = 0; i < head; i++) hash = Math.imul(hash ^ datagram[i], 0x01000193);
  if (n > 8) {
    const step = (n - 8) / 8;
    for (let i = 0; i < 8; i++) {
      hash = Math.imul(hash ^ datagram[8 + Math.floor(i * step)], 0x01000193);
    }
    for (let i = n - 4 > 8 ? n - 4 : 8; i < n; i++) {
      hash = Math.imul(hash ^ datagram[i], 0x01000193);
    }
  }
  return hash >>> 0;
}
