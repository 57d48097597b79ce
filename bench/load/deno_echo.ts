/**
 * The load benchmark's minimal Deno peer: the least a server written on
 * Deno's own APIs does, so the floor that any Deno server, muxd included,
 * stands on. TCP: `Deno.listen` and, per connection, a read/write loop that
 * reads through muxd's own `ChunkReader` (a small buffer to wait with, 256 KiB
 * from a shared pool while data keeps coming), so that the two compare alike. UDP:
 * `Deno.listenDatagram`, receive into one buffer, send the bytes back. No logging, no limits, no bookkeeping.
 *
 * ```sh
 * deno run --allow-net --unstable-net bench/load/deno_echo.ts 127.0.0.1   # prints "ready PORT"
 * ```
 *
 * @module
 */

import { BufferPool } from "../../lib/services/buffer_pool.ts";
import { ChunkReader } from "../../lib/services/read_chunks.ts";

const hostname = Deno.args[0] ?? "127.0.0.1";
const listener = Deno.listen({ hostname, port: 0 });
const port = listener.addr.port;
const socket = Deno.listenDatagram({ transport: "udp", hostname, port });
const pool = new BufferPool();

async function echo(conn: Deno.TcpConn): Promise<void> {
  const reader = new ChunkReader(conn, pool);
  try {
    for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
      for (let written = 0; written < chunk.length;) {
        written += await conn.write(chunk.subarray(written));
      }
    }
  } catch (error) {
    // A peer that resets or goes away ends its connection, nothing more.
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
    ) {
      throw error;
    }
  } finally {
    reader.release();
    conn.close();
  }
}

async function accept(): Promise<void> {
  for await (const conn of listener) echo(conn);
}

async function answer(): Promise<void> {
  const buffer = new Uint8Array(65_535);
  for (;;) {
    const [request, from] = await socket.receive(buffer);
    await socket.send(request, from);
  }
}

console.log(`ready ${port}`);
await Promise.all([accept(), answer()]);
