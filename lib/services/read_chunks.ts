/**
 * Reading a stream chunk by chunk, with a buffer that grows only while the
 * peer keeps it full: an idle connection holds 1 KiB, a busy one up to 256 KiB.
 *
 * @module
 */

import type { Stream } from "./service.ts";

/** The size of the first read buffer, in bytes (1 KiB): what an idle connection holds. */
export const MIN_READ_BUFFER_SIZE = 1024;

/** The size the read buffer grows to at most, in bytes (256 KiB), on a busy connection. */
export const MAX_READ_BUFFER_SIZE = 256 * 1024;

/**
 * The buffer for the next read: twice as large when the last read filled
 * it, up to {@linkcode MAX_READ_BUFFER_SIZE}; else the same one.
 *
 * @param buffer The buffer of the last read.
 * @param count How many bytes the last read gave.
 * @returns The buffer to read into next.
 */
export function nextBuffer(
  buffer: Uint8Array<ArrayBuffer>,
  count: number,
): Uint8Array<ArrayBuffer> {
  return count === buffer.length && buffer.length < MAX_READ_BUFFER_SIZE
    ? new Uint8Array(buffer.length * 2)
    : buffer;
}

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
    buffer = nextBuffer(buffer, count);
  }
}
