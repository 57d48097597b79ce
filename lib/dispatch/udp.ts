/**
 * The UDP side of dispatch: one receive loop per socket, and exactly one
 * error boundary per datagram. One datagram in gives at most one reply out.
 *
 * @module
 */

import type { BoundUdpSocket } from "../bind/bind.ts";
import { describeError, type DispatchContext, isClosed, serviceContext } from "./context.ts";
import { socketNameOf } from "../spec/socket_name.ts";
import { isWildcard } from "../spec/ip.ts";
import { SUPPRESS_WORDS, type Suppression } from "../guard/udp_guard.ts";
import type { SocketName } from "../spec/types.ts";
import { relayLoop } from "./udp_relay_loop.ts";

/** The largest UDP payload over IPv4 or IPv6 without jumbograms. */
export const MAX_DATAGRAM = 65_535;

/** A reply cut to the amplification limit. */
const CUT: Suppression = { reason: "amplification", detail: SUPPRESS_WORDS.amplification };

/** How often, in datagrams, a socket checks whether it has held the event loop too long. */
const CHECK_EVERY = 16;

/** How long, in ms, a socket may handle queued datagrams before the event loop turns. */
const TURN_MS = 20;

/**
 * Receives datagrams until the socket is closed, handing each to the
 * listener's service and sending its reply, if any, back to the sender.
 *
 * @param bound The bound UDP socket.
 * @param ctx The running server's parts.
 * @param buffer Where datagrams are received, {@linkcode MAX_DATAGRAM} bytes.
 */
export async function receiveLoop(
  bound: BoundUdpSocket,
  ctx: DispatchContext,
  buffer: Uint8Array = new Uint8Array(MAX_DATAGRAM),
): Promise<void> {
  const { listener, socket, local } = bound;
  const service = ctx.services[listener.service];
  if (service.udpRelay !== undefined) return relayLoop(bound, ctx, buffer, service.udpRelay);
  const answer = service.udp!;
  const mayCut = service.capabilities?.udpReplyMayBeCut ?? false;
  // On a socket bound to the wildcard (?wildcard=kernel), which local address
  // a datagram was sent to is unknown: Deno does not expose IP_PKTINFO. A
  // service must not pretend to know.
  const wildcard = isWildcard(local.address);
  const base = {
    transport: "udp",
    listener: listener.spec,
    service: listener.service,
    local,
  } as const;
  // No reply, or a shorter one: counted, and said why.
  const suppress = (
    remote: SocketName,
    bytesIn: number,
    { reason, detail }: Suppression,
    bytesOut: number,
  ) =>
    ctx.emit({
      type: "reply-suppressed",
      time: Date.now(),
      ...base,
      remote,
      reason,
      detail,
      bytesIn,
      bytesOut,
    });
  // The reply as the guards let it go to the sender, or `null` when they
  // suppress it (said why); a cut reply is said too.
  const guarded = (
    request: Uint8Array,
    reply: Uint8Array,
    remote: SocketName,
  ): Uint8Array | null => {
    const decision = ctx.udpGuard.limitReply(
      bound,
      listener.limits,
      remote,
      request,
      reply,
      mayCut,
    );
    if ("suppress" in decision) {
      suppress(remote, request.length, decision.suppress, 0);
      return null;
    }
    if (decision.cut) suppress(remote, request.length, CUT, decision.send.length);
    return decision.send;
  };
  const replied = (remote: SocketName, bytesOut: number) =>
    ctx.emit({ type: "reply", time: Date.now(), ...base, remote, bytesOut });
  // A datagram's failure, as an event; `true` when it means the socket is closing.
  const failed = (error: unknown, remote: SocketName): boolean => {
    if (error instanceof Deno.errors.BadResource && ctx.signal.aborted) return true;
    ctx.emit({
      type: "error",
      time: Date.now(),
      ...base,
      remote,
      id: null,
      ...describeError(error),
    });
    return false;
  };
  let turn = performance.now();
  for (let n = 1;; n++) {
    // While datagrams are queued, each receive() completes at once, without
    // a turn of the event loop; give other sockets theirs now and then, or a
    // UDP flood would hold up every TCP accept.
    if (n % CHECK_EVERY === 0 && performance.now() - turn > TURN_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      turn = performance.now();
    }
    let request: Uint8Array;
    let from: Deno.Addr;
    try {
      [request, from] = await socket.receive(buffer);
    } catch (error) {
      if (isClosed(error) || ctx.signal.aborted) return;
      ctx.emit({
        type: "error",
        time: Date.now(),
        ...base,
        remote: null,
        id: null,
        ...describeError(error),
      });
      continue;
    }
    const remote = socketNameOf(from as Deno.NetAddr);
    // Checked before the service sees a byte: a datagram that could start a
    // loop, or from a peer the listener refuses, is dropped here.
    const refusal = ctx.udpGuard.admit(listener.limits, remote);
    if (refusal !== null) {
      suppress(remote, request.length, refusal, 0);
      continue;
    }
    try {
      ctx.emit({ type: "datagram", time: Date.now(), ...base, remote, bytesIn: request.length });
      const serviceCtx = serviceContext(
        listener,
        local,
        wildcard ? null : local,
        remote,
        ctx,
        null,
      );
      const reply = answer(request, serviceCtx);
      if (reply === null) continue;
      if (reply instanceof Promise) {
        // A reply that takes its time (exec's program) is sent when it
        // comes, while the socket goes on receiving.
        const copy = request.slice();
        reply.then(async (later) => {
          const out = later === null ? null : guarded(copy, later, remote);
          if (out !== null) replied(remote, await socket.send(out, from));
        }).catch((error) => failed(error, remote));
        continue;
      }
      const out = guarded(request, reply, remote);
      if (out !== null) replied(remote, await socket.send(out, from));
    } catch (error) {
      if (failed(error, remote)) return;
    }
  }
}
