/**
 * The UDP guards against the echo/chargen denial-of-service family (CERT
 * CA-1996-01, CVE-1999-0103, "Loop DoS" CVE-2024-2169): no reply that could
 * start a loop, no reply larger than allowed to a source outside loopback,
 * and a reply rate per source.
 *
 * @module
 */

import { isLoopback, parseIPv4, parseIPv6 } from "../spec/ip.ts";
import type { SocketName } from "../spec/types.ts";
import { isAllowed } from "./admission.ts";
import type { ListenerLimits } from "./limits.ts";
import { RateLimiter } from "./rate_limiter.ts";

/** Why a datagram got no reply, or a shorter one. */
export type SuppressReason =
  | "denied" // an allow or deny list
  | "bad-source" // broadcast, multicast, unspecified, port 0
  | "server-port" // a source port below 1024: a server's, not a client's
  | "loop" // the source is one of muxd's own UDP sockets or ports
  | "amplification" // the reply would be larger than the request allows
  | "rate"; // the source gets replies faster than reply-rate allows

/** The suppress reasons in plain words, for logs. */
export const SUPPRESS_WORDS: Record<SuppressReason, string> = {
  "denied": "the peer is not in the listener's allow list, or is in its deny list",
  "bad-source": "the source is a broadcast, multicast or unspecified address, or port 0, " +
    "which no real client sends from",
  "server-port": "the source port is below 1024, where servers such as echo (7) and chargen " +
    "(19) live: replying could start a loop between two servers",
  "loop": "the source is one of muxd's own UDP ports: replying would start a loop",
  "amplification": "the reply would be larger than the request times the amplification " +
    "factor, for a source outside loopback",
  "rate": "this source outside loopback gets replies faster than reply-rate allows",
};

/** What to do with a reply. */
export type ReplyDecision =
  | { readonly send: Uint8Array; readonly cut: boolean }
  | { readonly suppress: SuppressReason };

/**
 * The guards of one running server's UDP sockets. Created by `start()`.
 */
export class UdpGuard {
  #ownPorts = new Set<number>();
  #rates = new Map<object, RateLimiter>();

  /**
   * Creates the guard for a server's UDP sockets.
   *
   * @param own The socket names of every UDP socket this muxd holds.
   */
  constructor(own: readonly SocketName[]) {
    this.setOwn(own);
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
   * Checks a datagram before its service sees it.
   *
   * @param limits The listener's limits.
   * @param remote The sender.
   * @returns `null` when the service may answer, else why not.
   */
  admit(limits: ListenerLimits, remote: SocketName): SuppressReason | null {
    if (!isAllowed(limits, remote.address)) return "denied";
    if (remote.port === 0 || isBadSource(remote.address)) return "bad-source";
    // Any of muxd's own UDP ports, on any address: this covers muxd's own
    // socket names, and two muxd processes serving the same port on two
    // addresses or hosts.
    if (this.#ownPorts.has(remote.port)) return "loop";
    if (remote.port < 1024) return "server-port";
    return null;
  }

  /**
   * Applies the amplification limit and the reply rate to a reply for a
   * source outside loopback; loopback sources get the reply as it is.
   *
   * @param listener The listener: any object unique to it, such as its bound socket.
   * @param limits The listener's limits.
   * @param remote The sender.
   * @param requestLength The request's size.
   * @param reply The service's reply.
   * @param cuttable Whether a shortened reply still makes sense (chargen).
   * @returns The reply to send (maybe cut), or why none is sent.
   */
  limitReply(
    listener: object,
    limits: ListenerLimits,
    remote: SocketName,
    requestLength: number,
    reply: Uint8Array,
    cuttable: boolean,
  ): ReplyDecision {
    if (remote.address.startsWith("127.") || isLoopback(remote.address)) {
      return { send: reply, cut: false };
    }
    const allowed = Math.floor(requestLength * limits.amplification);
    let send = reply;
    if (reply.length > allowed) {
      if (!cuttable || allowed === 0) return { suppress: "amplification" };
      send = reply.subarray(0, allowed);
    }
    let rate = this.#rates.get(listener);
    if (rate === undefined) {
      rate = new RateLimiter({ rate: limits.replyRate, burst: limits.replyRate * 2 });
      this.#rates.set(listener, rate);
    }
    if (!rate.take(remote.address)) return { suppress: "rate" };
    return { send, cut: send !== reply };
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
