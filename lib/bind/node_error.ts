/**
 * node:net's errors in Deno's words: the node-backed listener and its
 * connections throw the `Deno.errors` classes a `Deno.TcpConn` throws, so
 * that dispatch (`isPeerGone()`, `acceptErrorKind()`, the explainer) treats
 * both alike.
 *
 * @module
 */

import { errorCode } from "./accept_error.ts";

/** A `Deno.errors` class. */
export type DenoErrorClass = new (message?: string, options?: ErrorOptions) => Error;

/** The Deno error class for each OS error code node:net reports. */
const CLASSES: Readonly<Record<string, DenoErrorClass>> = {
  ECONNRESET: Deno.errors.ConnectionReset,
  EPIPE: Deno.errors.BrokenPipe,
  ECONNABORTED: Deno.errors.ConnectionAborted,
  ENOTCONN: Deno.errors.NotConnected,
  ETIMEDOUT: Deno.errors.TimedOut,
  EADDRINUSE: Deno.errors.AddrInUse,
  EADDRNOTAVAIL: Deno.errors.AddrNotAvailable,
  EACCES: Deno.errors.PermissionDenied,
  EPERM: Deno.errors.PermissionDenied,
  EINTR: Deno.errors.Interrupted,
  // Writing after `end()`: what writing after `closeWrite()` is for Deno.
  ERR_STREAM_WRITE_AFTER_END: Deno.errors.BrokenPipe,
};

/** The OS error code to give a Deno error that stands for a node-only code. */
const CODES: Readonly<Record<string, string>> = { ERR_STREAM_WRITE_AFTER_END: "EPIPE" };

/**
 * The error a Deno socket would have thrown for what node:net reported:
 * the matching `Deno.errors` class with node's message, the OS error code
 * as `code`, and node's error as `cause`. Errors without a known code pass
 * through unchanged.
 *
 * @param error What node:net gave.
 * @returns The error to throw.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoError } from "./node_error.ts";
 *
 * const reset = denoError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
 * assert.ok(reset instanceof Deno.errors.ConnectionReset);
 * assert.equal((reset as Error & { code: string }).code, "ECONNRESET");
 * ```
 */
export function denoError(error: unknown): unknown {
  const code = errorCode(error);
  const Class = code === null ? undefined : CLASSES[code];
  if (Class === undefined) return error;
  const message = error instanceof Error ? error.message : String(error);
  return Object.assign(new Class(message, { cause: error }), { code: CODES[code!] ?? code });
}

/**
 * An error of `Class` with Deno's words, for what a Deno socket throws
 * without the OS saying anything (a socket used after `close()`).
 *
 * @param Class The `Deno.errors` class.
 * @param message Deno's message for it.
 * @param code The OS error code Deno gives it, if any.
 * @returns The error.
 */
export function denoLike(Class: DenoErrorClass, message: string, code?: string): Error {
  const error = new Class(message);
  return code === undefined ? error : Object.assign(error, { code });
}
