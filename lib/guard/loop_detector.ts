/**
 * A loop between two UDP servers, told by its signature: the same datagram
 * from the same socket name, again and again, as fast as two servers can
 * answer each other. It finds the loops that no port rule can see, such as
 * two servers on ports the OS picked (port 0).
 *
 * @module
 */

import type { SocketName } from "../spec/types.ts";

/** How many identical datagrams from one socket name make a loop. */
export const LOOP_REPEATS = 100;

/** Within how many milliseconds {@linkcode LOOP_REPEATS} identical datagrams make a loop. */
export const LOOP_WINDOW_MS = 1000;

/**
 * How many different datagrams the detector follows per socket name at once:
 * a loop carries as many datagrams as were put into it, each going round.
 */
export const LOOP_PRINTS = 16;

/**
 * How long, in milliseconds, no reply goes to a socket name once it fed a
 * loop. A loop's datagrams come back within a round trip (well under a
 * millisecond on loopback), so every one of them arrives, and dies, in this
 * time; a client that asks again after its own timeout loses one reply.
 */
export const LOOP_QUIET_MS = 50;

/** What {@linkcode LoopDetector.check} found: a trip, the quiet time after one, or neither. */
export type LoopCheck = "trip" | "quiet" | "no";

/** What is remembered of one source socket name. */
interface Source {
  /** The fingerprints of the datagrams followed, at most {@linkcode LOOP_PRINTS}. */
  readonly prints: number[];
  /** How many times each came in its window. */
  readonly counts: number[];
  /** When each one's window began, in milliseconds. */
  readonly since: number[];
  /** When each was last seen, to know which to forget for a new one. */
  readonly seen: number[];
  /** Until when no reply goes to this source, in milliseconds. */
  quietUntil: number;
  /** Until when this source is not counted: it was found to be a client (see {@linkcode LoopDetector.pardon}). */
  pardonUntil: number;
  /** Until when a trip of this source is taken as a loop without asking again ({@linkcode LoopDetector.convict}). */
  convictedUntil: number;
  /** Whether it was seen again since it last came to the front of the map. */
  recent: boolean;
}

