/**
 * What the accept and receive loops share with the server that runs them.
 *
 * @module
 */

import type { EventSink, EventWanted } from "../events/event.ts";
import type { ServiceName } from "../services/names.ts";
import type { Service, ServiceContext } from "../services/service.ts";
import type { PlannedListener } from "../plan/plan.ts";
import type { SocketName } from "../spec/types.ts";
import type { ConnectionTable } from "./connections.ts";
import type { Admission } from "../guard/admission.ts";
import type { UdpGuard } from "../guard/udp_guard.ts";
import type { BufferPool } from "../services/buffer_pool.ts";
import type { ProcessTable } from "../services/process_table.ts";
import type { TimeoutSignals } from "../services/timeout_signals.ts";
import type { LiveRelay } from "./live_traffic.ts";
import type { RelayLineage } from "./relay_lineage.ts";
import type { RepliesOnTheWay } from "./replies_on_the_way.ts";

/** The running server's parts that every loop uses. Created by `start()`. */
export interface DispatchContext {
  /** Where events go. */
  readonly emit: EventSink;
  /** Whether events of a type go anywhere now: a datagram's events are made only if so. */
  readonly wanted: EventWanted;
  /** The clock services read. */
  readonly now: () => Date;
  /** Aborted when the server starts shutting down. */
  readonly signal: AbortSignal;
  /** The open TCP connections. */
  readonly connections: ConnectionTable;
  /** Hands out connection ids, 1, 2, 3, … */
  readonly nextId: () => number;
  /** TCP admission: access lists and connection limits. */
  readonly admission: Admission;
  /** The UDP guards. */
  readonly udpGuard: UdpGuard;
  /** The service implementations, by name. */
  readonly services: Readonly<Record<ServiceName, Service>>;
  /** The large read buffers, shared by every connection. */
  readonly buffers: BufferPool;
  /** The programs exec runs. */
  readonly processes: ProcessTable;
  /** Timeout signals shared by every connection, such as forward's connect-timeout. */
  readonly timeouts: TimeoutSignals;
  /** The UDP relays serving now, one per bound socket, for their sessions' live counts. */
  readonly relays: Set<LiveRelay>;
  /** The UDP relays' session sockets, to tell a ring of relays. */
  readonly relayLineage: RelayLineage;
  /** The socket's UDP replies on their way, which shutdown waits for within its grace. */
  readonly udpReplies: RepliesOnTheWay;
}

/**
 * What a service is told about one connection or datagram.
 *
 * @param listener The listener it arrived on.
 * @param bound The listening socket's name.
 * @param local The local socket name it arrived on, or `null` when unknown.
 * @param remote The peer.
 * @param ctx The running server's parts.
 * @param id The connection's id, or `null` for a datagram.
 * @returns The service context.
 */
export function serviceContext(
  listener: PlannedListener,
  bound: SocketName,
  local: SocketName | null,
  remote: SocketName,
  ctx: DispatchContext,
  id: number | null = null,
): ServiceContext {
  return {
    transport: listener.transport,
    local,
    bound,
    remote,
    listener: listener.spec,
    service: listener.service,
    options: listener.options,
    now: ctx.now,
    signal: ctx.signal,
    buffers: ctx.buffers,
    id,
    emit: ctx.emit,
    processes: ctx.processes,
    timeouts: ctx.timeouts,
  };
}

/**
 * Tells whether an error means the peer went away (reset, closed mid-write),
 * which ends a conversation but is not the service's fault.
 *
 * @param error Any thrown value.
 * @returns `true` for a reset, broken pipe or aborted connection.
 */
export function isPeerGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.UnexpectedEof;
}

/**
 * Tells whether an error means the socket was closed under a pending call
 * (the listener was closed): the loop ends quietly.
 *
 * @param error Any thrown value.
 * @returns `true` for `BadResource` and `Interrupted`.
 */
export function isClosed(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted;
}
