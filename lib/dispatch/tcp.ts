/**
 * The TCP side of dispatch: one accept loop per listener, and exactly one
 * error boundary per connection.
 *
 * @module
 */

import type { BoundTcpSocket } from "../bind/bind.ts";
import type { TcpConnection } from "../bind/tcp_listener.ts";
import type { CloseReason } from "../events/event.ts";
import { elapsedMs } from "../events/elapsed.ts";
import { type DispatchContext, isPeerGone, serviceContext } from "./context.ts";
import { describeError } from "../events/error_fields.ts";
import { acceptErrorKind, errorCode } from "../bind/accept_error.ts";
import { AcceptPause } from "./accept_pause.ts";
import { linger } from "../services/linger.ts";
import { socketNameOf } from "../spec/socket_name.ts";
import { CountingStream } from "./counting_stream.ts";
import { REFUSAL_WORDS } from "../guard/admission.ts";
import type { SocketName } from "../spec/types.ts";
import { UpstreamError } from "../services/upstream_error.ts";
import type { TcpOutcome } from "../services/service.ts";
import { FaultEndedError } from "../faults/faulty_stream.ts";
import { SocketEnd } from "../faults/socket_end.ts";
import { drawTcpFaults, faultReporter, serveWithFaults } from "./tcp_faults.ts";

/**
 * Accepts connections until the listener is closed, handing each to the
 * listener's service. Resolves once the listener is closed; every accepted
 * connection is tracked in `ctx.connections`.
 *
 * @param bound The bound TCP listener.
 * @param ctx The running server's parts.
 */
export async function acceptLoop(bound: BoundTcpSocket, ctx: DispatchContext): Promise<void> {
  const pause = new AcceptPause(bound, ctx);
  for (;;) {
    let conn: TcpConnection;
    try {
      conn = await bound.socket.accept();
    } catch (error) {
      if (ctx.signal.aborted) return;
      switch (acceptErrorKind(error)) {
        case "closed":
          return;
        case "connection":
          // One client reset or aborted its connection while it waited in the
          // kernel's queue: that connection is gone, the listener is not.
          ctx.emit({
            type: "connection-aborted",
            time: Date.now(),
            transport: "tcp",
            listener: bound.listener.spec,
            service: bound.listener.service,
            local: bound.local,
            name: describeError(error).name,
          });
          continue;
        case "exhausted":
          // Out of file descriptors or memory: accepting again at once would
          // fail again. Wait, say so now and then, and retry.
          await pause.failed(errorCode(error)!);
          continue;
        case "other": {
          // Unknown, so perhaps lasting: the same pause as for exhaustion
          // keeps it from spinning the loop, and its warning from flooding
          // the log, while it lasts.
          const { name, message } = describeError(error);
          await pause.failed(errorCode(error) ?? name, message);
          continue;
        }
      }
    }
    pause.accepted();
    const accepted = performance.now();
    const remote = socketNameOf(conn.remoteAddr);
    const refusal = ctx.admission.admit(bound, bound.listener.limits, remote.address, accepted);
    if (refusal !== null) {
      conn.close();
      ctx.emit({
        type: "connection-refused",
        time: Date.now(),
        transport: "tcp",
        listener: bound.listener.spec,
        service: bound.listener.service,
        local: localName(conn, bound),
        remote,
        reason: refusal,
        detail: REFUSAL_WORDS[refusal],
      });
      continue;
    }
    serveConnection(conn, remote, bound, ctx, accepted);
  }
}

