/**
 * The echo service (RFC 862): every byte comes back.
 *
 * @module
 */

import type { BufferPool } from "./buffer_pool.ts";
import { ChunkReader } from "./read_chunks.ts";
import type { Service, Stream } from "./service.ts";
import { writeRest } from "./write_all.ts";

/**
 * Echo, RFC 862.
 *
 * - TCP: writes back every byte it reads, in order, until the client
 *   half-closes; then returns. It waits for data with a buffer of its own of
 *   1,023 bytes and reads up to 256 KiB at a time, in buffers from the
 *   server's pool, while data keeps coming (see {@linkcode ChunkReader}).
 * - UDP: replies with the datagram's own bytes.
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:7007=echo
 * udp://127.0.0.1:7007=echo
 * ```
 */
export const echo: Service = {
  name: "echo",
  rfc: 862,
  summary: "Sends back every byte it receives (UDP: the same datagram).",
  options: [],
  tcp: (stream, ctx) => echoChunks(stream, ctx.buffers),
  udp: (request) => request,
};

/**
 * Writes back every chunk read from `stream` until the end of stream. It
 * makes the same reads and writes, and fails the same way, as the plain
 * loop
 *
 * ```ts ignore
 * for await (const chunk of readChunks(stream, pool)) await writeAll(stream, chunk);
 * ```
 *
 * without the async generator and the async call per chunk that loop costs:
 * echo is the service whose loop turns once per chunk for as long as a
 * client sends.
 *
 * @param stream The connection.
 * @param pool Where read buffers come from.
 * @returns A promise that resolves at the end of stream, every chunk written back.
 * @throws {Deno.errors.WriteZero} When a write accepts no bytes.
 * @throws Whatever the stream's `read` or `write` throws.
 */
export async function echoChunks(stream: Stream, pool: BufferPool): Promise<void> {
  const reader = new ChunkReader(stream, pool);
  try {
    for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
      const accepted = await stream.write(chunk);
      if (accepted < chunk.length) await writeRest(stream, chunk, accepted);
    }
  } finally {
    reader.release();
  }
}
