/**
 * Whether muxd's limits fit the process's open-files limit: at start-up, muxd
 * adds up the file descriptors its limits allow (connections, sockets, the
 * dashboard, its own) and warns when that passes the limit, since past it the
 * listeners cannot accept (EMFILE) until connections close.
 *
 * @module
 */

import type { PlannedListener } from "../plan/plan.ts";
import { getService } from "../services/registry.ts";
import type { ServiceFiles } from "../services/service.ts";
import { runTool } from "../check/host_facts.ts";
// What muxd holds whatever it serves: standard streams, the event loop's own,
// the log, and the pipes of a `ss` or `sysctl` it runs; `check` counts the same.
import { FILES_BEFORE_BINDING_AT_MOST as OWN_FILES } from "../check/open_files_rule.ts";

/** What muxd's limits allow it to hold open at once. */
export interface FileBudget {
  /** TCP connections: `--max-connections`, or the sum of the listeners' `max-conns` if less. */
  readonly connections: number;
  /**
   * The files those connections hold: one each, two through `forward` (the
   * upstream's socket too), the dearest filling `--max-connections` first.
   */
  readonly connectionFiles: number;
  /** What services hold besides: the pipes of `exec`'s programs, `forward`'s UDP sessions. */
  readonly besides: number;
  /** The most files one connection holds, to turn spare files into connections. */
  readonly dearest: number;
  /** Listening and UDP sockets. */
  readonly sockets: number;
  /** The dashboard's sockets at most, 0 without one. */
  readonly dashboard: number;
  /** Everything, with muxd's own. */
  readonly total: number;
}

/** What one listener's service holds: {@linkcode ServiceFiles}, looked up by the listener. */
export type FilesOf = (listener: PlannedListener) => ServiceFiles;

/**
 * The files a listener's service says it holds (one per TCP connection for
 * a service that says nothing).
 *
 * @param listener A planned listener.
 * @returns Its service's files for its options and transport.
 */
export function serviceFiles(listener: PlannedListener): ServiceFiles {
  const service = getService(listener.service);
  return service.files?.(listener.options, listener.transport) ??
    { perConnection: listener.transport === "tcp" ? 1 : 0, besides: 0 };
}

/**
 * Adds up the file descriptors muxd may hold: the `--max-connections`
 * dearest connections its listeners allow, what their services hold
 * besides, the sockets, the dashboard and muxd's own.
 *
 * @param listeners The planned listeners.
 * @param maxConnections `--max-connections`.
 * @param dashboard The dashboard's most file descriptors, 0 without one.
 * @param filesOf What each listener's service holds; {@linkcode serviceFiles} by default.
 * @returns The budget.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "../plan/plan.ts";
 * import { fileBudget } from "./open_files.ts";
 *
 * const text = "tcp://127.0.0.1:7200=forward?to=127.0.0.1:8080";
 * const { plan } = buildPlan([{ text, source: { kind: "argument", index: 1 } }]);
 * const budget = fileBudget(plan.listeners, 100, 0);
 * assert.equal(budget.connections, 100);
 * assert.equal(budget.connectionFiles, 200); // the client's socket and the upstream's
 * ```
 */
export function fileBudget(
  listeners: readonly PlannedListener[],
  maxConnections: number,
  dashboard: number,
  filesOf: FilesOf = serviceFiles,
): FileBudget {
  const uses = listeners.map((listener) => ({ listener, files: filesOf(listener) }));
  const tcp = uses
    .filter(({ listener }) => listener.transport === "tcp")
    .sort((a, b) => b.files.perConnection - a.files.perConnection);
  let left = maxConnections;
  let connections = 0;
  let connectionFiles = 0;
  for (const { listener, files } of tcp) {
    const count = Math.min(left, listener.limits.maxConns);
    connections += count;
    connectionFiles += count * files.perConnection;
    left -= count;
  }
  const besides = uses.reduce((sum, { files }) => sum + files.besides, 0);
  const dearest = tcp[0]?.files.perConnection ?? 1;
  const sockets = listeners.length;
  const total = connectionFiles + besides + sockets + dashboard + OWN_FILES;
  return { connections, connectionFiles, besides, dearest, sockets, dashboard, total };
}

/**
 * The process's open-files limit (`ulimit -n`, the soft limit, which Deno
 * raises to the hard limit as it starts), read with `prlimit` (util-linux):
 * Deno lets a program read /proc only with every permission.
 *
 * @param pid The process, muxd's own.
 * @returns The limit, or `null` where it cannot be read (no prlimit, not
 *   permitted, not Linux, or unlimited).
 */
export async function openFilesLimit(pid: number): Promise<number | null> {
  const out = await runTool("prlimit", [
    "--pid",
    String(pid),
    "--nofile",
    "--raw",
    "--noheadings",
    "--output=SOFT",
  ]);
  const text = out?.trim() ?? "";
  return /^\d+$/.test(text) ? Number(text) : null;
}

/**
 * The warning to give when the budget passes the limit, or `null`.
 *
 * @param budget What muxd's limits allow.
 * @param limit The open-files limit.
 * @returns One line, naming the numbers and what to do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openFilesWarning } from "./open_files.ts";
 *
 * const budget = {
 *   connections: 10_000,
 *   connectionFiles: 10_000,
 *   besides: 0,
 *   dearest: 1,
 *   sockets: 13,
 *   dashboard: 129,
 *   total: 10_174,
 * };
 * assert.match(openFilesWarning(budget, 1024) ?? "", /open-files limit is 1024/);
 * assert.equal(openFilesWarning(budget, 65_536), null);
 * ```
 */
export function openFilesWarning(budget: FileBudget, limit: number): string | null {
  if (budget.total <= limit) return null;
  const spare = limit - (budget.total - budget.connectionFiles);
  const room = Math.max(1, Math.floor(spare / Math.max(1, budget.dearest)));
  const files = budget.connectionFiles === budget.connections
    ? ""
    : ` holding ${budget.connectionFiles} files`;
  const parts = [
    `${budget.connections} connection${budget.connections === 1 ? "" : "s"}${files}`,
    ...(budget.besides > 0 ? [`${budget.besides} for programs and sessions`] : []),
    `${budget.sockets} socket${budget.sockets === 1 ? "" : "s"}`,
    ...(budget.dashboard > 0 ? [`up to ${budget.dashboard} for the dashboard`] : []),
  ];
  const lower = spare > 0
    ? `lower --max-connections to ${room}`
    : "lower the listeners' max-procs or max-sessions";
  return `muxd's limits allow ${budget.total} open files (${parts.join(", ")}, and its own), ` +
    `but its open-files limit is ${limit} (ulimit -n): past it, listeners cannot accept ` +
    `(EMFILE) until connections close. Raise the limit (ulimit -n ${budget.total} before ` +
    `starting muxd) or ${lower}.`;
}
