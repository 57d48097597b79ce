/**
 * Descriptors muxd keeps free when its listeners alone would take every one
 * the open-files limit allows, and it serves what bound (`keepGoing`).
 *
 * @module
 */

import type { BindResult, FailedBind } from "./bind.ts";
import { errorCode } from "./accept_error.ts";
import type { PlannedListener } from "../plan/plan.ts";

/**
 * How many descriptors a keep-going bind that met the open-files limit
 * leaves free: without them every listener is bound and none is any use
 * (each connection it accepts is one more file, and so are the ready
 * file and the `ss` that explains a failure), and muxd stops at the ready
 * file.
 */
export const FILES_KEPT_FREE = 32;

/**
 * When a bind met the open-files limit (EMFILE), unbinds the last
 * {@linkcode FILES_KEPT_FREE} sockets that did bind: each becomes a
 * failure with the same cause, so that muxd keeps as many descriptors for
 * the connections it accepts and the files it opens itself. When nothing
 * else serves (at start-up) and fewer than twice as many bound, it unbinds
 * half of them, so that some serve; beside listeners that serve already
 * (at a reload), it never keeps one in the place of a free descriptor: a
 * reload after another would take half of what was left free each time.
 *
 * @param result What `bindAll()` bound and could not.
 * @param listeners The listeners it was given, for the failures' order.
 * @param serving How many other listeners serve while these are bound. @default 0
 * @returns The result as muxd serves it: unchanged without EMFILE.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keepFilesFree } from "./files_kept_free.ts";
 *
 * const result = { bound: [], failures: [] };
 * assert.equal(keepFilesFree(result, []), result);
 * ```
 */
export function keepFilesFree(
  result: BindResult,
  listeners: readonly PlannedListener[],
  serving = 0,
): BindResult {
  const limit = result.failures.find((f) => errorCode(f.cause) === "EMFILE");
  if (limit === undefined || result.bound.length === 0) return result;
  // Under a limit so low that fewer than twice as many bound, and nothing
  // else serves, half of them serve.
  const n = result.bound.length;
  const kept = serving > 0
    ? Math.max(0, n - FILES_KEPT_FREE)
    : n - Math.min(FILES_KEPT_FREE, Math.floor(n / 2));
  const freed: FailedBind[] = result.bound.slice(kept).map((b) => {
    b.socket.close();
    return { listener: b.listener, cause: limit.cause };
  });
  const order = new Map(listeners.map((l, i) => [l, i]));
  const failures = [...result.failures, ...freed].sort((a, b) =>
    (order.get(a.listener) ?? 0) - (order.get(b.listener) ?? 0)
  );
  return { bound: result.bound.slice(0, kept), failures };
}
