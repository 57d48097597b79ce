/**
 * Reading a stream chunk by chunk, with a buffer that grows only while the
 * peer keeps it full: an idle connection holds 4 KiB, a busy one 64 KiB.
 *
 * @module
 */

import type { Stream } from "./service.ts";

/** The size of the first read buffer, in bytes (4 KiB). */
export const MIN_READ_BUFFER_SIZE = 4 * 1024;

/** The size the read buffer grows to at most, in bytes (64 KiB). */
export const MAX_READ_BUFFER_SIZE = 64 * 1024;

/**
 * Reads `stream` until the end of stream and yields what each read returned.
 *
 * The buffer starts at {@linkcode MIN_READ_BUFFER_SIZE} bytes and doubles,
 * up to {@linkcode MAX_READ_BUFFER_SIZE}, each time a read fills it. Each
 * chunk is a view into that buffer, valid only until the next iteration:
 * copy it to keep it.
 *
 * @param stream Where to read from; only its `read` is used.
 * @returns An async iterator over the chunks; it ends when `read` returns `null`.
 * @throws Whatever `stream.read` throws (for example `Deno.errors.ConnectionReset`).
 *
 * @example Count the bytes a client sends
 * ```ts ignore
 * import { readChunks } from "./read_chunks.ts";
 *
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: 7007 });
 * let total = 0;
 * for await (const chunk of readChunks(conn)) total += chunk.length;
 * ```
 */
export async function* readChunks(
  stream: Pick<Stream, "read">,
): AsyncGenerator<Uint8Array, void, undefined> {
  let buffer = new Uint8Array(MIN_READ_BUFFER_SIZE);
  while (true) {
    const count = await stream.read(buffer);
    if (count === null) return;
    yield buffer.subarray(0, count);
    if (count === buffer.length && buffer.length < MAX_READ_BUFFER_SIZE) {
      buffer = new Uint8Array(buffer.length * 2);
    }
  }
}
