/**
 * A TCP connection as services see it: reads and writes pass straight
 * through, and the bytes are counted per chunk (never per byte).
 *
 * @module
 */

import type { Stream } from "../services/service.ts";

/** Wraps a connection and counts the bytes read from and written to it. */
export class CountingStream implements Stream {
  /** Bytes read so far. */
  bytesIn = 0;
  /** Bytes written so far. */
  bytesOut = 0;
  /** Set once a read has returned the end of stream: the client sends nothing more. */
  ended = false;
  /** Whether a read is waiting for data now (a service reads while it writes). */
  reading = false;
  #conn: Deno.Conn;

  /** @param conn The connection to wrap. */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Reads into `p`, like `Deno.Conn.read`. */
  async read(p: Uint8Array): Promise<number | null> {
    this.reading = true;
    let n: number | null;
    try {
      n = await this.#conn.read(p);
    } finally {
      this.reading = false;
    }
    if (n !== null) this.bytesIn += n;
    else this.ended = true;
    return n;
  }

  /** Writes from `p`, like `Deno.Conn.write`. */
  async write(p: Uint8Array): Promise<number> {
    const n = await this.#conn.write(p);
    this.bytesOut += n;
    return n;
  }

  /** Half-closes the connection. */
  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }
}
