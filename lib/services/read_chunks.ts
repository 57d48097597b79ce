/**
 * Reading a stream chunk by chunk, with memory that follows the traffic. A
 * connection waits for data with a buffer of its own of 1,023 bytes; once a
 * read fills that, it reads into a 16 KiB buffer from the server's
 * {@linkcode BufferPool}, once that fills into a 256 KiB one, and keeps
 * reading 256 KiB at a time while reads fill them. A read that does not fill
 * its buffer drained the socket: the pooled buffer goes back, and the next
 * read waits in the connection's own.
 *
 * A read that fills its buffer exactly, when the client then goes quiet,
 * leaves the next read waiting in the next size up: a 1,023-byte message
 * leaves 16 KiB, a 17,407-byte one 256 KiB, until more data comes. The odd
 * size of the connection's own buffer keeps round sizes (1,000, 1,024, any
 * power of two) off those edges.
 *
 * @module
 */

import { type BufferPool, LARGE_READ_BUFFER_SIZE, MEDIUM_READ_BUFFER_SIZE } from "./buffer_pool.ts";
import type { Stream } from "./service.ts";

/** The size of the buffer a connection waits for data with, in bytes (1,023). */
export const MIN_READ_BUFFER_SIZE = 1023;

/** The size of a read on a busy connection, in bytes (256 KiB), from the pool. */
export const MAX_READ_BUFFER_SIZE: number = LARGE_READ_BUFFER_SIZE;

/**
 * Reads one stream. Each chunk it returns is a view into a buffer that stays
 * valid until the next call to {@linkcode ChunkReader.read}: use it (write
 * it, count it) before reading again, or copy it.
 *
 * @example Count the bytes a client sends
 * ```ts
 * import { BufferPool } from "./buffer_pool.ts";
 * import { ChunkReader } from "./read_chunks.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * using conn = await listener.accept();
 * await client.write(new Uint8Array(5000));
 * await client.closeWrite();
 *
 * const reader = new ChunkReader(conn, new BufferPool());
 * let total = 0;
 * for (let chunk; (chunk = await reader.read()) !== null;) total += chunk.length;
 * assert.equal(total, 5000);
 * ```
 */
export class ChunkReader {
  #stream: Pick<Stream, "read">;
  #pool: BufferPool;
  /** The connection's own buffer, which every read that may wait uses. */
  readonly #own: Uint8Array<ArrayBuffer> = new Uint8Array(MIN_READ_BUFFER_SIZE);
  /** The buffer of the next read: the connection's own, or a pooled one. */
  #next: Uint8Array<ArrayBuffer> = this.#own;
  /** The pooled buffer the last chunk is in, to give back at the next read. */
  #lent: Uint8Array<ArrayBuffer> | null = null;

  /**
   * Creates a reader that waits with its own 1,023 bytes.
   *
   * @param stream Where to read from; only its `read` is used.
   * @param pool Where larger buffers come from and go back to.
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
    const buffer = this.#next;
    // The last chunk has been used: a pooled buffer it was in goes back,
    // unless this read is into it again.
    if (this.#lent !== null && this.#lent !== buffer) this.#pool.give(this.#lent);
    this.#lent = buffer === this.#own ? null : buffer;
    const count = await this.#stream.read(buffer);
    if (count === null) {
      this.release();
      return null;
    }
    if (count < buffer.length) {
      // The socket is drained: the next read may wait, and waits in our own.
      this.#next = this.#own;
    } else if (buffer.length < LARGE_READ_BUFFER_SIZE) {
      // Full: more is coming. One size up (the chunk stays valid, since this
      // buffer is not read into before the next call).
      this.#next = this.#pool.take(
        buffer === this.#own ? MEDIUM_READ_BUFFER_SIZE : LARGE_READ_BUFFER_SIZE,
      );
    }
    return buffer.subarray(0, count);
  }

  /** Gives back any pooled buffer the reader holds (also when the stream ends early). */
  release(): void {
    // Each pooled buffer back once: the last chunk's, and the next read's
    // when that is another (no Set for two: this runs for every connection).
    const lent = this.#lent;
    const next = this.#next;
    if (lent !== null && lent !== this.#own) this.#pool.give(lent);
    if (next !== this.#own && next !== lent) this.#pool.give(next);
    this.#lent = null;
    this.#next = this.#own;
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
