/**
 * Whether muxd's limits fit the process's open-files limit: at start-up, muxd
 * adds up the file descriptors its limits allow (connections, sockets, the
 * dashboard, its own) and warns when that passes the limit, since past it the
 * listeners cannot accept (EMFILE) until connections close.
 *
 * @module
 */

import type { PlannedListener } from "../plan/plan.ts";
import { runTool } from "../check/host_facts.ts";

/**
 * File descriptors muxd uses whatever it serves: standard streams, the event
 * loop's own, the log, and the pipes of a `ss` or `sysctl` it runs.
 */
const OWN_FILES = 32;

/** What muxd's limits allow it to hold open at once. */
export interface FileBudget {
  /** TCP connections: `--max-connections`, or the sum of the listeners' `max-conns` if less. */
  readonly connections: number;
  /** Listening and UDP sockets. */
  readonly sockets: number;
  /** The dashboard's sockets at most, 0 without one. */
  readonly dashboard: number;
  /** Everything, with muxd's own. */
  readonly total: number;
}

/**
 * Adds up the file descriptors muxd may hold.
 *
 * @param listeners The planned listeners.
 * @param maxConnections `--max-connections`.
 * @param dashboard The dashboard's most file descriptors, 0 without one.
 * @returns The budget.
 */
export function fileBudget(
  listeners: readonly PlannedListener[],
  maxConnections: number,
  dashboard: number,
): FileBudget {
  const perListener = listeners
    .filter((l) => l.transport === "tcp")
    .reduce((sum, l) => sum + l.limits.maxConns, 0);
  const connections = Math.min(maxConnections, perListener);
  const sockets = listeners.length;
  return { connections, sockets, dashboard, total: connections + sockets + dashboard + OWN_FILES };
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
 * const budget = { connections: 10_000, sockets: 13, dashboard: 129, total: 10_174 };
 * assert.match(openFilesWarning(budget, 1024) ?? "", /open-files limit is 1024/);
 * assert.equal(openFilesWarning(budget, 65_536), null);
 * ```
 */
export function openFilesWarning(budget: FileBudget, limit: number): string | null {
  if (budget.total <= limit) return null;
  const room = Math.max(1, limit - (budget.total - budget.connections));
  const parts = [
    `${budget.connections} connection${budget.connections === 1 ? "" : "s"}`,
    `${budget.sockets} socket${budget.sockets === 1 ? "" : "s"}`,
    ...(budget.dashboard > 0 ? [`up to ${budget.dashboard} for the dashboard`] : []),
  ];
  return `muxd's limits allow ${budget.total} open files (${parts.join(", ")}, and its own), ` +
    `but its open-files limit is ${limit} (ulimit -n): past it, listeners cannot accept ` +
    `(EMFILE) until connections close. Raise the limit (ulimit -n ${budget.total} before ` +
    `starting muxd) or lower --max-connections to ${room}.`;
}
