/**
 * "Already running": when every listener of a start failed because one
 * other process holds them all (most often muxd itself, started twice), one
 * line says so, with the process id, how to stop it, and how to serve a
 * second set on ports the OS picks, in place of one explanation per
 * listener.
 *
 * @module
 */

import type { BindError } from "../bind/bind_error.ts";
import { findHoldersOfEach } from "../holder/find_holders_of_each.ts";
import { isMuxdCommandLine, readCommandLine } from "../holder/command_line.ts";
import type { HolderProcess, HolderQuery, HolderReport } from "../holder/types.ts";
import { formatListenSpec, parseListenSpec } from "../spec/mod.ts";

/** The one process that holds every listener, and whether it is muxd. */
export interface SoleHolder extends HolderProcess {
  /** `true` when its command line is muxd's. */
  readonly muxd: boolean;
}

/** What {@linkcode findSoleHolder} uses that tests may replace. */
export interface SoleHolderLookups {
  /** Finds who holds each socket name. @default findHoldersOfEach */
  readonly holders?: (queries: readonly HolderQuery[]) => Promise<HolderReport[]>;
  /** Reads a process's command line. @default readCommandLine */
  readonly commandLine?: (pid: number) => Promise<string | null>;
}

/**
 * Finds the one process that holds every listener that failed, when each
 * failed because its address was in use and one process holds them all.
 *
 * @param failures Every listener of the start, all failed.
 * @param lookups How to find holders and command lines.
 * @returns The process, or `null` when the failures have other causes or
 *   holders (then each keeps its own explanation).
 */
export async function findSoleHolder(
  failures: readonly BindError[],
  lookups: SoleHolderLookups = {},
): Promise<SoleHolder | null> {
  const inUse = (f: BindError) => f.cause instanceof Deno.errors.AddrInUse;
  if (failures.length === 0 || !failures.every(inUse)) return null;
  const queries = failures.map(({ listener: l }) => ({
    transport: l.transport,
    address: l.hostname,
    port: l.port,
  }));
  const reports = await (lookups.holders ?? findHoldersOfEach)(queries);
  let sole: HolderProcess | null = null;
  for (const report of reports) {
    // A TIME-WAIT connection holds no socket a listener needs: no process owns it.
    const owners = report.holders.filter((h) => h.kind !== "time-wait").map((h) => h.process);
    if (owners.length === 0 || owners.some((p) => p === null)) return null;
    for (const p of owners as HolderProcess[]) {
      if (sole === null) sole = p;
      else if (p.pid !== sole.pid) return null;
    }
  }
  if (sole === null) return null;
  // findHoldersOfEach() has read a deno holder's command line already.
  if (sole.muxd !== undefined) return { ...sole, muxd: sole.muxd };
  const commandLine = await (lookups.commandLine ?? readCommandLine)(sole.pid);
  const muxd = commandLine === null ? sole.name === "muxd" : isMuxdCommandLine(commandLine);
  return { ...sole, muxd };
}

/** How many listen specs the suggested second set shows. */
const SHOWN = 3;

/**
 * The one line for a start that another process blocked entirely.
 *
 * @param holder The process that holds every listener.
 * @param failures Every listener of the start, all failed.
 * @param serve How the user runs `serve`: `deno task serve` or `muxd serve`.
 * @returns The line, without the log's time and level.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alreadyRunningLine } from "./already_running.ts";
 * import { BindError } from "../bind/bind_error.ts";
 * import { buildPlan } from "../plan/mod.ts";
 *
 * const { plan } = buildPlan([
 *   { text: "tcp://127.0.0.1:7007=echo", source: { kind: "argument", index: 3 } },
 * ]);
 * const failures = plan.listeners.map((l) =>
 *   new BindError(l, new Deno.errors.AddrInUse("in use"), "address already in use")
 * );
 * assert.equal(
 *   alreadyRunningLine({ pid: 1234, name: "deno", muxd: true }, failures, "muxd serve"),
 *   "muxd is already running as process 1234 and holds the 1 listener asked for: stop it " +
 *     "with `kill 1234`, or serve a second set on ports the OS picks: " +
 *     "muxd serve -l 'tcp://127.0.0.1:0=echo'",
 * );
 * ```
 */
export function alreadyRunningLine(
  holder: SoleHolder,
  failures: readonly BindError[],
  serve: string,
): string {
  const who = holder.muxd
    ? `muxd is already running as process ${holder.pid}`
    : `process ${holder.pid} (${holder.name}) is running`;
  const n = failures.length;
  const all = n === 1 ? "the 1 listener asked for" : `all ${n} listeners asked for`;
  const specs = [...new Set(failures.map((f) => onPortZero(f.listener.origin)))];
  // The command ends the line, whole, so that it can be pasted as it is; the
  // quotes keep a shell from reading `[::1]`, `?` or `&` in a spec.
  const shown = specs.slice(0, SHOWN).map((s) => `-l '${s}'`).join(" ");
  const which = specs.length > SHOWN ? ` (the first ${SHOWN} of ${specs.length})` : "";
  return `${who} and holds ${all}: stop it with \`kill ${holder.pid}\`, or serve a second ` +
    `set on ports the OS picks${which}: ${serve} ${shown}`;
}

/** A spec's text with port 0, so that the OS picks a free port. */
function onPortZero(text: string): string {
  return formatListenSpec({ ...parseListenSpec(text), port: { first: 0, last: 0 } });
}
