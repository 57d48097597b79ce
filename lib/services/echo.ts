/**
 * The echo service (RFC 862): every byte comes back.
 *
 * @module
 */

import { ChunkReader } from "./read_chunks.ts";
import type { Service } from "./service.ts";

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
  async tcp(stream, ctx) {
    // The hot path: a plain loop, not readChunks()'s generator, which costs a
    // few microseconds a chunk, nor writeAll(), whose async frame costs about
    // 0.5 KB of garbage a chunk.
    const reader = new ChunkReader(stream, ctx.buffers);
    try {
      for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
        for (let written = 0; written < chunk.length;) {
          const n = await stream.write(written === 0 ? chunk : chunk.subarray(written));
          if (n === 0) {
            throw new Deno.errors.WriteZero(
              `write() accepted none of ${chunk.length - written} bytes`,
            );
          }
          written += n;
        }
      }
    } finally {
      reader.release();
    }
  },
  udp: (request) => request,
};
