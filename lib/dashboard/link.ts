/**
 * One dashboard TCP connection, with a peer that may go away at any moment:
 * reads and writes report a lost peer (reset, broken pipe, closed under
 * them) as a value instead of throwing, so that only real bugs reach the
 * connection's error boundary. It ends with a lingering close, which never
 * destroys a response the client has not read yet.
 *
 * @module
 */

import { isClosed, isPeerGone } from "../dispatch/context.ts";
import type { StreamTarget } from "./event_stream.ts";

/**
 * What a connection does with its slot, as its server's accept loop sees it:
 * - `"request"`: it waits for a request head (a first one, or the next on a
 *   kept connection): it holds its slot without using it;
 * - `"answer"`: a request is being read or answered;
 * - `"stream"`: it is an event stream, open for as long as its page is;
 * - `"linger"`: its last response is written, and it waits for the client
 *   to close its side ({@linkcode Link.lingeringClose}).
 */
export type LinkPhase = "request" | "answer" | "stream" | "linger";

/**
 * A connection whose reads and writes tell a lost peer apart from a bug.
 *
 * @example
 * ```ts
 * import { Link } from "./link.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const link = new Link(await listener.accept());
 * client.close();
 * assert.equal(await link.read(new Uint8Array(16)), null); // the peer has gone
 * link.close();
 * ```
 */
export class Link implements StreamTarget {
  #conn: Deno.TcpConn;
  #owner: Set<Link> | null;
  #closed = false;
  #peerDone = false;
  /** Ends a {@linkcode Link.pause} at once when the link closes. */
  #wake: (() => void) | null = null;
  #phase: LinkPhase = "answer";

  /**
   * Wraps an accepted connection.
   *
   * @param conn The connection; the link closes it.
   * @param owner A set of open links that this one leaves when it is closed.
   */
  constructor(conn: Deno.TcpConn, owner: Set<Link> | null = null) {
    this.#conn = conn;
    this.#owner = owner;
  }

