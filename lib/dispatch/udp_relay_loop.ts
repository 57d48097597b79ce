/**
 * The UDP side of dispatch for a relay service (`forward`): the same receive
 * loop and guards as every UDP listener, but each datagram goes to the
 * service's {@linkcode DatagramRelay}, whose replies come later and go back
 * through the same guards.
 *
 * @module
 */

import type { BoundUdpSocket } from "../bind/bind.ts";
import { type DispatchContext, isClosed } from "./context.ts";
import { socketNameOf } from "../spec/socket_name.ts";
import { udpParts } from "./udp_parts.ts";
import { EventLoopTurns } from "./event_loop_turns.ts";
import type { DatagramRelay, RelayHost } from "../services/relay.ts";

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
  const mayCut = ctx.services[listener.service].capabilities?.udpReplyMayBeCut ?? false;
  const parts = udpParts(bound, ctx, mayCut);
  const relay = makeRelay({
    listener: listener.spec,
    service: listener.service,
    bound: local,
    options: listener.options,
    emit: ctx.emit,
    async reply(client, reply, request) {
      const out = parts.guarded(request, reply, client, Date.now());
      if (out === null) return;
      try {
        const to = { transport: "udp", hostname: client.address, port: client.port } as const;
        parts.replied(client, await socket.send(out, to));
      } catch (error) {
        if (!isClosed(error)) parts.failed(error, client);
      }
    },
  });
  const live = { local, relay };
  ctx.relays.add(live);
  // As in receiveLoop: a flood must not hold up every other socket.
  const turns = new EventLoopTurns();
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
      if (!parts.admitted(remote, request.length)) continue;
      parts.datagram(remote, request.length);
      // The relay keeps the datagram past the next receive into `buffer`.
      relay.relay(request.slice(), remote);
    }
  } finally {
    turns.stop();
    ctx.relays.delete(live);
    await relay.close();
  }
}
