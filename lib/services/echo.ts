/**
 * The echo service (RFC 862): every byte comes back.
 *
 * @module
 */

import { MIN_READ_BUFFER_SIZE, nextBuffer } from "./read_chunks.ts";
import type { Service } from "./service.ts";

/**
 * Echo, RFC 862.
 *
 * - TCP: writes back every byte it reads, in order, until the client
 *   half-closes; then returns. Reads grow from 1 KiB to 256 KiB while the
 *   client keeps the buffer full (see {@linkcode readChunks}).
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
  async tcp(stream) {
    // The hot path: plain loops, not readChunks()'s generator, which costs a
    // few microseconds a chunk, nor writeAll(), whose async frame costs about
    // 0.5 KB of garbage a chunk. The buffer grows under load, as readChunks's.
    let buffer = new Uint8Array(MIN_READ_BUFFER_SIZE);
    for (;;) {
      const count = await stream.read(buffer);
      if (count === null) return;
      for (let written = 0; written < count;) {
        const n = await stream.write(buffer.subarray(written, count));
        if (n === 0) {
          throw new Deno.errors.WriteZero(`write() accepted none of ${count - written} bytes`);
        }
        written += n;
      }
      buffer = nextBuffer(buffer, count);
    }
  },
  udp: (request) => request,
};
