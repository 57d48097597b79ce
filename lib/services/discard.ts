/**
 * The discard service (RFC 863): reads everything, answers nothing.
 *
 * @module
 */

import { readChunks } from "./read_chunks.ts";
import type { Service } from "./service.ts";

/**
 * Discard, RFC 863.
 *
 * - TCP: reads and drops every byte until the client half-closes; sends nothing.
 * - UDP: no reply.
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:7009=discard
 * udp://127.0.0.1:7009=discard
 * ```
 */
export const discard: Service = {
  name: "discard",
  rfc: 863,
  summary: "Reads and drops every byte; never replies.",
  options: [],
  async tcp(stream, ctx) {
    for await (const _chunk of readChunks(stream, ctx.buffers)) {
      // Thrown away, as RFC 863 says.
    }
  },
  udp: () => null,
};
