/**
 * The open-files rule: every listener is one socket, so one file descriptor,
 * and a process may hold only as many as its open-files limit (`ulimit -n`)
 * allows. Past it, a bind fails with EMFILE, "too many open files", whatever
 * the address and port.
 *
 * @module
 */

import type { PlannedListener } from "../plan/plan.ts";
import type { Finding } from "./rules.ts";

/**
 * The files Deno and muxd hold before they bind a socket, at least: the
 * standard streams, the event loop's own. A compiled muxd holds about this
 * many; `deno run` a few more (its caches), about 25.
 */
export const FILES_BEFORE_BINDING = 16;

/**
 * The files they may hold at most: with `deno run`'s caches, the log, and a
 * `ss` or `sysctl` that muxd runs while it binds.
 */
export const FILES_BEFORE_BINDING_AT_MOST = 32;

/**
 * What the open-files limit means for binding these listeners: an error
 * when some surely cannot have a descriptor, a warning when some may not
 * (the files muxd holds besides vary a little), nothing when all fit. The
 * finding names the first listener that may fail.
 *
 * @param listeners The planned listeners, in the order serve binds them.
 * @param limit The open-files limit, or `null` where it cannot be read.
 * @returns At most one finding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "../plan/plan.ts";
 * import { openFilesFindings } from "./open_files_rule.ts";
 *
 * const text = "tcp://127.0.0.1:20000-20399=echo";
 * const { plan } = buildPlan([{ text, source: { kind: "argument", index: 2 } }]);
 * const [finding] = openFilesFindings(plan.listeners, 256);
 * assert.equal(finding.severity, "error");
 * assert.equal(finding.listeners[0].port, 20224); // the first that may fail: 256 - 32
 * assert.match(finding.explanation, /the last 160 to 176 listeners/);
 * assert.deepEqual(openFilesFindings(plan.listeners, 1024), []);
 * ```
 */
export function openFilesFindings(
  listeners: readonly PlannedListener[],
  limit: number | null,
): Finding[] {
  if (limit === null) return [];
  const n = listeners.length;
  const atMost = Math.max(0, limit - FILES_BEFORE_BINDING); // how many can be bound at most
  const atLeast = Math.max(0, limit - FILES_BEFORE_BINDING_AT_MOST); // how many for sure
  if (n <= atLeast) return [];
  const error = n > atMost;
  const some = error ? `${n - atMost} to ${n - atLeast}` : `up to ${n - atLeast}`;
  return [{
    rule: "open-files",
    severity: error ? "error" : "warning",
    // The first that may fail: where it fails depends on the files held besides.
    listeners: [listeners[atLeast]],
    explanation: `Each listener is a socket, one open file: these ${n} listeners need ${n}, ` +
      `and this process may have ${limit} files open (its open-files limit, ulimit -n), of ` +
      `which Deno and muxd hold ${FILES_BEFORE_BINDING} to ${FILES_BEFORE_BINDING_AT_MOST} ` +
      `before binding. So the last ${some} listeners, from about this one on, ` +
      `${error ? "would" : "may"} fail with "too many open files" (EMFILE)` +
      (error ? "." : `, and every connection needs a file of its own besides.`),
    fix: `Raise the limit before starting muxd (ulimit -n ${Math.max(n + 1024, 4096)}, which ` +
      `leaves room for connections), or bind fewer sockets (a shorter port range).`,
  }];
}
