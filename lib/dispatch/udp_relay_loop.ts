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
import type { SocketName } from "../spec/types.ts";
import type { Suppression } from "../guard/udp_guard.ts";
import { DatagramFaults } from "../faults/udp_faults.ts";
import { faultEvents } from "./udp_faulted.ts";

/** Why a datagram that comes back to a relay it went through gets no answer. */
const RING: Suppression = {
  reason: "loop",
  detail: "it comes from a session socket of this relay's own, or of a relay it reached: " +
    "relaying it would send it round a ring of muxd's relays again",
};

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
  const send = async (client: SocketName, reply: Uint8Array, request: Uint8Array) => {
    const out = parts.guarded(request, reply, client, Date.now());
    if (out === null) return;
    try {
      const to = { transport: "udp", hostname: client.address, port: client.port } as const;
      parts.replied(client, await socket.send(out, to));
    } catch (error) {
      if (!isClosed(error)) parts.failed(error, client);
    }
  };
  // Held datagrams, if a fault holds any: a reload may add faults later.
  const faults = new DatagramFaults(faultEvents(bound, ctx));
  const relay = makeRelay({
    // Read at each event: a reload that changes only the faults gives the
    // socket a new listener, whose spec names them.
    get listener() {
      return bound.listener.spec;
    },
    service: listener.service,
    bound: local,
    options: listener.options,
    emit: ctx.emit,
    sessions: {
      opened: (from, client) => ctx.relayLineage.opened(from, bound, client),
      closed: (from) => ctx.relayLineage.closed(from),
    },
    reply(client, reply, request) {
      const active = bound.faults;
      if (active === null) return send(client, reply, request);
      faults.pass(active, "reply", client, reply, (b) => void send(client, b, request));
      return Promise.resolve();
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
      if (ctx.relayLineage.loops(remote, bound)) {
        parts.refused(remote, request.length, RING);
        continue;
      }
      parts.datagram(remote, request.length);
      // The relay keeps the datagram past the next receive into `buffer`.
      const active = bound.faults;
      if (active === null) relay.relay(request.slice(), remote);
      else faults.pass(active, "request", remote, request.slice(), (b) => relay.relay(b, remote));
    }
  } finally {
    turns.stop();
    faults.close();
    ctx.relays.delete(live);
    await relay.close();
  }
}
