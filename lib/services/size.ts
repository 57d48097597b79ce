/**
 * The size service (muxd's own, after the UDP server in Foundations of
 * Python Network Programming): tells the client how many bytes it sent.
 *
 * @module
 */

import { readChunks } from "./read_chunks.ts";
import type { Service } from "./service.ts";
import { writeAll } from "./write_all.ts";

const encoder = new TextEncoder();

/**
 * The size reply, byte for byte the book's: `'Your data was {} bytes long'`
 * formatted with the count, and nothing after it. The book's server sends
 * no newline, as a datagram needs no line end to mark where it stops; so
 * the book's client prints the same reply from muxd as from the book's
 * server, while netcat's output ends without one (`; echo` after the
 * command ends the line). `N` is always a plain decimal count, and "bytes"
 * stays plural, as in the book.
 *
 * @param byteCount How many bytes the client sent.
 * @returns The sentence, without a line end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sizeSentence } from "./size.ts";
 *
 * assert.equal(sizeSentence(5), "Your data was 5 bytes long");
 * ```
 */
export function sizeSentence(byteCount: number): string {
  return `Your data was ${byteCount} bytes long`;
}

/**
 * Size, muxd's own.
 *
 * - TCP: counts the bytes the client sends until it half-closes, then sends
 *   {@linkcode sizeSentence} of the count and returns.
 * - UDP: replies with {@linkcode sizeSentence} of the datagram's length.
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:1060=size
 * udp://127.0.0.1:1060=size
 * ```
 */
export const size: Service = {
  name: "size",
  rfc: null,
  summary: 'Replies "Your data was N bytes long" (TCP: counted until the client half-closes).',
  options: [],
  async tcp(stream, ctx) {
    let total = 0;
    for await (const chunk of readChunks(stream, ctx.buffers)) {
      total += chunk.length;
    }
    await writeAll(stream, encoder.encode(sizeSentence(total)));
  },
  udp: (request) => encoder.encode(sizeSentence(request.length)),
};