  /**
   * Sends each write at once, without waiting for the peer's acknowledgement
   * of the one before (Nagle's algorithm): a snapshot goes out in two writes.
   */
  noDelay(): void {
    if (this.#closed) return;
    try {
      this.#conn.setNoDelay(true);
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }

  /** `true` once the link is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** What the connection does with its slot now. */
  get phase(): LinkPhase {
    return this.#phase;
  }

  /**
   * `true` while the connection holds its slot without using it: it waits
   * for a request head, or lingers after its last response. Its server may
   * close it to make room for a new connection.
   */
  get evictable(): boolean {
    return this.#phase === "request" || this.#phase === "linger";
  }

  /** The peer's IP address, such as `127.0.0.1`. */
  get remoteHost(): string {
    return this.#conn.remoteAddr.hostname;
  }

  /**
   * Marks the connection as an event stream, from now until it closes: it
   * keeps its slot as long as its server has room, or its source address
   * holds no more streams than its share (see `AcceptorOptions`).
   */
  beginStream(): void {
    this.#phase = "stream";
  }

  /**
   * Reads what is there, as `Deno.Conn.read` does.
   *
   * @param buffer Where the bytes go.
   * @returns How many bytes were read, or `null` at the end of the stream,
   *   when the peer has gone, or once the link is closed.
   * @throws {Error} Only what is neither a lost peer nor a closed link.
   */
  async read(buffer: Uint8Array): Promise<number | null> {
    if (this.#closed) return null;
    try {
      const n = await this.#conn.read(buffer);
      if (n === null) this.#peerDone = true;
      return n;
    } catch (error) {
      if (isGone(error)) {
        this.#peerDone = true;
        return null;
      }
      throw error;
    }
  }

  /**
   * Reads as {@linkcode Link.read} does, while the connection waits for a
   * request head: meanwhile it is {@linkcode Link.evictable}.
   *
   * @param buffer Where the bytes go.
   * @returns How many bytes were read, or `null` as `read` gives it.
   * @throws {Error} Only what is neither a lost peer nor a closed link.
   */
  async readRequest(buffer: Uint8Array): Promise<number | null> {
    this.#phase = "request";
    try {
      return await this.read(buffer);
    } finally {
      this.#phase = "answer";
    }
  }

  /**
   * Writes every byte.
   *
   * @param bytes The bytes; they are not changed.
   * @returns `true` when all were written, `false` when the peer has gone or the link is closed.
   * @throws {Error} Only what is neither a lost peer nor a closed link.
   */
  async write(bytes: Uint8Array): Promise<boolean> {
    let at = 0;
    while (at < bytes.length) {
      if (this.#closed) return false;
      try {
        at += await this.#conn.write(at === 0 ? bytes : bytes.subarray(at));
      } catch (error) {
        if (isGone(error)) return false;
        throw error;
      }
    }
    return true;
  }

  /**
   * Reads what is there, as `Deno.Conn.read` does, without a function of its
   * own around the read (an open event stream waits in one for as long as
   * the page is open).
   *
   * @param buffer Where the bytes go.
   * @returns How many bytes were read, or `null` at the end of the stream.
   * @throws {Deno.errors.BadResource} Once the link is closed; see {@linkcode Link.isGone}.
   */
  readSome(buffer: Uint8Array): Promise<number | null> {
    return this.#conn.read(buffer);
  }

  /**
   * Writes some of the bytes, as `Deno.Conn.write` does: the event streams
   * write through this, with nothing allocated per write but the write.
   *
   * @param bytes The bytes; they are not changed.
   * @returns How many were written.
   * @throws {Deno.errors.BadResource} Once the link is closed; see {@linkcode Link.isGone}.
   */
  writeSome(bytes: Uint8Array): Promise<number> {
    return this.#conn.write(bytes);
  }

  /**
   * Tells a lost peer or a closed link apart from a bug.
   *
   * @param error What a read or write threw.
   * @returns `true` when the peer has gone or the link was closed.
   */
  isGone(error: unknown): boolean {
    return isGone(error);
  }

  /**
   * Waits, unless the link closes first.
   *
   * @param ms How long to wait.
   * @returns `true` after `ms`; `false` at once when the link is or becomes closed.
   */
  pause(ms: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve(true);
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve(false);
      };
    });
  }

  /** Closes the connection at once; any pending read or write ends. Does nothing the second time. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#owner?.delete(this);
    this.#wake?.();
    try {
      this.#conn.close();
    } catch (error) {
      if (!isClosed(error)) throw error;
    }
  }

  /**
   * Closes the connection without destroying what the client has not read
   * yet: sends FIN, then reads and drops what the client still sends until
   * it closes its side, up to `maxBytes` or `ms`, then closes. (Closing with
   * unread bytes would make the kernel send a reset, and a reset makes the
   * client drop the response it has not read.) Meanwhile the connection is
   * {@linkcode Link.evictable}: its response is written, so closing it to
   * make room costs only a client that neither reads nor closes.
   *
   * @param ms How long to wait for the client's end at most.
   * @param discard A buffer to read into and never look at; it may be shared.
   * @param maxBytes How many bytes to drop at most.
   */
  async lingeringClose(ms: number, discard: Uint8Array, maxBytes: number): Promise<void> {
    if (this.#closed) return;
    if (this.#peerDone) return this.close();
    this.#phase = "linger";
    const timer = setTimeout(() => this.close(), ms);
    try {
      await this.#conn.closeWrite();
      let dropped = 0;
      while (dropped <= maxBytes) {
        const n = await this.read(discard);
        if (n === null) break;
        dropped += n;
      }
    } catch (error) {
      if (!isGone(error)) throw error;
    } finally {
      clearTimeout(timer);
      this.close();
    }
  }
}

/** A lost peer, a connection closed under a pending call, or one that never was connected. */
function isGone(error: unknown): boolean {
  return isPeerGone(error) || isClosed(error) || error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.TimedOut;
}