/** The one error boundary of a connection. Never rejects. */
async function serveConnection(
  conn: TcpConnection,
  remote: SocketName,
  bound: BoundTcpSocket,
  ctx: DispatchContext,
  started: number,
): Promise<void> {
  const { listener } = bound;
  const stream = new CountingStream(conn);
  const id = ctx.nextId();
  // Read for each connection: a reload may change the faults. Without
  // faults, or when this connection drew none, it is served as if the
  // feature did not exist.
  const faults = bound.faults === null ? null : drawTcpFaults(bound.faults);
  const socket = faults === null ? null : new SocketEnd(conn);
  const entry = ctx.connections.add(socket ?? conn, stream, listener.limits.idleMs, started, id);
  const local = localName(conn, bound);
  const serviceCtx = serviceContext(listener, bound.local, local, remote, ctx, id);
  let reason: CloseReason = "done";
  // For reason `upstream`: what the relay's upstream did; for `fault`: which fault.
  let detail: string | undefined;
  // What the service adds to the closing event (exec: its program's exit).
  let outcome: TcpOutcome | void = undefined;
  // Each event is one literal that names every field, with no shared base
  // spread into it: V8 builds such a literal in one step, where a spread
  // copies it field by field, and this runs twice for every connection.
  ctx.emit({
    type: "connection-opened",
    time: Date.now(),
    transport: "tcp",
    listener: listener.spec,
    service: listener.service,
    id,
    local,
    remote,
    bound: bound.local,
  });
  try {
    outcome = faults === null
      ? await ctx.services[listener.service].tcp!(stream, serviceCtx)
      : await serveWithFaults(
        {
          plan: faults,
          socket: socket!,
          stream,
          entry,
          startedMs: started,
          idleMs: listener.limits.idleMs,
          report: faultReporter(ctx, listener, local, remote, id),
        },
        ctx.services[listener.service],
        serviceCtx,
      );
    // A service done before its client (daytime answers without reading)
    // lingers, so that closing with unread bytes cannot reset the reply away.
    // One that was still reading (chargen drops what it reads) leaves
    // nothing unread, and its client may not be reading at all. What muxd
    // drains then is not the service's, and is counted apart.
    if (!stream.ended && !stream.reading) {
      stream.beginDrain();
      await linger(stream, entry);
    } else if (ctx.signal.aborted && stream.reading) {
      // One that stopped for muxd's shutdown while its client still sent
      // (chargen stops at once) was ended by muxd, not finished.
      reason = "shutdown";
    }
  } catch (error) {
    if (entry.forced) {
      reason = "shutdown";
    } else if (entry.idle) {
      reason = "idle";
    } else if (error instanceof FaultEndedError) {
      reason = "fault";
      detail = error.message;
    } else if (isPeerGone(error)) {
      reason = "reset";
    } else if (error instanceof UpstreamError) {
      reason = "upstream";
      detail = error.message;
    } else {
      reason = "error";
      const { name, message } = describeError(error);
      ctx.emit({
        type: "error",
        time: Date.now(),
        transport: "tcp",
        listener: listener.spec,
        service: listener.service,
        id,
        local,
        remote,
        name,
        message,
      });
    }
  } finally {
    if (entry.forced) reason = "shutdown";
    else if (entry.idle) reason = "idle";
    entry.close();
    ctx.admission.release(bound, remote.address);
    // A write the service left in flight (chargen at its time cap) may have
    // reached the kernel: its bytes reach the client, so they count. The
    // close above ends any that still waits.
    await stream.settled();
    ctx.emit({
      type: "connection-closed",
      time: Date.now(),
      transport: "tcp",
      listener: listener.spec,
      service: listener.service,
      id,
      local,
      remote,
      bytesIn: stream.serviceIn,
      bytesOut: stream.bytesOut,
      drained: stream.drained > 0 ? stream.drained : undefined,
      droppedIn: stream.droppedIn > 0 ? stream.droppedIn : undefined,
      droppedOut: stream.droppedOut > 0 ? stream.droppedOut : undefined,
      durationMs: elapsedMs(started),
      reason,
      // Only an upstream's failure and a fault have words of their own.
      detail: reason === "upstream" || reason === "fault" ? detail : undefined,
      exit: outcome?.exit,
    });
    // Out of the table only now: a shutdown waits for the table to empty,
    // and its last line must come after this connection's.
    ctx.connections.release(entry);
  }
}

/**
 * The local socket name of an accepted connection: the listener's own,
 * unless it listens on a wildcard address, where each connection has the
 * address it was sent to.
 */
function localName(conn: TcpConnection, bound: BoundTcpSocket): SocketName {
  const addr = conn.localAddr;
  return addr.hostname === bound.local.address && addr.port === bound.local.port
    ? bound.local
    : socketNameOf(addr);
}
