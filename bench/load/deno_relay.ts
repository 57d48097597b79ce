/**
 * The load benchmark's minimal Deno relay: the least a relay written on
 * Deno's own APIs does, so the floor under muxd's `forward`. TCP: per
 * connection, `Deno.connect` to the upstream and a read/write loop each way
 * through muxd's own `ChunkReader`, an end of stream passed on as a
 * half-close. UDP: one upstream socket per client socket name, its replies
 * sent back from the listener's socket. No logging, limits, guards, idle
 * timeouts or bookkeeping.
 *
 * ```sh
 * deno run --allow-net --unstable-net bench/load/deno_relay.ts 127.0.0.1 24030   # prints "ready PORT"
 * ```
 *
 * @module
 */

import { BufferPool } from "../../lib/services/buffer_pool.ts";
import { ChunkReader } from "../../lib/services/read_chunks.ts";

const hostname = Deno.args[0] ?? "127.0.0.1";
const upstreamPort = Number(Deno.args[1]);
const listener = Deno.listen({ hostname, port: 0 });
const port = listener.addr.port;
const socket = Deno.listenDatagram({ transport: "udp", hostname, port });
const pool = new BufferPool();

/** Whether an error only means that a peer went away. */
function gone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted;
}

async function copy(from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
  const reader = new ChunkReader(from, pool);
  try {
    for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
      for (let written = 0; written < chunk.length;) {
        written += await to.write(chunk.subarray(written));
      }
    }
    await to.closeWrite();
  } finally {
    reader.release();
  }
}

async function relay(client: Deno.TcpConn): Promise<void> {
  let upstream: Deno.TcpConn | null = null;
  try {
    upstream = await Deno.connect({ hostname, port: upstreamPort });
    await Promise.all([copy(client, upstream), copy(upstream, client)]);
  } catch (error) {
    if (!gone(error)) throw error;
  } finally {
    upstream?.close();
    client.close();
  }
}

async function accept(): Promise<void> {
  for await (const conn of listener) relay(conn);
}

async function answerFor(session: Deno.DatagramConn, client: Deno.NetAddr): Promise<void> {
  const buffer = new Uint8Array(65_535);
  for (;;) {
    const [reply] = await session.receive(buffer);
    await socket.send(reply, client);
  }
}

async function forward(): Promise<void> {
  const sessions = new Map<string, Deno.DatagramConn>();
  const buffer = new Uint8Array(65_535);
  const to: Deno.NetAddr = { transport: "udp", hostname, port: upstreamPort };
  for (;;) {
    const [request, from] = await socket.receive(buffer);
    const client = from as Deno.NetAddr;
    const key = `${client.hostname}:${client.port}`;
    let session = sessions.get(key);
    if (session === undefined) {
      session = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
      sessions.set(key, session);
      answerFor(session, client);
    }
    await session.send(request, to);
  }
}

console.log(`ready ${port}`);
await Promise.all([accept(), forward()]);
