/**
 * Writing a whole byte array to a stream whose `write` may take only part.
 *
 * @module
 */

import type { Stream } from "./service.ts";

/**
 * Writes every byte of `bytes` to `stream`, calling `write` again for what a
 * partial write left over.
 *
 * @param stream Where to write; only its `write` is used.
 * @param bytes The bytes to write, in order.
 * @returns A promise that resolves once every byte was accepted.
 * @throws {Deno.errors.WriteZero} When `write` accepts no bytes of a non-empty array.
 * @throws Whatever `stream.write` throws (for example `Deno.errors.BrokenPipe`).
 *
 * @example Write a greeting to a TCP connection
 * ```ts
 * import { writeAll } from "./write_all.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const peer = await listener.accept();
 * await writeAll(conn, new TextEncoder().encode("hello\n"));
 * await conn.closeWrite();
 * assert.equal(await new Response(peer.readable).text(), "hello\n"); // reads to the end, closes peer
 * ```
 */
export async function writeAll(stream: Pick<Stream, "write">, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const count = await stream.write(bytes.subarray(written));
    if (count === 0) {
      throw new Deno.errors.WriteZero(
        `Cannot write ${bytes.length - written} more bytes: write() accepted none`,
      );
    }
    written += count;
  }
}
