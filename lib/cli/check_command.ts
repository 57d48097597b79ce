/**
 * `muxd check`: the same specs as `serve`, checked against the host's rules
 * and against the sockets that exist now, without binding anything.
 *
 * @module
 */

import {
  checkLive,
  type CheckReport,
  checkReport,
  formatCheckReport,
  type LookUpHolders,
  predict,
  readHostFacts,
} from "../check/mod.ts";
import { provision } from "../provision/provision.ts";
import { formatProblem } from "../provision/problem.ts";
import { jsonVisible } from "../spec/visible.ts";
import type { Given } from "../provision/settings.ts";
import { openFilesFindings } from "../check/open_files_rule.ts";
import { loadConfig } from "./load_config.ts";
import { openFilesLimit } from "./open_files.ts";
import { EXIT } from "./serve.ts";

/**
 * `check`'s exit codes: those of `serve`, and `notChecked` when no rule
 * fails but who holds the planned socket names could not be looked up, so
 * `check` cannot say that `serve` would bind them.
 */
export const CHECK_EXIT = { ...EXIT, notChecked: 3 } as const;

/** What `muxd check` was asked on the command line: one field per setting it takes. */
export type CheckArgs = Given<"check">;

/** What `check` uses that tests may replace. */
export interface CheckDeps {
  /** Finds who holds the planned names. @default findHoldersOfEach */
  readonly lookUp?: LookUpHolders;
  /** Reads the open-files limit of a process. @default openFilesLimit */
  readonly openFiles?: (pid: number) => Promise<number | null>;
}

/**
 * Runs `muxd check`.
 *
 * @param args The parsed options.
 * @param argv The raw arguments, to name each spec's position.
 * @param deps The holder lookup.
 * @returns 0 when `serve` would bind everything, 1 when it would fail, 2 for
 *   bad input, 3 when no rule fails but the live sockets could not be looked up.
 */
export async function check(
  args: CheckArgs,
  argv: readonly string[],
  deps: CheckDeps = {},
): Promise<number> {
  const config = await loadConfig(args.config);
  const facts = await readHostFacts();
  const provisioned = provision({ ...args, command: "check", argv }, config, facts);
  if (Array.isArray(provisioned)) {
    for (const p of provisioned) console.error(`muxd: ${formatProblem(p)}`);
    return EXIT.badInput;
  }
  const { plan, settings } = provisioned;
  const allowPublic = settings.public;
  const openFiles = await (deps.openFiles ?? openFilesLimit)(Deno.pid);
  const findings = [
    ...predict(plan.listeners, facts, { allowPublic }),
    ...openFilesFindings(plan.listeners, openFiles),
  ];
  const live = await checkLive(plan.listeners, facts, deps.lookUp);
  const report = checkReport(plan.listeners, findings, facts, live, openFiles);
  console.log(
    settings.format === "json"
      ? jsonVisible(JSON.stringify(report, null, 2))
      : formatCheckReport(report),
  );
  return checkExitCode(report);
}

/**
 * The exit code for a report.
 *
 * @param report What `check` found.
 * @returns 0 when `serve` would bind every listener, 1 when a finding is an
 *   error, 3 when none is but the live sockets were not looked up.
 */
export function checkExitCode(report: CheckReport): number {
  if (report.ok) return CHECK_EXIT.ok;
  return report.findings.some((f) => f.severity === "error")
    ? CHECK_EXIT.bindFailed
    : CHECK_EXIT.notChecked;
}
