/**
 * A connection the node-backed listener accepted, behind the same pull API
 * as a `Deno.TcpConn` (`read(p)`, `write(p)`, `closeWrite()`, `close()`),
 * plus the one thing a `Deno.TcpConn` cannot do: `reset()`, which ends the
 * connection with a real RST.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { ResettableConnection } from "./tcp_listener.ts";
import { denoError, denoLike } from "./node_error.ts";
import { errorCode } from "./accept_error.ts";

/** What a Deno socket throws when used after `close()`. */
const closedError = () => denoLike(Deno.errors.BadResource, "Bad resource ID");

/** What a Deno socket's waiting read or write fails with when it is closed under it. */
const interrupted = () => denoLike(Deno.errors.Interrupted, "operation canceled", "EINTR");

/**
 * A node:net socket as a {@linkcode ResettableConnection}.
 *
 * Reads pull from the socket's buffer in paused mode: node reads from the
 * kernel until its buffer holds a high-water mark, then stops, so a client
 * whose bytes muxd does not read is held back by TCP flow control, as with
 * a `Deno.TcpConn`. Bytes that do not fit the caller's buffer wait for the
 * next read. A write resolves once node has handed the bytes to the kernel
 * (its callback), so a client that does not read holds the writer back.
 * Errors are the `Deno.errors` classes a `Deno.TcpConn` throws.
 */
export class NodeTcpConn implements ResettableConnection {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  #socket: Socket;
  /** The unread rest of the last chunk taken from the socket. */
  #leftover: Uint8Array | null = null;
  /** Set once node saw the client's end of stream and every byte before it was taken. */
  #ended = false;
  /** The error that ended the socket, in Deno's class, thrown to every later read. */
  #error: unknown = null;
  #closed = false;
  /** Resolved when something a waiting read waits for happens. */
  #wake: PromiseWithResolvers<void> | null = null;

  /**
   * Wraps an accepted socket.
   *
   * @param socket An accepted socket, paused (`pauseOnConnect`) and allowed
   *   to half-close (`allowHalfOpen`).
   * @param localAddr Its local socket name.
   * @param remoteAddr Its peer's socket name.
   */
  constructor(socket: Socket, localAddr: Deno.NetAddr, remoteAddr: Deno.NetAddr) {
    this.#socket = socket;
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
    const wake = () => this.#notify();
    socket.on("readable", wake);
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    // An error also reaches the write it concerns through its callback;
    // this listener keeps it for reads, and keeps node from throwing it.
    socket.on("error", (error) => {
      this.#error ??= denoError(error);
      wake();
    });
    socket.on("close", wake);
  }

  /**
   * Reads into `p`, like `Deno.TcpConn.read`.
   *
   * @param p Where to put the bytes.
   * @returns How many bytes were read, or `null` at the client's end of stream.
   * @throws {Deno.errors.ConnectionReset} When the client reset the connection.
   * @throws {Deno.errors.Interrupted} When the connection is closed while the read waits.
   * @throws {Deno.errors.BadResource} When the connection was closed before.
   */
  async read(p: Uint8Array): Promise<number | null> {
    if (this.#closed) throw closedError();
    for (;;) {
      const chunk = this.#leftover ?? (this.#socket.read() as Uint8Array | null);
      if (chunk !== null) {
        const n = Math.min(chunk.length, p.length);
        p.set(n === chunk.length ? chunk : chunk.subarray(0, n));
        this.#leftover = n === chunk.length ? null : chunk.subarray(n);
        return n;
      }
      if (this.#error !== null) throw this.#error;
      if (this.#ended) return null;
      if (this.#socket.destroyed) throw this.#closed ? interrupted() : this.#gone();
      this.#wake ??= Promise.withResolvers<void>();
      await this.#wake.promise;
      if (this.#closed) throw interrupted();
    }
  }

  /**
   * Writes all of `p`, like `Deno.TcpConn.write`.
   *
   * @param p The bytes; the caller may reuse the buffer once the promise resolves.
   * @returns `p.length`, once node has handed the bytes to the kernel.
   * @throws {Deno.errors.BrokenPipe} After `closeWrite()`, or when the client is gone.
   * @throws {Deno.errors.ConnectionReset} When the client reset the connection.
   * @throws {Deno.errors.Interrupted} When the connection is closed while the write waits.
   * @throws {Deno.errors.BadResource} When the connection was closed before.
   */
  write(p: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#socket.writableEnded) {
      return Promise.reject(denoLike(Deno.errors.BrokenPipe, "Broken pipe (os error 32)", "EPIPE"));
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    this.#socket.write(p, (error) => {
      if (error === undefined || error === null) resolve(p.length);
      else reject(this.#closed ? interrupted() : this.#writeFailed(error));
    });
    return promise;
  }

  /**
   * The error for a write node failed. node cancels a waiting write
   * (`ECANCELED`) when it destroys the socket for what the client did (a
   * reset): that is the client gone, as a Deno socket says it.
   */
  #writeFailed(error: Error): unknown {
    if (errorCode(error) !== "ECANCELED") return denoError(error);
    return this.#error ?? this.#gone();
  }

  /**
   * Half-closes, like `Deno.TcpConn.closeWrite`: the client reads end of
   * stream once what was written before has gone out.
   *
   * @returns Once the FIN is sent; at once when it was sent already.
   * @throws {Deno.errors.BadResource} When the connection was closed before.
   */
  closeWrite(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#socket.writableEnded) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#socket.once("error", (error) => reject(denoError(error)));
    this.#socket.end(resolve);
    return promise;
  }

  /**
   * Closes the connection, like `Deno.TcpConn.close`: the client reads end
   * of stream (a reset when bytes it sent are still unread in the kernel).
   *
   * @throws {Deno.errors.BadResource} When it was closed before.
   */
  close(): void {
    this.#end();
    this.#socket.destroy();
  }

  /**
   * Closes the connection with a reset (RST): the client's next read or
   * write fails with `ECONNRESET`, and bytes still on their way to it are
   * dropped.
   *
   * @throws {Deno.errors.BadResource} When it was closed before.
   */
  reset(): void {
    this.#end();
    this.#socket.resetAndDestroy();
  }

  /** Marks the connection closed and wakes a waiting read, which then fails. */
  #end(): void {
    if (this.#closed) throw closedError();
    this.#closed = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.resolve();
  }

  /** The error for a socket node destroyed without saying why. */
  #gone(): Error {
    return denoLike(
      Deno.errors.ConnectionReset,
      "Connection reset by peer (os error 104)",
      "ECONNRESET",
    );
  }
}
