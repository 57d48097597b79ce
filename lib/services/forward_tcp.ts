/**
 * `forward` over TCP: one upstream connection per client connection, the
 * bytes of each direction copied chunk by chunk (up to 256 KiB a read, never
 * byte by byte), each end-of-stream passed on as a half-close.
 *
 * @module
 */

import { formatUpstream, type Upstream } from "./upstream.ts";
import { UpstreamError } from "./upstream_error.ts";
import { ChunkReader } from "./read_chunks.ts";
import { writeAll, writeRest } from "./write_all.ts";
import { proxyHeader } from "./proxy_header.ts";
import type { ServiceContext, Stream } from "./service.ts";
import type { BufferPool } from "./buffer_pool.ts";
import { socketNameOf } from "../spec/socket_name.ts";
import type { ForwardOptions } from "./forward.ts";
import { isTimeout, type TimeoutSignals } from "./timeout_signals.ts";

/** Which leg a copy failed on: the client's or the upstream's. */
type Leg = "client" | "upstream";

/** How one direction of the copy ended: `null` at its end of stream, or the error and its leg. */
type CopyEnd = { readonly error: unknown; readonly leg: Leg } | null;

/**
 * Relays one client connection to the upstream and back, until both
 * directions have ended.
 *
 * @param stream The client's connection, as the dispatcher counts it.
 * @param ctx The connection's context; `ctx.emit` gets `upstream-connected`,
 *   once the PROXY header (with `proxy=v1` or `v2`) is written.
 * @throws {UpstreamError} When the upstream refuses, does not answer within
 *   `connect-timeout`, cannot be reached, or resets the connection.
 * @throws Whatever the client's leg fails with (a reset is the client's).
 */
export async function forwardTcp(
  stream: Stream,
  ctx: ServiceContext<ForwardOptions>,
): Promise<void> {
  const { to, connectTimeoutMs, proxy } = ctx.options;
  const upstream = await connectUpstream(to, connectTimeoutMs, ctx.timeouts);
  try {
    if (proxy !== null) {
      // The header goes first and whole, in one write, before any client byte is read.
      const header = proxyHeader(proxy, ctx.remote, ctx.local ?? ctx.bound);
      try {
        await writeAll(upstream, header);
      } catch (error) {
        throw legError({ error, leg: "upstream" }, to);
      }
    }
    ctx.emit({
      type: "upstream-connected",
      time: Date.now(),
      transport: "tcp",
      listener: ctx.listener,
      service: ctx.service,
      id: ctx.id,
      local: ctx.local ?? ctx.bound,
      remote: ctx.remote,
      upstream: socketNameOf(upstream.remoteAddr),
      from: socketNameOf(upstream.localAddr),
      ...(proxy === null ? {} : { proxy }),
    });
    const up = copy(stream, upstream, "client", "upstream", ctx.buffers);
    const down = copy(upstream, stream, "upstream", "client", ctx.buffers);
    // The first direction to fail ends both: closing the upstream (in
    // `finally`) ends a read waiting on it, and the dispatcher's close ends
    // one waiting on the client. Neither promise ever rejects.
    const [first, other] = await Promise.race([
      up.then((end) => [end, down] as const),
      down.then((end) => [end, up] as const),
    ]);
    if (first !== null) throw legError(first, to);
    const second = await other;
    if (second !== null) throw legError(second, to);
  } finally {
    upstream.close();
  }
}

/** The error to end the connection with, for a direction that failed. */
function legError(end: NonNullable<CopyEnd>, to: Upstream): unknown {
  if (end.leg === "client" || !isGone(end.error)) return end.error;
  return new UpstreamError(`upstream ${formatUpstream(to)} reset the connection`, {
    cause: end.error,
  });
}

/**
 * Copies `from` to `to` until `from` ends, then half-closes `to`. Resolves
 * to `null`, or to the error that stopped it and the leg it came from.
 */
async function copy(
  from: Pick<Stream, "read">,
  to: Stream,
  fromLeg: Leg,
  toLeg: Leg,
  buffers: BufferPool,
): Promise<CopyEnd> {
  const reader = new ChunkReader(from, buffers);
  try {
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        chunk = await reader.read();
      } catch (error) {
        return { error, leg: fromLeg };
      }
      if (chunk === null) break;
      try {
        // writeAll's writes without its async call per chunk, as echo's loop.
        const accepted = await to.write(chunk);
        if (accepted < chunk.length) await writeRest(to, chunk, accepted);
      } catch (error) {
        return { error, leg: toLeg };
      }
    }
    try {
      await to.closeWrite();
    } catch (error) {
      // The other side already went away: its own direction reports it.
      if (!(error instanceof Deno.errors.NotConnected) && !isGone(error)) {
        return { error, leg: toLeg };
      }
    }
    return null;
  } finally {
    reader.release();
  }
}

/** Tells whether an error means the peer went away. */
function isGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted;
}

/**
 * Connects to the upstream within `timeoutMs`, through a timeout signal
 * shared with the connections that start at about the same time (see
 * {@linkcode TimeoutSignals}): a connect past its time, or still waiting
 * when muxd starts shutting down, is cancelled.
 *
 * @throws {UpstreamError} For a refusal, a timeout, a name that does not
 *   resolve, or any other failure to connect, in one line naming the upstream.
 */
async function connectUpstream(
  to: Upstream,
  timeoutMs: number,
  timeouts: TimeoutSignals,
): Promise<Deno.TcpConn> {
  const hostname = to.host.kind === "name" ? to.host.name : to.host.address;
  const signal = timeouts.signal(timeoutMs);
  try {
    return await Deno.connect({ hostname, port: to.port, signal });
  } catch (error) {
    const name = formatUpstream(to);
    if (error !== signal.reason) {
      throw new UpstreamError(connectFailure(name, error), { cause: error });
    }
    if (!isTimeout(error)) {
      throw new UpstreamError(`muxd stopped while connecting to upstream ${name}`);
    }
    throw new UpstreamError(
      `upstream ${name} did not answer within ${timeoutMs / 1000} s (connect-timeout)`,
    );
  }
}

/** Why a connect failed, in one line naming the upstream. */
function connectFailure(name: string, error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) {
    return `upstream ${name} refused the connection`;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return `muxd may not connect to upstream ${name}: run it with --allow-net`;
  }
  if (error instanceof Error && /lookup address/i.test(error.message)) {
    return `upstream ${name}: the host name does not resolve`;
  }
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `upstream ${name} cannot be reached (${what})`;
}
