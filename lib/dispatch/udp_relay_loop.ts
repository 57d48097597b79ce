/**
 * The UDP side of dispatch for a relay service (`forward`): the same receive
 * loop and guards as every UDP listener, but each datagram goes to the
 * service's {@linkcode DatagramRelay}, whose replies come later and go back
 * through the same guards.
 *
 * @module
 */

import type { BoundUdpSocket } from "../bind/bind.ts";
import { describeError, type DispatchContext, isClosed } from "./context.ts";
import { socketNameOf } from "../spec/socket_name.ts";
import type { Suppression } from "../guard/udp_guard.ts";
import type { SocketName } from "../spec/types.ts";
import type { DatagramRelay, RelayHost } from "../services/relay.ts";

/** How often, in datagrams, the loop checks whether it has held the event loop too long. */
const CHECK_EVERY = 16;

/** How long, in ms, it may handle queued datagrams before the event loop turns. */
const TURN_MS = 20;

/**
 * Receives datagrams until the socket is closed, handing each that passes
 * the guards to the relay; then closes the relay, ending its sessions.
 *
 * @param bound The bound UDP socket.
 * @param ctx The running server's parts.
 * @param buffer Where datagrams are received.
 * @param makeRelay The service's `udpRelay`.
 */
export async function relayLoop(
  bound: BoundUdpSocket,
  ctx: DispatchContext,
  buffer: Uint8Array,
  makeRelay: (host: RelayHost) => DatagramRelay,
): Promise<void> {
  const { listener, socket, local } = bound;
  const base = {
    transport: "udp",
    listener: listener.spec,
    service: listener.service,
    local,
  } as const;
  const suppress = (remote: SocketName, bytesIn: number, { reason, detail }: Suppression) =>
    ctx.emit({
      type: "reply-suppressed",
      time: Date.now(),
      ...base,
      remote,
      reason,
      detail,
      bytesIn,
      bytesOut: 0,
    });
  const relay = makeRelay({
    listener: listener.spec,
    service: listener.service,
    bound: local,
    options: listener.options,
    emit: ctx.emit,
    async reply(client, reply, request) {
      const decision = ctx.udpGuard.limitReply(
        bound,
        listener.limits,
        client,
        request,
        reply,
        false,
      );
      if ("suppress" in decision) return suppress(client, request.length, decision.suppress);
      try {
        const sent = await socket.send(decision.send, {
          transport: "udp",
          hostname: client.address,
          port: client.port,
        });
        ctx.emit({ type: "reply", time: Date.now(), ...base, remote: client, bytesOut: sent });
      } catch (error) {
        if (isClosed(error)) return;
        ctx.emit({
          type: "error",
          time: Date.now(),
          ...base,
          remote: client,
          id: null,
          ...describeError(error),
        });
      }
    },
  });
  try {
    let turn = performance.now();
    for (let n = 1;; n++) {
      // As in receiveLoop: a flood must not hold up every other socket.
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
      const refusal = ctx.udpGuard.admit(listener.limits, remote);
      if (refusal !== null) {
        suppress(remote, request.length, refusal);
        continue;
      }
      ctx.emit({ type: "datagram", time: Date.now(), ...base, remote, bytesIn: request.length });
      // The relay keeps the datagram past the next receive into `buffer`.
      relay.relay(request.slice(), remote);
    }
  } finally {
    await relay.close();
  }
}
