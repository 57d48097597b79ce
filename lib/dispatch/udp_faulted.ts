/**
 * The UDP receive loops' path for a socket with faults: each datagram goes
 * through the socket's {@linkcode DatagramFaults} on its way to the
 * service, and each reply on its way to the client. A socket without
 * faults never comes here.
 *
 * @module
 */

import type { BoundUdpSocket } from "../bind/bind.ts";
import { DatagramFaults, type FaultReport } from "../faults/udp_faults.ts";
import type { Service } from "../services/service.ts";
import type { SocketName } from "../spec/types.ts";
import { type DispatchContext, serviceContext } from "./context.ts";
import type { UdpParts } from "./udp_parts.ts";

/**
 * The report of a socket's faults: one `fault` event each.
 *
 * @param bound The socket.
 * @param ctx The running server's parts.
 * @returns The report.
 */
export function faultEvents(bound: BoundUdpSocket, ctx: DispatchContext): FaultReport {
  return (fault, on, remote, detail) =>
    ctx.emit({
      type: "fault",
      time: Date.now(),
      transport: "udp",
      listener: bound.listener.spec,
      service: bound.listener.service,
      local: bound.local,
      remote,
      id: null,
      fault,
      on,
      detail,
    });
}

/** The faulted path of one UDP socket whose service answers each datagram. */
export interface FaultedAnswers {
  /**
   * Passes a datagram that arrived and passed the guards through the
   * request faults to the service, and its replies through the reply faults
   * and the reply guards to the client. `request` is the path's to keep: a
   * copy, not the receive buffer.
   */
  request(request: Uint8Array, from: Deno.Addr, remote: SocketName): void;
  /** Says each datagram still held, and clears its timer. */
  close(): void;
}

/**
 * Builds the faulted path of a UDP socket served by a service's `udp`.
 * Each reply, the second of a duplicate and a late one alike, passes the
 * reply guards when it leaves, as any reply does.
 *
 * @param bound The socket; its `faults` and `listener` are read per datagram.
 * @param ctx The running server's parts.
 * @param parts The socket's events and reply guards.
 * @param answer The service's `udp`.
 * @param wildcard Whether the socket is bound to a wildcard address.
 * @returns The faulted path.
 */
export function faultedAnswers(
  bound: BoundUdpSocket,
  ctx: DispatchContext,
  parts: UdpParts,
  answer: NonNullable<Service["udp"]>,
  wildcard: boolean,
): FaultedAnswers {
  const faults = new DatagramFaults(faultEvents(bound, ctx));
  const { socket, local } = bound;

  /** Sends one reply datagram, through the guards. */
  const send = (request: Uint8Array, reply: Uint8Array, from: Deno.Addr, remote: SocketName) => {
    const out = parts.guarded(request, reply, remote, Date.now());
    if (out === null) return;
    socket.send(out, from).then(
      (sent) => parts.replied(remote, sent),
      (error) => parts.failed(error, remote),
    );
  };
  /** Passes the service's reply through the reply faults. */
  const replyOut = (
    request: Uint8Array,
    reply: Uint8Array,
    from: Deno.Addr,
    remote: SocketName,
  ) => {
    const active = bound.faults;
    if (active === null) send(request, reply, from, remote);
    else faults.pass(active, "reply", remote, reply, (b) => send(request, b, from, remote));
  };
  /** Hands one request, as the faults let it through, to the service. */
  const serve = (request: Uint8Array, from: Deno.Addr, remote: SocketName) => {
    try {
      const serviceCtx = serviceContext(
        bound.listener,
        local,
        wildcard ? null : local,
        remote,
        ctx,
        null,
      );
      const reply = answer(request, serviceCtx);
      if (reply === null) return;
      if (reply instanceof Promise) {
        // Shutdown waits for it, within the grace period.
        const sent = ctx.udpReplies.add();
        reply.then((later) => {
          if (later !== null) replyOut(request, later, from, remote);
        }).catch((error) => parts.failed(error, remote)).finally(sent);
        return;
      }
      replyOut(request, reply, from, remote);
    } catch (error) {
      parts.failed(error, remote);
    }
  };
  return {
    request(request, from, remote) {
      const active = bound.faults;
      if (active === null) serve(request, from, remote);
      else faults.pass(active, "request", remote, request, (b) => serve(b, from, remote));
    },
    close: () => faults.close(),
  };
}
