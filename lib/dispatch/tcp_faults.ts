/**
 * A TCP connection with faults, as dispatch runs it: its faults drawn at
 * accept, their events, and the service served through them (or not at all,
 * for a hang).
 *
 * @module
 */

import type { ActiveFaults } from "../faults/active.ts";
import { FaultEndedError, FaultyStream } from "../faults/faulty_stream.ts";
import type { SocketEnd } from "../faults/socket_end.ts";
import { acceptedFaults, planTcpConnection, type TcpFaultPlan } from "../faults/tcp_plan.ts";
import type { TcpFaultKind } from "../events/fault_events.ts";
import type { Service, ServiceContext, TcpOutcome } from "../services/service.ts";
import type { OpenConnection } from "./connections.ts";
import type { CountingStream } from "./counting_stream.ts";
import { linger } from "../services/linger.ts";
import type { DispatchContext } from "./context.ts";
import type { PlannedListener } from "../plan/plan.ts";
import type { SocketName } from "../spec/types.ts";

/**
 * Draws the faults of the listener's next connection.
 *
 * @param active The listener's faults now (read for each connection: a reload may replace them).
 * @returns The connection's faults, or `null` when it gets none.
 */
export function drawTcpFaults(active: ActiveFaults): TcpFaultPlan | null {
  const { faults } = active;
  return faults.transport === "tcp" ? planTcpConnection(faults.tcp, active.nextConnection()) : null;
}

/** What {@linkcode serveWithFaults} works with. */
export interface FaultedConnection {
  /** Its faults. */
  readonly plan: TcpFaultPlan;
  /** Who closes or resets its socket: the connection table's entry closes through it. */
  readonly socket: SocketEnd;
  /** The connection as muxd counts its bytes. */
  readonly stream: CountingStream;
  /** Its entry in the connection table. */
  readonly entry: OpenConnection;
  /** When it was accepted (`performance.now()`). */
  readonly startedMs: number;
  /** The listener's idle limit, which ends a hang. */
  readonly idleMs: number;
  /** Emits one `fault` event for this connection. */
  readonly report: (fault: TcpFaultKind, detail: string) => void;
}

/**
 * Serves a connection through its faults. A hang serves nothing: it waits
 * until the idle sweep (or shutdown) closes the socket. Otherwise the
 * service talks to a {@linkcode FaultyStream}, and what muxd accepted of
 * its writes is out before this returns. A close fault half-closes at once and then drains
 * what the client still sends, as a lingering close does, so that its
 * reply is not lost to a reset.
 *
 * @param c The connection and its faults.
 * @param service The listener's service.
 * @param ctx What the service knows about the connection.
 * @returns What the service returned.
 * @throws {FaultEndedError} When a reset or close fault ended the connection.
 * @throws {Deno.errors.Interrupted} When a hung connection was closed.
 * @throws Whatever the service throws otherwise.
 */
export async function serveWithFaults(
  c: FaultedConnection,
  service: Service,
  ctx: ServiceContext,
): Promise<void | TcpOutcome> {
  for (const { fault, detail } of acceptedFaults(c.plan, c.idleMs)) c.report(fault, detail);
  if (c.plan.hang) {
    // Neither read, write nor close: the idle sweep closes the socket.
    await c.socket.closed;
    throw new Deno.errors.Interrupted("the hung connection was closed");
  }
  const faulty = new FaultyStream({
    source: c.stream,
    buffers: ctx.buffers,
    socket: c.socket,
    plan: c.plan,
    startedMs: c.startedMs,
    report: c.report,
  });
  let outcome: void | TcpOutcome = undefined;
  try {
    outcome = await service.tcp!(faulty, ctx);
    // What muxd accepted of the service's writes goes out before the close,
    // as bytes the kernel took do without faults, even when the service
    // returned with a write still waiting (chargen at its time cap): that
    // write stops, what latency holds of it goes out. The idle limit and
    // shutdown still end it; what the line then holds is counted dropped.
    await faulty.finish();
  } catch (error) {
    if (faulty.end === null) throw error;
  } finally {
    faulty.release();
  }
  if (faulty.end === null) return outcome;
  if (faulty.end.lingers) {
    try {
      await linger(faulty.lingering(), c.entry);
    } catch (error) {
      // The close turned whole while muxd lingered (the client was not
      // reading): the half-close it waited on failed with the socket.
      if (faulty.end.lingers) throw error;
    }
  }
  throw new FaultEndedError(faulty.end.detail);
}

/**
 * Where a connection's faults report: one `fault` event each time one is
 * chosen at accept or acts.
 *
 * @param ctx The running server's parts.
 * @param listener The connection's listener.
 * @param local The connection's local socket name.
 * @param remote The client's socket name.
 * @param id The connection's id.
 * @returns The reporter.
 */
export function faultReporter(
  ctx: DispatchContext,
  listener: PlannedListener,
  local: SocketName,
  remote: SocketName,
  id: number,
): (fault: TcpFaultKind, detail: string) => void {
  return (fault, detail) =>
    ctx.emit({
      type: "fault",
      time: Date.now(),
      transport: "tcp",
      listener: listener.spec,
      service: listener.service,
      fault,
      local,
      remote,
      id,
      on: null,
      detail,
    });
}
