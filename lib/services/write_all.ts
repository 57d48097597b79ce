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
  if (bytes.length === 0) return;
  const accepted = await stream.write(bytes);
  if (accepted < bytes.length) await writeRest(stream, bytes, accepted);
}

/**
 * Finishes what {@linkcode writeAll} begins: writes the rest of `bytes`
 * after a `write` of all of them accepted only the first `accepted`. A loop
 * that writes every chunk it reads calls `write` itself and this only when
 * that write fell short, which spares it an async call per chunk.
 *
 * @param stream Where to write; only its `write` is used.
 * @param bytes The bytes that were given to `write`.
 * @param accepted How many of them that write accepted, fewer than all.
 * @returns A promise that resolves once every byte was accepted.
 * @throws {Deno.errors.WriteZero} When a write accepted no bytes.
 * @throws Whatever `stream.write` throws (for example `Deno.errors.BrokenPipe`).
 *
 * @example Echo one chunk
 * ```ts ignore
 * import { writeRest } from "./write_all.ts";
 *
 * const accepted = await conn.write(chunk);
 * if (accepted < chunk.length) await writeRest(conn, chunk, accepted);
 * ```
 */
export async function writeRest(
  stream: Pick<Stream, "write">,
  bytes: Uint8Array,
  accepted: number,
): Promise<void> {
  let written = accepted;
  let last = accepted;
  while (written < bytes.length) {
    if (last === 0) {
      throw new Deno.errors.WriteZero(
        `Cannot write ${bytes.length - written} more bytes: write() accepted none`,
      );
    }
    last = await stream.write(bytes.subarray(written));
    written += last;
  }
}
