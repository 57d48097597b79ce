/**
 * What the UDP loop rule decides at a trip on loopback: a client that
 * repeats itself, or a loop. A client of the listener's port keeps its
 * replies: a socket connected to it (`nc -u`, socat, Python's socket with
 * `connect()`), which takes datagrams from muxd alone, or, beside a listener
 * that shares its port with no one, one alone on its own port that lets no
 * one share it (`sendto()`), in whose name no other program could have sent
 * (see `connected_peers.ts`); so does one of muxd's own relay sockets, whose
 * client the relay's listener holds to the rule. Any other source is a loop.
 *
 * @module
 */

import type { SocketName } from "../spec/types.ts";
import { type ConnectedPeers, peerKey, type PortClients } from "./connected_peers.ts";
import type { LoopDetector } from "./loop_detector.ts";

/**
 * How long, in ms, the loop rule keeps what it found of a source: a client
 * is not counted, another source's trips are loops without asking again;
 * then its next trip asks again.
 */
export const LOOP_VERDICT_MS = 10_000;

/**
 * How long, in ms, replies to a source that tripped go on while muxd asks
 * who it is; with no answer by then, it is taken for a loop.
 */
export const LOOKUP_MAX_MS = 1000;

/** Tells one of muxd's own relay session sockets. */
export interface RelaySockets {
  /** Whether `source` is a session socket open now. */
  has(source: SocketName): boolean;
}

/**
 * The verdicts of one running server's loop rule, and the lookups under way.
 *
 * @example A connected client keeps its replies
 * ```ts
 * import assert from "node:assert/strict";
 * import { LoopDetector, LOOP_REPEATS } from "./loop_detector.ts";
 * import { LoopVerdicts } from "./loop_verdicts.ts";
 *
 * const client = { address: "127.0.0.1", port: 40000 };
 * const verdicts = new LoopVerdicts(() => Promise.resolve(new Set(["127.0.0.1 40000"])), () => 0);
 * const detector = new LoopDetector();
 * const ping = new TextEncoder().encode("ping");
 * for (let i = 1; i < LOOP_REPEATS; i++) detector.check(client, ping, 0);
 * assert.equal(detector.check(client, ping, 0), "trip");
 * const local = { address: "127.0.0.1", port: 7007 };
 * assert.equal(verdicts.atTrip(detector, client, 0, local, true), false); // no reply lost
 * await verdicts.close();
 * ```
 */
export class LoopVerdicts {
  readonly #peers: ConnectedPeers | null;
  readonly #now: () => number;
  #relaySockets: RelaySockets | null = null;
  readonly #closing = new AbortController();
  /** The lookups under way, each settled once its lookup has. */
  readonly #asking = new Set<Promise<void>>();
  /** Gives each verdict still to come now, as no answer. */
  readonly #ending = new Set<() => void>();

  /**
   * Creates the verdicts of a server that has decided nothing yet.
   *
   * @param peers Looks up the clients of a port; `null`: never, every trip is a loop.
   * @param now The loop detector's clock, for answers that come later.
   */
  constructor(peers: ConnectedPeers | null, now: () => number) {
    this.#peers = peers;
    this.#now = now;
  }

  /**
   * Tells muxd's own relay session sockets.
   *
   * @param sockets Tells a session socket open now.
   */
  spareRelaySockets(sockets: RelaySockets): void {
    this.#relaySockets = sockets;
  }

  /**
   * Decides a trip of `remote` (its quiet time begun by `detector`).
   *
   * @param detector The listener's loop detector, which tripped.
   * @param remote The source.
   * @param now The detector's time of the trip.
   * @param local The listener's socket name, when known.
   * @param loopback Whether the source is on loopback.
   * @param listenerShared Whether the listener lets other sockets share its
   *   name (`?reuse=true`). @default false
   * @returns `true` when the reply is suppressed (a loop), `false` when it
   *   goes: a client, or muxd asks first.
   */
  atTrip(
    detector: LoopDetector,
    remote: SocketName,
    now: number,
    local: SocketName | undefined,
    loopback: boolean,
    listenerShared = false,
  ): boolean {
    if (this.#relaySockets?.has(remote)) {
      detector.pardon(remote, now + LOOP_VERDICT_MS);
      return false;
    }
    if (!loopback || local === undefined || this.#peers === null) return true;
    if (this.#closing.signal.aborted) return true;
    // A lookup that throws at once is a defect of the lookup: it reaches the
    // datagram's error boundary, and this trip counts as a loop.
    const asked = this.#peers(local.port, this.#closing.signal, listenerShared);
    detector.pardon(remote, Infinity);
    // The verdict comes with the answer, or at LOOKUP_MAX_MS (no answer: a
    // loop), or at the close; an answer that comes later and finds a client
    // still pardons it.
    let decided = false;
    const decide = (peers: PortClients | null) => {
      const client = peers?.has(peerKey(remote)) ?? false;
      if (decided && !client) return;
      decided = true;
      clearTimeout(timer);
      this.#ending.delete(end);
      const later = this.#now();
      if (client) detector.pardon(remote, later + LOOP_VERDICT_MS);
      else detector.convict(remote, later, later + LOOP_VERDICT_MS);
    };
    const end = () => decide(null);
    const timer = setTimeout(end, LOOKUP_MAX_MS);
    this.#ending.add(end);
    // The close waits for the lookup itself, not only for the verdict.
    const answered = asked.then(decide, () => decide(null));
    this.#asking.add(answered);
    answered.finally(() => this.#asking.delete(answered));
    return false;
  }

  /**
   * Ends the lookups under way and waits for them to end (for at most
   * {@linkcode LOOKUP_MAX_MS}: a lookup must settle once its signal is
   * aborted, and `ss` does at once); trips after it are loops.
   */
  async close(): Promise<void> {
    this.#closing.abort();
    for (const end of [...this.#ending]) end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => timer = setTimeout(resolve, LOOKUP_MAX_MS));
    await Promise.race([Promise.all(this.#asking), late]);
    clearTimeout(timer);
  }
}
