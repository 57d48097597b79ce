/**
 * The UDP guards against the echo/chargen denial-of-service family (CERT
 * CA-1996-01, CVE-1999-0103, "Loop DoS" CVE-2024-2169): no reply that could
 * start or feed a loop, no reply larger than allowed to a source outside
 * loopback, and a reply rate per source.
 *
 * @module
 */

import { defaultEphemeralPorts } from "./ephemeral_ports.ts";
import { parseIPv4, parseIPv6 } from "../spec/ip.ts";
import type { PortRange, SocketName } from "../spec/types.ts";
import { isAllowed, isLoopbackSource } from "./admission.ts";
import { type ListenerLimits, MAX_AMPLIFICATION } from "./limits.ts";
import { LOOP_QUIET_MS, LOOP_REPEATS, LOOP_WINDOW_MS, LoopDetector } from "./loop_detector.ts";
import type { ConnectedPeers } from "./connected_peers.ts";
import { LoopVerdicts, type RelaySockets } from "./loop_verdicts.ts";
import { RateLimiter } from "./rate_limiter.ts";

/** Why a datagram got no reply, or a shorter one. */
export type SuppressReason =
  | "denied" // an allow or deny list
  | "bad-source" // broadcast, multicast, unspecified, port 0
  | "server-port" // a source port below 1024: a server's, not a client's
  | "loop" // muxd's own port, a fixed port on loopback, or a loop's signature
  | "amplification" // the reply would be larger than the request allows
  | "rate" // the source gets replies faster than reply-rate allows
  | "stopping"; // muxd is stopping: the socket is open only for replies already on their way

/** The suppress reasons in plain words, for logs. */
export const SUPPRESS_WORDS: Record<SuppressReason, string> = {
  "denied": "the peer is not in the listener's allow list, or is in its deny list",
  "bad-source": "the source is a broadcast, multicast or unspecified address, or port 0, " +
    "which no real client sends from",
  "server-port": "the source port is below 1024, where servers such as echo (7) and chargen " +
    "(19) live: replying could start a loop between two servers",
  "loop": "replying could start or feed a loop with another UDP server: the source is one of " +
    "muxd's own UDP ports, a port on loopback outside the range the OS gives clients, or it " +
    "sends the same datagram again and again at a loop's pace",
  "amplification": "the reply would be larger than the request times the amplification " +
    "factor, for a source outside loopback",
  "rate": "this source gets replies faster than reply-rate allows",
  "stopping": "muxd is stopping: the socket stays open only for the replies to datagrams that " +
    "came before, within the grace period",
};

/** A datagram that came while muxd stops. */
export const STOPPING: Suppression = { reason: "stopping", detail: SUPPRESS_WORDS.stopping };

/** A suppressed or shortened reply: which guard acted, and its rule in plain words. */
export interface Suppression {
  /** Which guard acted. */
  readonly reason: SuppressReason;
  /** The rule that applied, in plain words. */
  readonly detail: string;
}

/** One {@linkcode Suppression} per reason, in the words of {@linkcode SUPPRESS_WORDS}. */
const SUPPRESSED = Object.fromEntries(
  Object.entries(SUPPRESS_WORDS).map(([reason, detail]) => [reason, { reason, detail }]),
) as Record<SuppressReason, Suppression>;

/** The loop guard's three rules, each in its own words. */
const OWN_PORT: Suppression = {
  reason: "loop",
  detail: "the source is one of muxd's own UDP ports: replying would start a loop",
};
const REPEATED: Suppression = {
  reason: "loop",
  detail: `this source sent the same datagram ${LOOP_REPEATS} times within ` +
    `${LOOP_WINDOW_MS / 1000} s, as two UDP servers answering each other do: no reply goes to ` +
    `it for ${LOOP_QUIET_MS} ms, which ends such a loop (a client that varies its requests ` +
    `never meets this, nor, on loopback, one whose socket is connected to the listener's port ` +
    `or alone on its own port, unshared, beside a listener without reuse=true)`,
};

/** The loop rule of sources on loopback whose port is outside `range`. */
function fixedPort(range: PortRange): Suppression {
  return {
    reason: "loop",
    detail: `the source port is on loopback and outside ${range.first}-${range.last}, the ` +
      `range this host gives clients' sockets: a program chose it, likely another server, and ` +
      `replying could start a loop with it (reply-to=any on the listener serves clients bound ` +
      `to a fixed port)`,
  };
}

/** What the guard knows of a listener: any object unique to it, such as its bound socket. */
export interface GuardedListener {
  /** Its socket name, where it has one: the loop rule asks who is connected to its port. */
  readonly local?: SocketName;
  /**
   * Its plan, where it has one: with `reuse`, other sockets may share its
   * name, and the loop rule spares only clients connected to it.
   */
  readonly listener?: { readonly reuse: boolean };
}

/** What to do with a reply. */
export type ReplyDecision =
  | { readonly send: Uint8Array; readonly cut: boolean }
  | { readonly suppress: Suppression };

