/**
 * What the UDP faults do to datagrams: drop, truncate, corrupt, duplicate,
 * reorder and delay them, with the random choices of the socket's faults.
 * One {@linkcode DatagramFaults} per UDP socket holds the datagrams that
 * wait (for a delay, or for later ones to go ahead) and says each fault it
 * applies.
 *
 * @module
 */

import type { SocketName } from "../spec/types.ts";
import type { UdpFaultKind } from "../events/fault_events.ts";
import type { ActiveFaults } from "./active.ts";
import { REORDER_MAX_MS, type UdpFaults } from "./faults.ts";

/** Which datagrams: the client's requests, or the replies to them. */
export type DatagramWay = "request" | "reply";

/**
 * Says one fault a datagram met.
 *
 * @param fault What the fault did.
 * @param on Whether it hit a request or a reply.
 * @param remote The client.
 * @param detail What it did, in plain words: `cut from 100 B to 10 B`.
 */
export type FaultReport = (
  fault: UdpFaultKind,
  on: DatagramWay,
  remote: SocketName,
  detail: string,
) => void;

/** The most bytes one socket's faults hold back at once; past it a datagram is dropped. */
export const MAX_HELD_BYTES = 32 * 1024 * 1024;

/** A datagram held back by `reorder` until later ones go ahead of it. */
interface Held {
  readonly remote: SocketName;
  readonly bytes: number;
  /** How many later datagrams go ahead of it (`reorder-window`). */
  readonly window: number;
  /** How many of them are still to go. */
  ahead: number;
  readonly timer: ReturnType<typeof setTimeout>;
  /** Sends it (after its delay, if it has one). */
  readonly release: () => void;
}

/** A datagram waiting for its delay. */
interface Delayed {
  readonly on: DatagramWay;
  readonly remote: SocketName;
  readonly bytes: number;
  readonly ms: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Tells whether a socket's faults hit this way's datagrams (`faults-on`).
 *
 * @param faults The UDP faults.
 * @param on The way.
 * @returns `true` when they do.
 */
export function faultsHit(faults: UdpFaults, on: DatagramWay): boolean {
  return faults.on === "both" || faults.on === on;
}

/**
 * The faults of one UDP socket's datagrams. Each datagram that
 * {@linkcode DatagramFaults.pass} gets draws from the socket's one random
 * stream ({@linkcode ActiveFaults.datagrams}), in this fixed order, one
 * draw per fault set: drop, truncate, corrupt (then which byte, and its
 * mask), duplicate, reorder, delay, jitter. The same seed and the same
 * datagrams in the same order give the same faults.
 *
 * - drop: the datagram is not delivered.
 * - truncate: a datagram longer than N bytes is cut to N.
 * - corrupt: one random byte is XORed with a random non-zero mask.
 * - duplicate: it is delivered twice.
 * - reorder: it is held until `reorder-window` later datagrams the same way
 *   (on this socket, from any client) went ahead of it, at most
 *   {@linkcode REORDER_MAX_MS}; then it goes. It is never lost.
 * - delay, jitter: it is delivered `delay ± jitter` ms later (never below
 *   0; without `delay`, `0 ± jitter`). Delayed datagrams do not keep their
 *   order, as on a real network.
 *
 * Each fault applied is said once through the report. Nothing is lost
 * silently: {@linkcode DatagramFaults.close} says each datagram still held.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ActiveFaults, DatagramFaults, faultsFrom } from "./mod.ts";
 *
 * const active = new ActiveFaults(faultsFrom({ duplicate: "1", seed: "1" }, "udp")!);
 * const said: string[] = [];
 * const faults = new DatagramFaults((fault, on) => said.push(`${fault} ${on}`));
 * const got: Uint8Array[] = [];
 * const client = { address: "127.0.0.1", port: 40000 };
 * faults.pass(active, "request", client, new Uint8Array([1]), (bytes) => got.push(bytes));
 * assert.equal(got.length, 2);
 * assert.deepEqual(said, ["duplicate request"]);
 * faults.close();
 * ```
 */
export class DatagramFaults {
  #report: FaultReport;
  #held: Record<DatagramWay, Held[]> = { request: [], reply: [] };
  #delayed = new Set<Delayed>();
  #heldBytes = 0;
  #closed = false;

  /**
   * Starts the faults of a socket, with nothing held.
   *
   * @param report Says each fault applied.
   */
  constructor(report: FaultReport) {
    this.#report = report;
  }

  /** How many datagrams wait now, for a delay or for reorder. */
  get waiting(): number {
    return this.#delayed.size + this.#held.request.length + this.#held.reply.length;
  }

