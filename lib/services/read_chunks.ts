/**
 * Reading a stream chunk by chunk, with memory that follows the traffic: a
 * connection waits for data with a 1 KiB buffer of its own, takes a 256 KiB
 * one from the server's {@linkcode BufferPool} once a read fills that, reads
 * into it while data keeps coming, and gives it back as soon as a read shows
 * the socket drained. An idle connection holds 1 KiB, however much went
 * through it before. (One case keeps a large buffer while idle: a burst that
 * ends exactly where a large read filled up. The next read waits in that
 * buffer until more data comes.)
 *
 * @module
 */

import { type BufferPool, LARGE_READ_BUFFER_SIZE } from "./buffer_pool.ts";
import type { Stream } from "./service.ts";

/** The size of the buffer a connection waits for data with, in bytes (1 KiB). */
export const MIN_READ_BUFFER_SIZE = 1024;

/** The size of a read on a busy connection, in bytes (256 KiB), from the pool. */
export const MAX_READ_BUFFER_SIZE: number = LARGE_READ_BUFFER_SIZE;

/**
 * Reads one stream. Each chunk it returns is a view into a buffer that stays
 * valid until the next call to {@linkcode ChunkReader.read}: use it (write
 * it, count it) before reading again, or copy it.
 *
 * @example Count the bytes a client sends
 * ```ts ignore
 * import { BufferPool } from "./buffer_pool.ts";
 * import { ChunkReader } from "./read_chunks.ts";
 *
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: 7007 });
 * const reader = new ChunkReader(conn, new BufferPool());
 * let total = 0;
 * for (let chunk; (chunk = await reader.read()) !== null;) total += chunk.length;
 * ```
 */
export class ChunkReader {
  #stream: Pick<Stream, "read">;
  #pool: BufferPool;
  /** The connection's own buffer, which every read that may wait uses. */
  readonly #own: Uint8Array<ArrayBuffer> = new Uint8Array(MIN_READ_BUFFER_SIZE);
  /** A pooled buffer, while data keeps coming; `null` otherwise. */
  #large: Uint8Array<ArrayBuffer> | null = null;
  /** The last read into `#large` drained the socket: give it back at the next read. */
  #drained = false;

  /**
   * Creates a reader that waits with 1 KiB of its own.
   *
   * @param stream Where to read from; only its `read` is used.
   * @param pool Where large buffers come from and go back to.
   */
  constructor(stream: Pick<Stream, "read">, pool: BufferPool) {
    this.#stream = stream;
    this.#pool = pool;
  }

  /**
   * Reads the next chunk.
   *
   * @returns The bytes read, valid until the next call; `null` at the end of stream.
   * @throws Whatever `stream.read` throws (for example `Deno.errors.ConnectionReset`).
   */
  async read(): Promise<Uint8Array | null> {
    if (this.#drained) this.release();
    const large = this.#large;
    if (large !== null) {
      const count = await this.#stream.read(large);
      if (count === null) {
        this.release();
        return null;
      }
      // A read that did not fill the buffer emptied the socket: the next one
      // may wait, and must not wait holding a large buffer.
      if (count < large.length) this.#drained = true;
      return large.subarray(0, count);
    }
    const own = this.#own;
    const count = await this.#stream.read(own);
    if (count === null) return null;
    // A full buffer means more is coming: read from the pool until the socket
    // drains. The chunk stays valid: `own` is not read into before the next call.
    if (count === own.length) this.#large = this.#pool.take();
    return own.subarray(0, count);
  }

  /** Gives a pooled buffer back, if the reader holds one (also when the stream ends early). */
  release(): void {
    this.#drained = false;
    if (this.#large === null) return;
    this.#pool.give(this.#large);
    this.#large = null;
  }
}

/**
 * Reads `stream` until the end of stream and yields what each read returned,
 * through a {@linkcode ChunkReader}. Each chunk is valid only until the next
 * iteration: copy it to keep it.
 *
 * @param stream Where to read from; only its `read` is used.
 * @param pool Where large buffers come from.
 * @returns An async iterator over the chunks; it ends when `read` returns `null`.
 * @throws Whatever `stream.read` throws (for example `Deno.errors.ConnectionReset`).
 *
 * @example Count the bytes a client sends
 * ```ts ignore
 * import { BufferPool } from "./buffer_pool.ts";
 * import { readChunks } from "./read_chunks.ts";
 *
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: 7007 });
 * let total = 0;
 * for await (const chunk of readChunks(conn, new BufferPool())) total += chunk.length;
 * ```
 */
export async function* readChunks(
  stream: Pick<Stream, "read">,
  pool: BufferPool,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = new ChunkReader(stream, pool);
  try {
    for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
      yield chunk;
    }
  } finally {
    reader.release();
  }
}
