/**
 * The load benchmark's minimal Deno peer: the least a server written on
 * Deno's own APIs does, so the floor that any Deno server, muxd included,
 * stands on. TCP: `Deno.listen` and, per connection, a read/write loop whose
 * buffer starts at 1 KiB and doubles up to 256 KiB while reads fill it
 * (muxd's own policy, `nextBuffer()`, so that the two compare alike). UDP:
 * `Deno.listenDatagram`, receive into one buffer, send the bytes back. No logging, no limits, no bookkeeping.
 *
 * ```sh
 * deno run --allow-net --unstable-net bench/load/deno_echo.ts 127.0.0.1   # prints "ready PORT"
 * ```
 *
 * @module
 */

import { MIN_READ_BUFFER_SIZE, nextBuffer } from "../../lib/services/read_chunks.ts";

const hostname = Deno.args[0] ?? "127.0.0.1";
const listener = Deno.listen({ hostname, port: 0 });
const port = listener.addr.port;
const socket = Deno.listenDatagram({ transport: "udp", hostname, port });

async function echo(conn: Deno.TcpConn): Promise<void> {
  let buffer = new Uint8Array(MIN_READ_BUFFER_SIZE);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      for (let written = 0; written < n;) written += await conn.write(buffer.subarray(written, n));
      buffer = nextBuffer(buffer, n);
    }
  } catch (error) {
    // A peer that resets or goes away ends its connection, nothing more.
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
    ) {
      throw error;
    }
  } finally {
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
