/**
 * A listener that could not be bound, as `start()` reports it: the spec, the
 * OS error, and the explanation.
 *
 * @module
 */

import { errorCode } from "./accept_error.ts";
import type { PlannedListener } from "../plan/plan.ts";

/** A listener that could not be bound: the spec, the OS error, and an explanation. */
export class BindError extends Error {
  /** The listener that failed. */
  readonly listener: PlannedListener;
  /** The OS error code (`EADDRINUSE`, `EACCES`, …), or `null`. */
  readonly code: string | null;
  /** The explanation in plain words, without the spec. */
  readonly reason: string;

  /**
   * Creates the error; its message names the spec and gives the reason.
   *
   * @param listener The listener that failed.
   * @param cause The error `Deno.listen` or `Deno.listenDatagram` threw.
   * @param reason Why, in plain words, as an explainer gave it.
   */
  constructor(listener: PlannedListener, cause: unknown, reason: string) {
    super(`Cannot bind ${listener.spec}: ${reason}`, { cause });
    this.name = "BindError";
    this.listener = listener;
    this.code = errorCode(cause);
    this.reason = reason;
  }
}