/**
 * The guards of one running server's UDP sockets. Created by `start()`.
 */
export class UdpGuard {
  #ownPorts = new Set<number>();
  #ephemeral: PortRange;
  #fixedPort: Suppression;
  #rates = new WeakMap<GuardedListener, RateLimiter>();
  #loops = new WeakMap<GuardedListener, LoopDetector>();
  #verdicts: LoopVerdicts;
  /** The latest wall-clock time given, and how far the wall clock went back in all ({@linkcode UdpGuard.#steady}). */
  #lastWall = -Infinity;
  #wentBack = 0;

  /**
   * Creates the guard for a server's UDP sockets.
   *
   * @param own The socket names of every UDP socket this muxd holds.
   * @param ephemeralPorts Where the OS puts clients' sockets.
   *   @default the OS's default range (Linux: 32768-60999)
   * @param connectedPeers How the clients of a port are looked up (connected
   *   to it, or alone on their own port), to tell a client that repeats
   *   itself on loopback from a loop (`muxd serve` asks `ss`); `null`: never,
   *   every trip is a loop. @default null
   */
  constructor(
    own: readonly SocketName[],
    ephemeralPorts: PortRange = defaultEphemeralPorts(),
    connectedPeers: ConnectedPeers | null = null,
  ) {
    this.#verdicts = new LoopVerdicts(connectedPeers, () => this.#steady(Date.now()));
    this.setOwn(own);
    this.#ephemeral = ephemeralPorts;
    this.#fixedPort = fixedPort(ephemeralPorts);
  }

  /**
   * Tells the loop rule muxd's own relay session sockets (`forward`'s, one
   * per client): a trip of one of them is its client's, whom the relay's
   * own listener holds to the rule, so it is not counted for a while.
   *
   * @param sockets Tells a session socket open now.
   */
  spareRelaySockets(sockets: RelaySockets): void {
    this.#verdicts.spareRelaySockets(sockets);
  }

  /** Ends the loop rule's lookups under way (`ss`) and waits for them: the server is closing. */
  close(): Promise<void> {
    return this.#verdicts.close();
  }

  /**
   * Replaces the set of muxd's own UDP socket names (after a reconfiguration).
   *
   * @param own The socket names of every UDP socket this muxd holds.
   */
  setOwn(own: readonly SocketName[]): void {
    this.#ownPorts = new Set(own.map((n) => n.port));
  }

  /**
   * Replaces the ephemeral port range (once the host's own is read).
   *
   * @param range Where the OS puts clients' sockets.
   */
  setEphemeralPorts(range: PortRange): void {
    this.#ephemeral = range;
    this.#fixedPort = fixedPort(range);
  }