  /**
   * Passes one datagram through the faults: `deliver` is called for it
   * none, one or two times, now or later. A datagram that waits is copied
   * first, so `bytes` may be a view into a buffer the caller reuses.
   *
   * @param active The socket's faults now (a reload may replace them).
   * @param on Whether it is a request or a reply.
   * @param remote The client it comes from or goes to.
   * @param bytes The datagram.
   * @param deliver Sends it on: to the service (a request), to the client (a reply).
   */
  pass(
    active: ActiveFaults,
    on: DatagramWay,
    remote: SocketName,
    bytes: Uint8Array,
    deliver: (bytes: Uint8Array) => void,
  ): void {
    const faults = active.faults;
    if (faults.transport !== "udp" || !faultsHit(faults.udp, on)) {
      deliver(bytes);
      this.#wentAhead(on);
      return;
    }
    const f = faults.udp;
    const random = active.datagrams;
    if (random.chance(f.drop)) {
      this.#report("drop", on, remote, `dropped ${bytes.length} B`);
      return;
    }
    let out = bytes;
    if (f.truncate !== null && random.chance(f.truncate.chance) && out.length > f.truncate.value) {
      this.#report("truncate", on, remote, `cut from ${out.length} B to ${f.truncate.value} B`);
      out = out.subarray(0, f.truncate.value);
    }
    if (random.chance(f.corrupt) && out.length > 0) {
      const at = random.below(out.length);
      const mask = 1 + random.below(255);
      // A copy: the bytes may be a service's own (chargen's line cache).
      out = out.slice();
      out[at] ^= mask;
      this.#report("corrupt", on, remote, `byte ${at} of ${out.length} XOR 0x${hex(mask)}`);
    }
    const twice = random.chance(f.duplicate);
    if (twice) this.#report("duplicate", on, remote, `sent twice`);
    const held = random.chance(f.reorder);
    let ms = f.delay !== null && random.chance(f.delay.chance) ? f.delay.value : 0;
    if (f.jitterMs > 0) ms = Math.max(0, ms + (random.next() * 2 - 1) * f.jitterMs);
    ms = Math.round(ms);
    const send = (bytes: Uint8Array) => {
      deliver(bytes);
      if (twice) deliver(bytes.slice());
    };
    if (!held && ms === 0) {
      send(out);
      this.#wentAhead(on);
      return;
    }
    if (this.#closed) {
      this.#report("drop", on, remote, `not sent: the listener closed`);
      return;
    }
    if (this.#heldBytes + out.length > MAX_HELD_BYTES) {
      const full = `${MAX_HELD_BYTES / 1024 / 1024} MiB already wait on this socket`;
      this.#report("drop", on, remote, `not held for ${held ? "reorder" : "delay"}: ${full}`);
      return;
    }
    // A copy, unless corrupt made one: `bytes` (and a cut of it) may be a
    // buffer the caller receives into again.
    const kept = out.buffer === bytes.buffer ? out.slice() : out;
    const later = ms === 0 ? () => send(kept) : () => this.#delay(on, remote, kept, ms, send);
    if (held) this.#hold(on, remote, kept.length, f.reorderWindow, later);
    else {
      later();
      this.#wentAhead(on);
    }
  }

  /**
   * Stops holding datagrams: each one still waiting is said (as a `drop`:
   * the listener closed before it went) and its timer cleared. A datagram
   * passed after this goes at once or is said dropped, never held.
   */
  close(): void {
    this.#closed = true;
    for (const d of this.#delayed) {
      clearTimeout(d.timer);
      this.#report(
        "drop",
        d.on,
        d.remote,
        `not sent: the listener closed during its ${d.ms} ms delay`,
      );
    }
    this.#delayed.clear();
    for (const on of ["request", "reply"] as const) {
      for (const h of this.#held[on]) {
        clearTimeout(h.timer);
        this.#report("drop", on, h.remote, `not sent: the listener closed while reorder held it`);
      }
      this.#held[on] = [];
    }
    this.#heldBytes = 0;
  }

  /** Sends `bytes` after `ms`. */
  #delay(
    on: DatagramWay,
    remote: SocketName,
    bytes: Uint8Array,
    ms: number,
    send: (bytes: Uint8Array) => void,
  ): void {
    this.#report("delay", on, remote, `sent ${ms} ms late`);
    const delayed: Delayed = {
      on,
      remote,
      bytes: bytes.length,
      ms,
      timer: setTimeout(() => {
        this.#delayed.delete(delayed);
        this.#heldBytes -= bytes.length;
        send(bytes);
      }, ms),
    };
    this.#delayed.add(delayed);
    this.#heldBytes += bytes.length;
  }

  /** Holds a datagram until `window` later ones went ahead, or {@linkcode REORDER_MAX_MS}. */
  #hold(on: DatagramWay, remote: SocketName, bytes: number, window: number, go: () => void): void {
    const held: Held = {
      remote,
      bytes,
      window,
      ahead: window,
      timer: setTimeout(() => this.#release(on, held), REORDER_MAX_MS),
      release: go,
    };
    this.#held[on].push(held);
    this.#heldBytes += bytes;
  }

  /** Counts one more datagram gone ahead of those held this way, releasing those it was the last of. */
  #wentAhead(on: DatagramWay): void {
    const held = this.#held[on];
    if (held.length === 0) return;
    for (const h of [...held]) {
      if (--h.ahead === 0) this.#release(on, h);
    }
  }

  /** Sends a held datagram: its window went ahead of it, or it waited its longest. */
  #release(on: DatagramWay, held: Held): void {
    const list = this.#held[on];
    const i = list.indexOf(held);
    if (i === -1) return;
    list.splice(i, 1);
    clearTimeout(held.timer);
    this.#heldBytes -= held.bytes;
    const gone = held.window - held.ahead;
    this.#report(
      "reorder",
      on,
      held.remote,
      held.ahead === 0
        ? `held back until ${plural(gone, "later datagram")} went ahead`
        : `held back ${REORDER_MAX_MS} ms, the longest it waits (${gone} of ${
          plural(held.window, "later datagram")
        } went ahead)`,
    );
    held.release();
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
