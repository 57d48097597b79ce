/**
 * What every UDP receive loop shares, per listening socket: its events
 * (datagram, reply, suppressed or cut reply, error) and the guards a reply
 * passes. Built once per socket; each datagram only calls them.
 *
 * @module
 */

import type { BoundUdpSocket } from "../bind/bind.ts";
import { type DispatchContext, isClosed } from "./context.ts";
import { describeError } from "../events/error_fields.ts";
import { SUPPRESS_WORDS, type Suppression } from "../guard/udp_guard.ts";
import type { SocketName } from "../spec/types.ts";

/** A reply cut to the amplification limit. */
const CUT: Suppression = { reason: "amplification", detail: SUPPRESS_WORDS.amplification };

/** One UDP socket's events and reply guard. */
export interface UdpParts {
  /** A datagram arrived from `remote`; returns the time of its event (wall-clock ms). */
  datagram(remote: SocketName, bytesIn: number): number;
  /**
   * Checks a datagram from `remote` before the service sees a byte; `true`
   * when it may go on, else its suppression is said.
   */
  admitted(remote: SocketName, bytesIn: number): boolean;
  /** Says that a datagram from `remote` gets no answer, and why (for a check of the caller's own). */
  refused(remote: SocketName, bytesIn: number, why: Suppression): void;
  /**
   * The reply as the guards let it go to `remote`, or `null` when they
   * suppress it; a suppressed or cut reply is said, with why. `time` is when
   * the request came, as {@linkcode UdpParts.datagram} gave it, or the time now.
   */
  guarded(
    request: Uint8Array,
    reply: Uint8Array,
    remote: SocketName,
    time: number,
  ): Uint8Array | null;
  /** A reply of `bytesOut` bytes went to `remote`. */
  replied(remote: SocketName, bytesOut: number): void;
  /**
   * A datagram's handling (`remote`), or the receive itself (`null`), failed:
   * `true` when that is the socket closing, else said as an error event.
   */
  failed(error: unknown, remote: SocketName | null): boolean;
}

/**
 * Builds the parts of one UDP socket.
 *
 * @param bound The socket and its listener.
 * @param ctx The running server's parts.
 * @param mayCut Whether the service's replies may be cut to the amplification limit.
 * @returns Its parts.
 */
export function udpParts(bound: BoundUdpSocket, ctx: DispatchContext, mayCut: boolean): UdpParts {
  // The listener is read at each event: a reload that changes only its
  // faults gives the socket a new one, with the spec text that names them.
  const { local } = bound;
  const { wanted } = ctx;
  const suppress = (
    remote: SocketName,
    bytesIn: number,
    { reason, detail }: Suppression,
    bytesOut: number,
  ) =>
    ctx.emit({
      type: "reply-suppressed",
      time: Date.now(),
      transport: "udp",
      listener: bound.listener.spec,
      service: bound.listener.service,
      local,
      remote,
      reason,
      detail,
      bytesIn,
      bytesOut,
    });
  return {
    // The two events of every datagram spell their fields out, in the order
    // of the others: a spread in the middle of a literal copies property by property.
    // Each is made only if something takes it: the log, by default, takes no `reply`.
    datagram(remote, bytesIn) {
      const time = Date.now();
      if (!wanted("datagram")) return time;
      ctx.emit({
        type: "datagram",
        time,
        transport: "udp",
        listener: bound.listener.spec,
        service: bound.listener.service,
        local,
        remote,
        bytesIn,
      });
      return time;
    },
    admitted(remote, bytesIn) {
      const refusal = ctx.udpGuard.admit(bound.listener.limits, remote);
      if (refusal === null) return true;
      suppress(remote, bytesIn, refusal, 0);
      return false;
    },
    refused: (remote, bytesIn, why) => suppress(remote, bytesIn, why, 0),
    guarded(request, reply, remote, time) {
      const decision = ctx.udpGuard.limitReply(
        bound,
        bound.listener.limits,
        remote,
        request,
        reply,
        mayCut,
        time,
      );
      if ("suppress" in decision) {
        suppress(remote, request.length, decision.suppress, 0);
        return null;
      }
      if (decision.cut) suppress(remote, request.length, CUT, decision.send.length);
      return decision.send;
    },
    replied(remote, bytesOut) {
      if (!wanted("reply")) return;
      ctx.emit({
        type: "reply",
        time: Date.now(),
        transport: "udp",
        listener: bound.listener.spec,
        service: bound.listener.service,
        local,
        remote,
        bytesOut,
      });
    },
    failed(error, remote) {
      // A reply on its way when muxd closed the socket (its listener removed,
      // or muxd stopping) cannot be sent: what ended it is said already.
      const closing = remote === null
        ? isClosed(error) || ctx.signal.aborted
        : error instanceof Deno.errors.BadResource &&
          (ctx.signal.aborted || ctx.udpReplies.closed);
      if (closing) return true;
      ctx.emit({
        type: "error",
        time: Date.now(),
        transport: "udp",
        listener: bound.listener.spec,
        service: bound.listener.service,
        local,
        remote,
        id: null,
        ...describeError(error),
      });
      return false;
    },
  };
}
