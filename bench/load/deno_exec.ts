/**
 * The load benchmark's minimal Deno server that runs a program per
 * connection: the least a server on Deno's own APIs does for it, so the
 * floor under muxd's `exec`. Per connection, `Deno.Command(...).spawn()` with
 * piped standard input and output, the connection copied into the one and the
 * other into the connection (each end of stream passed on), and a wait for
 * the exit. No environment, limits,
 * process groups, time limits, stderr lines or logging.
 *
 * ```sh
 * deno run --allow-net --allow-run=/bin/cat bench/load/deno_exec.ts 127.0.0.1 /bin/cat   # prints "ready PORT"
 * ```
 *
 * @module
 */

import { BufferPool } from "../../lib/services/buffer_pool.ts";
import { ChunkReader } from "../../lib/services/read_chunks.ts";

const pool = new BufferPool();

/** The connection into the program's standard input, closed at the connection's end of stream. */
async function toProgram(conn: Deno.TcpConn, stdin: WritableStream<Uint8Array>): Promise<void> {
  const writer = stdin.getWriter();
  const reader = new ChunkReader(conn, pool);
  try {
    for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
      await writer.write(chunk);
    }
    await writer.close();
  } finally {
    reader.release();
  }
}

/** The program's standard output into the connection, half-closed at its end. */
async function fromProgram(stdout: ReadableStream<Uint8Array>, conn: Deno.TcpConn): Promise<void> {
  for await (const chunk of stdout) {
    for (let written = 0; written < chunk.length;) {
      written += await conn.write(chunk.subarray(written));
    }
  }
  await conn.closeWrite();
}

async function run(conn: Deno.TcpConn, program: string): Promise<void> {
  try {
    // Not `conn.readable.pipeTo()`: a connection's readable closes the whole
    // connection at its end of stream, and the program's last bytes would be lost.
    const child = new Deno.Command(program, { stdin: "piped", stdout: "piped", stderr: "null" })
      .spawn();
    // A peer that goes away ends its direction; the program ends with its input.
    await Promise.all([
      toProgram(conn, child.stdin).catch(() => {}),
      fromProgram(child.stdout, conn).catch(() => {}),
    ]);
    await child.status;
  } finally {
    conn.close();
  }
}

/**
 * Runs `program` for every connection `listener` accepts, until it is closed.
 *
 * @param listener Where the connections come from.
 * @param program The program's path.
 */
export async function runPerConnection(listener: Deno.TcpListener, program: string): Promise<void> {
  for await (const conn of listener) run(conn, program);
}

if (import.meta.main) {
  const listener = Deno.listen({ hostname: Deno.args[0] ?? "127.0.0.1", port: 0 });
  console.log(`ready ${listener.addr.port}`);
  await runPerConnection(listener, Deno.args[1] ?? "/bin/cat");
}
