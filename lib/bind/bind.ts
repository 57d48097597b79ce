/**
 * Binding: turning planned listeners into open sockets, reporting every
 * failure rather than the first.
 *
 * @module
 */

import type { PlannedListener } from "../plan/plan.ts";
import type { SocketName } from "../spec/types.ts";
import { BindError } from "./bind_error.ts";

/** An open TCP listener and the listener plan it was bound for. */
export interface BoundTcpSocket {
  /** Always TCP. */
  readonly transport: "tcp";
  /** What was planned. */
  readonly listener: PlannedListener;
  /** The open listener. */
  readonly socket: Deno.TcpListener;
  /** The bound socket name, port 0 resolved. */
  readonly local: SocketName;
}

/** An open UDP socket and the listener plan it was bound for. */
export interface BoundUdpSocket {
  /** Always UDP. */
  readonly transport: "udp";
  /** What was planned. */
  readonly listener: PlannedListener;
  /** The open socket. */
  readonly socket: Deno.DatagramConn;
  /** The bound socket name, port 0 resolved. */
  readonly local: SocketName;
}

/** An open socket and the listener it was bound for. */
export type BoundSocket = BoundTcpSocket | BoundUdpSocket;

/**
 * Binds one listener.
 *
 * @param listener What to bind.
 * @returns The open socket.
 * @throws {BindError} When the OS (or Deno's permissions) refuses.
 */
export function bindOne(listener: PlannedListener): BoundSocket {
  const { hostname, port, reuse } = listener;
  try {
    if (listener.transport === "tcp") {
      const socket = Deno.listen({ transport: "tcp", hostname, port, reusePort: reuse });
      return { transport: "tcp", listener, socket, local: nameOf(socket.addr) };
    }
    const socket = Deno.listenDatagram({
      transport: "udp",
      hostname,
      port,
      reuseAddress: reuse,
    });
    return { transport: "udp", listener, socket, local: nameOf(socket.addr as Deno.NetAddr) };
  } catch (error) {
    throw new BindError(listener, error);
  }
}

/** What {@linkcode bindAll} bound and what it could not. */
export interface BindResult {
  /** The sockets that are open, in plan order. */
  readonly bound: readonly BoundSocket[];
  /** One error per listener that failed, in plan order. */
  readonly failures: readonly BindError[];
}

/**
 * Tries to bind every listener, going on past failures.
 *
 * @param listeners What to bind.
 * @returns The open sockets and every failure.
 */
export function bindAll(listeners: readonly PlannedListener[]): BindResult {
  const bound: BoundSocket[] = [];
  const failures: BindError[] = [];
  for (const listener of listeners) {
    try {
      bound.push(bindOne(listener));
    } catch (error) {
      if (!(error instanceof BindError)) throw error;
      failures.push(error);
    }
  }
  return { bound, failures };
}

function nameOf(addr: Deno.NetAddr): SocketName {
  return { address: addr.hostname, port: addr.port };
}
