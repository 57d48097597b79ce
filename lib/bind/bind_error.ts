/**
 * Why a bind failed, in plain words.
 *
 * @module
 */

import { errorCode } from "../dispatch/accept_error.ts";
import type { PlannedListener } from "../plan/plan.ts";
import { quote } from "../spec/listen_spec_error.ts";

/** A listener that could not be bound: the spec, the OS error, and an explanation. */
export class BindError extends Error {
  /** The listener that failed. */
  readonly listener: PlannedListener;
  /** The OS error code (`EADDRINUSE`, `EACCES`, …), or `null`. */
  readonly code: string | null;
  /** The explanation in plain words, without the spec. */
  readonly reason: string;

  /**
   * Creates the error and its plain-words explanation.
   *
   * @param listener The listener that failed.
   * @param cause The error `Deno.listen` or `Deno.listenDatagram` threw.
   * @param explanation A fuller explanation, replacing the built-in one.
   */
  constructor(listener: PlannedListener, cause: unknown, explanation?: string) {
    const basic = explain(listener, cause);
    const code = basic.code;
    const reason = explanation ?? basic.reason;
    super(`Cannot bind ${listener.spec}: ${reason}`, { cause });
    this.name = "BindError";
    this.listener = listener;
    this.code = code;
    this.reason = reason;
  }
}

function explain(l: PlannedListener, cause: unknown): { code: string | null; reason: string } {
  const code = errorCode(cause);
  const where = `${l.transport} ${
    l.hostname.includes(":") ? `[${l.hostname}]` : l.hostname
  }:${l.port}`;
  if (cause instanceof Deno.errors.AddrInUse) {
    return {
      code,
      reason: `address already in use: another socket already holds ${where}. ` +
        `Stop the program that holds it, or choose another port.`,
    };
  }
  if (cause instanceof Deno.errors.PermissionDenied) {
    return {
      code,
      reason: l.port < 1024
        ? `permission denied: ports below 1024 are privileged and need root ` +
          `(or CAP_NET_BIND_SERVICE). Use a port above 1023, such as ${l.port + 7000}.`
        : `permission denied by the operating system for ${where}.`,
    };
  }
  if (cause instanceof Deno.errors.AddrNotAvailable) {
    return {
      code,
      reason: `address not available: ${l.hostname} is not an address of this host. ` +
        `Bind one of its own addresses, or a loopback address such as 127.0.0.1.`,
    };
  }
  if (cause instanceof Deno.errors.NotCapable) {
    return {
      code,
      reason: `not allowed by Deno's permissions: run with --allow-net (deno task serve does).`,
    };
  }
  if (cause instanceof RangeError) {
    return { code, reason: `invalid port ${l.port}.` };
  }
  if (cause instanceof Error && /lookup address|Name or service not known/i.test(cause.message)) {
    return { code, reason: `host name not found: ${quote(l.hostname)} does not resolve.` };
  }
  return { code, reason: cause instanceof Error ? cause.message : String(cause) };
}
