/**
 * What an error from `accept()` means for the listener that got it: the
 * listener was closed, one connection went away before it was accepted, or
 * the process is out of something and should pause before it tries again.
 *
 * @module
 */

/**
 * The kinds of `accept()` failure:
 *
 * - `closed`: the listener was closed under the pending accept; stop.
 * - `connection`: one connection was reset or aborted before the accept
 *   completed (`NotConnected`, `ConnectionReset`, `ConnectionAborted`, and
 *   the network errors accept(2) says to treat like `EAGAIN`); it concerns
 *   that connection only: accept again at once.
 * - `exhausted`: the process or the system is out of file descriptors or
 *   memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`); accepting again at once
 *   would fail again: pause, then retry.
 * - `other`: anything else; report it, wait a moment, and accept again.
 */
export type AcceptErrorKind = "closed" | "connection" | "exhausted" | "other";

/**
 * The OS error codes that Linux's accept(2) passes on from a connection that
 * failed while it waited in the queue: that connection's, not the listener's.
 */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  "ENOTCONN",
  "ECONNRESET",
  "ECONNABORTED",
  "EPROTO",
  "ENOPROTOOPT",
  "EHOSTDOWN",
  "ENONET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ETIMEDOUT",
]);

/** The OS error codes that mean the process or system ran out of a resource. */
const EXHAUSTED_CODES: ReadonlySet<string> = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"]);

/**
 * Tells what an error thrown by `Deno.Listener.accept()` means.
 *
 * @param error Any thrown value.
 * @returns Its kind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptErrorKind } from "./accept_error.ts";
 *
 * assert.equal(acceptErrorKind(new Deno.errors.NotConnected("reset before accept")), "connection");
 * assert.equal(acceptErrorKind(Object.assign(new Error("Too many open files"), { code: "EMFILE" })), "exhausted");
 * assert.equal(acceptErrorKind(new Deno.errors.BadResource("closed")), "closed");
 * ```
 */
export function acceptErrorKind(error: unknown): AcceptErrorKind {
  if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
    return "closed";
  }
  if (
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted
  ) {
    return "connection";
  }
  const code = errorCode(error);
  if (code !== null && CONNECTION_CODES.has(code)) return "connection";
  if (code !== null && EXHAUSTED_CODES.has(code)) return "exhausted";
  return "other";
}

/**
 * The OS error code an error carries, such as `EMFILE`, or `null`.
 *
 * @param error Any thrown value.
 * @returns The code, or `null` when it has none.
 */
export function errorCode(error: unknown): string | null {
  if (typeof error !== "object" || error === null || !("code" in error)) return null;
  return typeof error.code === "string" ? error.code : null;
}

/**
 * What running out of a resource means and what to do, in plain words, for
 * a warning: `EMFILE` names the open-files limit (`ulimit -n`).
 *
 * @param code The OS error code, such as `EMFILE`.
 * @returns One or two sentences.
 */
export function exhaustionAdvice(code: string): string {
  switch (code) {
    case "EMFILE":
      return "muxd has as many files and sockets open as its open-files limit allows " +
        "(ulimit -n); raise it (ulimit -n 65536 before starting muxd), or lower " +
        "--max-connections and max-conns";
    case "ENFILE":
      return "the system has as many files open as it allows (fs.file-max); close some " +
        "programs' files or raise the limit";
    case "ENOBUFS":
    case "ENOMEM":
      return "the system is out of memory for sockets; close connections or free memory";
    default:
      return "the system is out of a resource";
  }
}
