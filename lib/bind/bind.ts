/**
 * Binding: turning planned listeners into open sockets, reporting every
 * failure rather than the first.
 *
 * @module
 */

import type { PlannedListener } from "../plan/plan.ts";
import type { SocketName } from "../spec/types.ts";
import { wildcardGroup } from "../plan/udp_wildcard.ts";
import { ActiveFaults } from "../faults/active.ts";
import { needsReset } from "../plan/plan.ts";
import { listenNodeTcp } from "./node_tcp.ts";
import type { TcpListener } from "./tcp_listener.ts";

/** An open TCP listener and the listener plan it was bound for. */
export interface BoundTcpSocket {
  /** Always TCP. */
  readonly transport: "tcp";
  /**
   * What was planned. A reload that changes only the listener's faults
   * puts the new plan here, for the connections that arrive next.
   */
  listener: PlannedListener;
  /**
   * The open listener: Deno's, or node's where the listener's faults reset
   * connections (see {@linkcode needsReset}).
   */
  readonly socket: TcpListener;
  /** The bound socket name, port 0 resolved. */
  readonly local: SocketName;
  /** The listener's faults while it runs, or `null` for none; replaced with `listener`. */
  faults: ActiveFaults | null;
}

/** An open UDP socket and the listener plan it was bound for. */
export interface BoundUdpSocket {
  /** Always UDP. */
  readonly transport: "udp";
  /**
   * What was planned. A reload that changes only the listener's faults
   * puts the new plan here, for the datagrams that arrive next.
   */
  listener: PlannedListener;
  /** The open socket. */
  readonly socket: Deno.DatagramConn;
  /** The bound socket name, port 0 resolved. */
  readonly local: SocketName;
  /** The listener's faults while it runs, or `null` for none; replaced with `listener`. */
  faults: ActiveFaults | null;
}

/** An open socket and the listener it was bound for. */
export type BoundSocket = BoundTcpSocket | BoundUdpSocket;

/**
 * A listener the OS (or Deno's permissions) refused to bind, and the error
 * it threw. An explainer turns it into a {@linkcode BindError}.
 */
export interface FailedBind {
  /** The listener. */
  readonly listener: PlannedListener;
  /** The error `Deno.listen` or `Deno.listenDatagram` threw. */
  readonly cause: unknown;
}

/**
 * Binds one listener. A TCP listener whose faults reset connections is
 * bound with node:net, whose connections can send a reset; every other
 * with `Deno.listen`.
 *
 * @param listener What to bind.
 * @returns The open socket.
 * @throws {Error} The error `Deno.listen` or `Deno.listenDatagram` threw when
 *   the OS (or Deno's permissions) refuses, such as `Deno.errors.AddrInUse`.
 */
export function bindOne(listener: PlannedListener): BoundSocket {
  const { hostname, port, reuse } = listener;
  if (listener.transport === "tcp") {
    const socket = needsReset(listener)
      ? listenNodeTcp(hostname, port, reuse)
      : Deno.listen({ transport: "tcp", hostname, port, reusePort: reuse });
    return {
      transport: "tcp",
      listener,
      socket,
      local: nameOf(socket.addr),
      faults: startFaults(listener),
    };
  }
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname,
    port,
    reuseAddress: reuse,
  });
  const local = nameOf(socket.addr as Deno.NetAddr);
  return { transport: "udp", listener, socket, local, faults: startFaults(listener) };
}

/**
 * Starts a listener's faults, with their seed, or `null` when it has none.
 *
 * @param listener The listener.
 * @returns Its faults while it runs.
 */
export function startFaults(listener: PlannedListener): ActiveFaults | null {
  return listener.faults === null ? null : new ActiveFaults(listener.faults);
}

/** What {@linkcode bindAll} bound and what it could not. */
export interface BindResult {
  /** The sockets that are open, in plan order. */
  readonly bound: readonly BoundSocket[];
  /** One entry per listener that failed, in plan order. */
  readonly failures: readonly FailedBind[];
}

/**
 * Tries to bind every listener, going on past failures. The sockets of one
 * UDP wildcard bound per address share one port: with port 0, the others
 * take the port the OS picked for the first (or the port given in
 * `groupPorts`), and the whole group starts again on a new port when one of
 * them finds it taken.
 *
 * @param listeners What to bind.
 * @param groupPorts Ports that groups of sockets already hold, by
 *   `wildcardGroup()` key: a reload binds a new address of a running
 *   wildcard on the port its sockets have.
 * @returns The open sockets and every failure.
 *
 * @example A port that is taken
 * ```ts
 * import { bindAll } from "./bind.ts";
 * import { buildPlan } from "../plan/mod.ts";
 * import assert from "node:assert/strict";
 *
 * using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { plan } = buildPlan([{
 *   text: `tcp://127.0.0.1:${held.addr.port}=echo`,
 *   source: { kind: "argument", index: 2 },
 * }]);
 * const { bound, failures } = bindAll(plan.listeners);
 * assert.equal(bound.length, 0);
 * assert.ok(failures[0].cause instanceof Deno.errors.AddrInUse);
 * ```
 */
export function bindAll(
  listeners: readonly PlannedListener[],
  groupPorts: ReadonlyMap<string, number> = new Map(),
): BindResult {
  const bound: BoundSocket[] = [];
  const failures: FailedBind[] = [];
  const groups = new Map<string, PlannedListener[]>();
  for (const l of listeners) {
    const key = l.port === 0 ? wildcardGroup(l) : null;
    if (key !== null) groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const done = new Set<string>();
  for (const listener of listeners) {
    const key = listener.port === 0 ? wildcardGroup(listener) : null;
    if (key !== null) {
      if (done.has(key)) continue;
      done.add(key);
      const group = bindGroup(groups.get(key)!, groupPorts.get(key));
      bound.push(...group.bound);
      failures.push(...group.failures);
      continue;
    }
    try {
      bound.push(bindOne(listener));
    } catch (cause) {
      failures.push({ listener, cause });
    }
  }
  return { bound, failures };
}

/** How many ports a group of port-0 sockets tries before it gives up. */
const GROUP_TRIES = 8;

/**
 * Binds the sockets of one port-0 wildcard group on one port: `port` if
 * given, else the one the OS picks for the first socket.
 */
function bindGroup(members: readonly PlannedListener[], port: number | undefined): BindResult {
  for (let attempt = 1;; attempt++) {
    const bound: BoundSocket[] = [];
    const failures: FailedBind[] = [];
    let shared = port;
    for (const listener of members) {
      try {
        const socket = bindOne(shared === undefined ? listener : { ...listener, port: shared });
        shared ??= socket.local.port;
        bound.push({ ...socket, listener } as BoundSocket);
      } catch (cause) {
        failures.push({ listener, cause });
      }
    }
    // A port the OS picked for the first socket may be taken on another
    // address: the whole group tries a new one. A given port stays.
    const taken = failures.some((f) => f.cause instanceof Deno.errors.AddrInUse);
    if (!taken || port !== undefined || bound.length === 0 || attempt === GROUP_TRIES) {
      return { bound, failures };
    }
    for (const b of bound) b.socket.close();
  }
}

function nameOf(addr: Deno.NetAddr): SocketName {
  return { address: addr.hostname, port: addr.port };
}
