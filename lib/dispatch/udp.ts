/**
 * The UDP side of dispatch: one receive loop per socket, and exactly one
 * error boundary per datagram. One datagram in gives at most one reply out.
 *
 * @module
 */

import type { BoundUdpSocket } from "../bind/bind.ts";
import { type DispatchContext, serviceContext } from "./context.ts";
import { socketNameOf } from "../spec/socket_name.ts";
import { isWildcard } from "../spec/ip.ts";
import { udpParts } from "./udp_parts.ts";
import { EventLoopTurns } from "./event_loop_turns.ts";
import { relayLoop } from "./udp_relay_loop.ts";
import { type FaultedAnswers, faultedAnswers } from "./udp_faulted.ts";
import { STOPPING } from "../guard/udp_guard.ts";

/** The largest UDP payload over IPv4 or IPv6 without jumbograms. */
export const MAX_DATAGRAM = 65_535;

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
  const { socket, local } = bound;
  const service = ctx.services[bound.listener.service];
  if (service.udpRelay !== undefined) return relayLoop(bound, ctx, buffer, service.udpRelay);
  const answer = service.udp!;
  const mayCut = service.capabilities?.udpReplyMayBeCut ?? false;
  // On a socket bound to the wildcard (?wildcard=kernel), which local address
  // a datagram was sent to is unknown: Deno does not expose IP_PKTINFO. A
  // service must not pretend to know.
  const wildcard = isWildcard(local.address);
  const parts = udpParts(bound, ctx, mayCut);
  // A UDP flood must not hold up every other socket's turn.
  const turns = new EventLoopTurns();
  // Made at the first datagram that meets faults: a reload may add them.
  let faulted: FaultedAnswers | null = null;
  try {
    for (;;) {
      const turn = turns.due();
      if (turn !== null) await turn;
      let request: Uint8Array;
      let from: Deno.Addr;
      try {
        [request, from] = await socket.receive(buffer);
      } catch (error) {
        if (parts.failed(error, null)) return;
        continue;
      }
      const remote = socketNameOf(from as Deno.NetAddr);
      // Stopping, the socket is open only for the replies on their way.
      if (ctx.signal.aborted) {
        parts.refused(remote, request.length, STOPPING);
        continue;
      }
      // Checked before the service sees a byte: a datagram that could start a
      // loop, or from a peer the listener refuses, is dropped here.
      if (!parts.admitted(remote, request.length)) continue;
      try {
        const time = parts.datagram(remote, request.length);
        if (bound.faults !== null) {
          faulted ??= faultedAnswers(bound, ctx, parts, answer, wildcard);
          faulted.request(request.slice(), from, remote);
          continue;
        }
        const serviceCtx = serviceContext(
          bound.listener,
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
          // Shutdown waits for it, within the grace period.
          const copy = request.slice();
          const sent = ctx.udpReplies.add();
          reply.then(async (later) => {
            const out = later === null ? null : parts.guarded(copy, later, remote, Date.now());
            if (out !== null) parts.replied(remote, await socket.send(out, from));
          }).catch((error) => parts.failed(error, remote)).finally(sent);
          continue;
        }
        const out = parts.guarded(request, reply, remote, time);
        if (out !== null) parts.replied(remote, await socket.send(out, from));
      } catch (error) {
        if (parts.failed(error, remote)) return;
      }
    }
  } finally {
    turns.stop();
    faulted?.close();
  }
}
