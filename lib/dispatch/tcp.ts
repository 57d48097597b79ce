/**
 * The TCP side of dispatch: one accept loop per listener, and exactly one
 * error boundary per connection.
 *
 * @module
 */

import type { BoundTcpSocket } from "../bind/bind.ts";
import type { CloseReason } from "../events/event.ts";
import type { ServiceContext } from "../services/service.ts";
import { describeError, type DispatchContext, isPeerGone, socketName } from "./context.ts";
import { CountingStream } from "./counting_stream.ts";

/**
 * Accepts connections until the listener is closed, handing each to the
 * listener's service. Resolves once the listener is closed; every accepted
 * connection is tracked in `ctx.connections`.
 *
 * @param bound The bound TCP listener.
 * @param ctx The running server's parts.
 */
export async function acceptLoop(bound: BoundTcpSocket, ctx: DispatchContext): Promise<void> {
  for (;;) {
    let conn: Deno.TcpConn;
    try {
      conn = await bound.socket.accept();
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || ctx.signal.aborted) return;
      // Such as EMFILE: report it, and go on accepting once the moment passes.
      ctx.emit({
        type: "error",
        time: Date.now(),
        transport: "tcp",
        listener: bound.listener.spec,
        service: bound.listener.service,
        local: bound.local,
        remote: null,
        id: null,
        ...describeError(error),
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    serveConnection(conn, bound, ctx);
  }
}

/** The one error boundary of a connection. Never rejects. */
async function serveConnection(
  conn: Deno.TcpConn,
  bound: BoundTcpSocket,
  ctx: DispatchContext,
): Promise<void> {
  const entry = ctx.connections.add(conn);
  const started = performance.now();
  const { listener } = bound;
  const id = ctx.nextId();
  const local = socketName(conn.localAddr);
  const remote = socketName(conn.remoteAddr);
  const stream = new CountingStream(conn);
  const base = {
    transport: "tcp",
    listener: listener.spec,
    service: listener.service,
    id,
    local,
    remote,
  } as const;
  const serviceCtx: ServiceContext = {
    transport: "tcp",
    local,
    bound: bound.local,
    remote,
    listener: listener.spec,
    service: listener.service,
    options: listener.options,
    now: ctx.now,
    signal: ctx.signal,
  };
  let reason: CloseReason = "done";
  ctx.emit({ type: "connection-opened", time: Date.now(), ...base });
  try {
    await ctx.services[listener.service].tcp!(stream, serviceCtx);
  } catch (error) {
    if (entry.forced) {
      reason = "shutdown";
    } else if (isPeerGone(error)) {
      reason = "reset";
    } else {
      reason = "error";
      ctx.emit({ type: "error", time: Date.now(), ...base, ...describeError(error) });
    }
  } finally {
    if (entry.forced) reason = "shutdown";
    ctx.connections.release(entry);
    ctx.emit({
      type: "connection-closed",
      time: Date.now(),
      ...base,
      bytesIn: stream.bytesIn,
      bytesOut: stream.bytesOut,
      durationMs: performance.now() - started,
      reason,
    });
  }
}