  /**
   * Checks a datagram before its service sees it.
   *
   * @param limits The listener's limits.
   * @param remote The sender.
   * @returns `null` when the service may answer, else why not.
   */
  admit(limits: ListenerLimits, remote: SocketName): Suppression | null {
    if (!isAllowed(limits, remote.address)) return SUPPRESSED.denied;
    if (remote.port === 0 || isBadSource(remote.address)) return SUPPRESSED["bad-source"];
    // Any of muxd's own UDP ports, on any address: this covers muxd's own
    // socket names, and two muxd processes serving the same port on two
    // addresses or hosts.
    if (this.#ownPorts.has(remote.port)) return OWN_PORT;
    if (remote.port < 1024) return SUPPRESSED["server-port"];
    return null;
  }

  /**
   * Decides on a reply the service made. On loopback: none to a source port
   * outside the ephemeral range, unless the listener says `reply-to=any`.
   * Outside loopback: at most the amplification limit (cut when `cuttable`)
   * and the reply rate. Anywhere: none that would feed a loop
   * ({@linkcode LoopDetector}).
   *
   * These rules concern replies, so they apply after the service: a datagram
   * they refuse still reaches its service, and discard, which never replies,
   * sees every datagram.
   *
   * @param listener The listener: any object unique to it, such as its bound socket.
   * @param limits The listener's limits.
   * @param remote The sender.
   * @param request The request.
   * @param reply The service's reply.
   * @param cuttable Whether a shortened reply still makes sense: the service declares
   *   `udpReplyMayBeCut` (chargen does).
   * @param time When the request came, in wall-clock ms (the time of its `datagram`
   *   event). @default Date.now()
   * @returns The reply to send (maybe cut), or why none is sent.
   */
  limitReply(
    listener: GuardedListener,
    limits: ListenerLimits,
    remote: SocketName,
    request: Uint8Array,
    reply: Uint8Array,
    cuttable: boolean,
    time: number = Date.now(),
  ): ReplyDecision {
    const loopback = isLoopbackSource(remote.address);
    // On loopback both ends are this host's: a client's port comes from the
    // ephemeral range, a server's is chosen. Hosts outside loopback have
    // ranges of their own, and NATs rewrite ports, so the rule stops here.
    if (
      loopback && limits.replyTo === "ephemeral" &&
      (remote.port < this.#ephemeral.first || remote.port > this.#ephemeral.last)
    ) {
      return { suppress: this.#fixedPort };
    }
    if (loopback) {
      if (limits.replyRateOnLoopback && !this.#rateOf(listener, limits).take(remote.address)) {
        return { suppress: SUPPRESSED.rate };
      }
      return this.#feedsLoop(listener, remote, request, time, true)
        ? { suppress: REPEATED }
        : { send: reply, cut: false };
    }
    const allowed = Math.floor(request.length * limits.amplification);
    let send = reply;
    if (reply.length > allowed) {
      if (!cuttable || allowed === 0) {
        return { suppress: tooLarge(request.length, reply.length, limits.amplification) };
      }
      send = reply.subarray(0, allowed);
    }
    if (!this.#rateOf(listener, limits).take(remote.address)) return { suppress: SUPPRESSED.rate };
    if (this.#feedsLoop(listener, remote, request, time, false)) return { suppress: REPEATED };
    return { send, cut: send !== reply };
  }

  /** The reply rate of a listener, made at its first reply that meets it. */
  #rateOf(listener: GuardedListener, limits: ListenerLimits): RateLimiter {
    let rate = this.#rates.get(listener);
    if (rate === undefined) {
      rate = new RateLimiter({ rate: limits.replyRate, burst: limits.replyRate * 2 });
      this.#rates.set(listener, rate);
    }
    return rate;
  }

  /**
   * Whether a reply to `request` would feed a loop with `remote` (see
   * {@linkcode LoopDetector}). A trip on loopback is decided by
   * {@linkcode LoopVerdicts}: a client that repeats itself from a connected
   * socket keeps its replies.
   */
  #feedsLoop(
    listener: GuardedListener,
    remote: SocketName,
    request: Uint8Array,
    time: number,
    loopback: boolean,
  ): boolean {
    let loops = this.#loops.get(listener);
    if (loops === undefined) {
      loops = new LoopDetector();
      this.#loops.set(listener, loops);
    }
    const now = this.#steady(time);
    const found = loops.check(remote, request, now);
    if (found !== "trip") return found === "quiet";
    const shared = listener.listener?.reuse ?? false;
    return this.#verdicts.atTrip(loops, remote, now, listener.local, loopback, shared);
  }

  /**
   * Milliseconds that never go back, made of the wall-clock times given:
   * the loop detector's clock. The dispatcher has read the wall clock for
   * the datagram's event already, which spares a `performance.now()` per
   * datagram. Should the wall clock step back (an NTP step), this clock
   * stays where it was until the wall clock has caught up; a step forward
   * is time passing, which only ever ends a window or a quiet time early.
   */
  #steady(time: number): number {
    if (time < this.#lastWall) this.#wentBack += this.#lastWall - time;
    this.#lastWall = time;
    return time + this.#wentBack;
  }
}

/** Broadcast, multicast or unspecified: never a real client's source address. */
function isBadSource(address: string): boolean {
  // The common case, loopback, without parsing: this runs for every datagram.
  if (address.startsWith("127.")) return false;
  const v4 = parseIPv4(address) ?? mappedIPv4(address);
  if (v4 !== null) {
    return v4[0] >= 224 || // multicast 224/4, reserved 240/4, broadcast 255.255.255.255
      (v4[0] === 0 && v4[1] === 0 && v4[2] === 0 && v4[3] === 0);
  }
  const v6 = parseIPv6(address);
  if (v6 === null) return false;
  return v6[0] === 0xff || v6.every((b) => b === 0);
}

function mappedIPv4(address: string): Uint8Array | null {
  return address.startsWith("::ffff:") ? parseIPv4(address.slice(7)) : null;
}

/**
 * An amplification suppression in words for this datagram: the sizes, the
 * factor, and the setting that lets the reply through (found outside
 * loopback only, so it costs nothing on a test suite's path).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tooLarge } from "./udp_guard.ts";
 *
 * assert.equal(
 *   tooLarge(6, 141, 1).detail,
 *   "the reply of 141 B would be more than 1 times the request's 6 B, for a source outside " +
 *     "loopback: ?amplification=24 lets it through",
 * );
 * ```
 */
export function tooLarge(requestBytes: number, replyBytes: number, factor: number): Suppression {
  const needed = requestBytes === 0 ? Infinity : Math.ceil(replyBytes / requestBytes);
  return {
    reason: "amplification",
    detail: `the reply of ${replyBytes} B would be more than ${factor} times the request's ` +
      `${requestBytes} B, for a source outside loopback: ` +
      (needed <= MAX_AMPLIFICATION
        ? `?amplification=${needed} lets it through`
        : requestBytes === 0
        ? "an empty request gets no reply"
        : `no amplification setting (at most ${MAX_AMPLIFICATION}) lets it through`),
  };
}
