/**
 * A listener that could not be bound, as `start()` reports it: the spec, the
 * OS error, and the explanation.
 *
 * @module
 */

import { errorCode } from "./accept_error.ts";
import type { PlannedListener } from "../plan/plan.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import { formatSource } from "../spec/source.ts";

/**
 * The words for a listener that could not be bound, the same wherever it is
 * told (start-up's log line, a reload's, the control API's answer): the
 * socket name, the spec (and, where known, where it came from), the reason.
 *
 * @param listener The listener that failed.
 * @param reason Why, in plain words.
 * @param withSource Name where the spec came from (a config file's line). @default false
 * @returns Such as `Cannot bind tcp 127.0.0.1:7007 (tcp://127.0.0.1:7007=echo): address already in use: …`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "../plan/plan.ts";
 * import { bindFailureText } from "./bind_error.ts";
 *
 * const { plan } = buildPlan([{ text: "tcp://lo:7007=echo", source: { kind: "argument", index: 2 } }]);
 * assert.equal(
 *   bindFailureText(plan.listeners[0], "address already in use", true),
 *   "Cannot bind tcp lo:7007 (tcp://lo:7007=echo, argument 2): address already in use",
 * );
 * ```
 */
export function bindFailureText(
  listener: PlannedListener,
  reason: string,
  withSource = false,
): string {
  const name = `${listener.transport} ${
    formatSocketName({ address: listener.hostname, port: listener.port })
  }`;
  const where = withSource ? `, ${formatSource(listener.source)}` : "";
  return `Cannot bind ${name} (${listener.spec}${where}): ${reason}`;
}

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
    super(bindFailureText(listener, reason), { cause });
    this.name = "BindError";
    this.listener = listener;
    this.code = errorCode(cause);
    this.reason = reason;
  }
}