/**
 * Watches the datagrams one listener answers, per source socket name, for a
 * loop: the same datagram {@linkcode LOOP_REPEATS} times within
 * {@linkcode LOOP_WINDOW_MS}, among up to {@linkcode LOOP_PRINTS} different
 * ones. muxd's replies depend only on the request, the source and the
 * clock's second, so between two servers that reply to every datagram each
 * datagram in flight comes back exactly, again and again; a client that
 * numbers its requests never repeats one. Once a loop is seen, no reply goes
 * to that source for {@linkcode LOOP_QUIET_MS}: every datagram in flight
 * comes back within that time and is dropped, which ends the loop however
 * many it carried.
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
  #sources = new Map<string, Source>();
  /**
   * The source of the last datagram: a client sends in bursts, and finding
   * it again by its address and port spares building its key and looking
   * it up in the map. Only a new source makes room in the map, and it
   * becomes the last one, so the last one is always in the map.
   */
  #last: { address: string; port: number; source: Source } | null = null;

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
   *   datagram from `remote` within {@linkcode LOOP_WINDOW_MS}, or when
   *   `remote` fed a loop less than {@linkcode LOOP_QUIET_MS} ago.
   */
  feeds(remote: SocketName, request: Uint8Array, now: number = performance.now()): boolean {
    return this.check(remote, request, now) !== "no";
  }

  /**
   * {@linkcode LoopDetector.feeds}, telling a trip from the quiet time after one.
   *
   * @param remote The datagram's source.
   * @param request The datagram.
   * @param now The time in milliseconds. @default performance.now()
   * @returns `"trip"` at the {@linkcode LOOP_REPEATS}th identical datagram
   *   from `remote` within {@linkcode LOOP_WINDOW_MS} (its quiet time begins),
   *   `"quiet"` within {@linkcode LOOP_QUIET_MS} after a trip, and at a trip of
   *   a source {@linkcode LoopDetector.convict}ed until later, else `"no"`.
   */
  check(remote: SocketName, request: Uint8Array, now: number = performance.now()): LoopCheck {
    const print = fingerprint(request);
    const last = this.#last;
    let source: Source | undefined;
    if (last !== null && last.port === remote.port && last.address === remote.address) {
      source = last.source;
    } else {
      const key = remote.address + " " + remote.port;
      source = this.#sources.get(key);
      if (source === undefined) {
        this.#makeRoom();
        source = {
          prints: [print],
          counts: [1],
          since: [now],
          seen: [now],
          quietUntil: -Infinity,
          pardonUntil: -Infinity,
          convictedUntil: -Infinity,
          recent: false,
        };
        this.#sources.set(key, source);
        this.#last = { address: remote.address, port: remote.port, source };
        return "no";
      }
      this.#last = { address: remote.address, port: remote.port, source };
    }
    // A flag, not a re-insertion: moving a key to the map's end on every
    // datagram costs more than all the rest of the guard.
    source.recent = true;
    if (now < source.quietUntil) return "quiet";
    if (now < source.pardonUntil) return "no";
    const { prints, counts, since, seen } = source;
    let i = prints.indexOf(print);
    if (i === -1) {
      if (prints.length < LOOP_PRINTS) {
        prints.push(print), counts.push(1), since.push(now), seen.push(now);
        return "no";
      }
      // Forget the one seen longest ago: a loop's datagrams are seen often.
      i = 0;
      for (let k = 1; k < seen.length; k++) if (seen[k] < seen[i]) i = k;
      prints[i] = print, counts[i] = 1, since[i] = now, seen[i] = now;
      return "no";
    }
    seen[i] = now;
    if (now - since[i] > LOOP_WINDOW_MS) {
      counts[i] = 1, since[i] = now;
      return "no";
    }
    if (++counts[i] < LOOP_REPEATS) return "no";
    // A loop: quiet towards this source, and every count starts again after.
    // One convicted lately is not asked about again.
    this.#quiet(source, now);
    return now < source.convictedUntil ? "quiet" : "trip";
  }

  /**
   * Takes back a trip of `remote`, or a quiet time, and counts nothing from
   * it until `until`: the source was found to be a client that repeats
   * itself, not a server answering muxd. A source not remembered is left
   * alone.
   *
   * @param remote The source.
   * @param until Until when, in the detector's milliseconds; `Infinity` while
   *   muxd finds out, until {@linkcode LoopDetector.pardon} or
   *   {@linkcode LoopDetector.convict} again.
   */
  pardon(remote: SocketName, until: number): void {
    const source = this.#sources.get(remote.address + " " + remote.port);
    if (source === undefined) return;
    source.quietUntil = -Infinity;
    source.pardonUntil = until;
  }

  /**
   * Ends a pardon: `remote` feeds a loop after all, and gets its quiet time
   * from `now`, as at a trip; its trips until `until` are quiet at once
   * (`"quiet"`, not `"trip"`), so that no one asks about it again meanwhile.
   *
   * @param remote The source.
   * @param now The time in the detector's milliseconds.
   * @param until Until when its trips are taken as loops without asking. @default now
   */
  convict(remote: SocketName, now: number, until: number = now): void {
    const source = this.#sources.get(remote.address + " " + remote.port);
    if (source === undefined) return;
    source.pardonUntil = -Infinity;
    source.convictedUntil = until;
    this.#quiet(source, now);
  }

  /** Starts a source's quiet time: no reply for {@linkcode LOOP_QUIET_MS}, every count afresh after. */
  #quiet(source: Source, now: number): void {
    source.quietUntil = now + LOOP_QUIET_MS;
    source.counts.fill(0);
    source.since.fill(now + LOOP_QUIET_MS);
  }

  /**
   * Forgets sources until there is room for one more: the oldest first, but
   * one seen again since gets a second chance at the end of the map (the
   * CLOCK algorithm), which costs each source at most one move per pass.
   */
  #makeRoom(): void {
    while (this.#sources.size >= this.#maxKeys) {
      const [key, oldest] = this.#sources.entries().next().value!;
      this.#sources.delete(key);
      if (oldest.recent) {
        oldest.recent = false;
        this.#sources.set(key, oldest);
      }
    }
  }

  /** How many source socket names it remembers now. */
  get size(): number {
    return this.#sources.size;
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
