/**
 * Process groups for exec's programs: each program is started through
 * `setsid` (util-linux), so that it leads a session and process group of its
 * own, and muxd signals that whole group, so that what it starts in the
 * background ends with it.
 *
 * `setsid` calls `setsid()` and then executes the program in the same
 * process: the program's pid is its group's id. Deno starts `setsid` with
 * `posix_spawn()` (a `vfork()`), as it starts any program; Deno's own
 * `detached` option would `fork()` all of muxd instead, on its event loop.
 *
 * Deno signals a group (`Deno.kill(-pgid)`) only with the right to run any
 * program (`--allow-run` without a list). With a list, muxd runs `kill -SIG
 * -- -PGID` instead, which needs `kill` on the list; without either, only
 * the program itself can be signalled.
 *
 * @module
 */

import { findProgram } from "./program_path.ts";

/** The signals muxd ends a program with. */
export type EndSignal = "SIGTERM" | "SIGKILL";

/**
 * Sends `signal` to every process of the group `pgid`.
 *
 * @returns `true` when some process got it, `false` when the group is empty.
 */
export type GroupSignal = (pgid: number, signal: EndSignal) => Promise<boolean>;

/** How muxd can signal a group, once it has looked at its rights. */
export type GroupSignalMethod = "deno-kill" | "kill-program" | "none";

/**
 * Says how muxd may signal a process group, from its `--allow-run` rights.
 *
 * @returns `deno-kill` with blanket `--allow-run`, `kill-program` when
 *   `--allow-run` lists `kill`, `none` otherwise.
 *
 * @example
 * ```ts
 * import { groupSignalMethod } from "./process_group.ts";
 *
 * console.log(groupSignalMethod()); // "none" without --allow-run
 * ```
 */
export function groupSignalMethod(): GroupSignalMethod {
  if (Deno.permissions.querySync({ name: "run" }).state === "granted") return "deno-kill";
  if (Deno.permissions.querySync({ name: "run", command: "kill" }).state === "granted") {
    return "kill-program";
  }
  return "none";
}

/**
 * The function that signals a group by `method`, or `null` for `none`.
 *
 * @param method From {@linkcode groupSignalMethod}.
 * @returns The signaller.
 */
export function groupSignal(method: GroupSignalMethod): GroupSignal | null {
  switch (method) {
    case "deno-kill":
      return (pgid, signal) => {
        try {
          Deno.kill(-pgid, signal);
          return Promise.resolve(true);
        } catch (error) {
          // ESRCH: no process is left in the group; EPERM: the id is
          // another user's now, so none of the program's is left either.
          if (
            error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied
          ) return Promise.resolve(false);
          return Promise.reject(error);
        }
      };
    case "kill-program": {
      const batch = new KillBatch();
      return (pgid, signal) => batch.signal(pgid, signal);
    }
    case "none":
      return null;
  }
}

/** How long a group's signal waits for others to go in the same `kill` run, in ms. */
export const KILL_BATCH_MS = 20;

/** The most groups one `kill` run signals. */
const KILL_BATCH_SIZE = 500;

/**
 * Signals groups by running `kill`, one run for every group asked for
 * within {@linkcode KILL_BATCH_MS}: a busy server ends many groups (one per
 * connection) with few processes of its own.
 */
class KillBatch {
  readonly #waiting = new Map<EndSignal, Map<number, ((got: boolean) => void)[]>>();

  signal(pgid: number, signal: EndSignal): Promise<boolean> {
    let groups = this.#waiting.get(signal);
    if (groups === undefined) {
      groups = new Map();
      this.#waiting.set(signal, groups);
      setTimeout(() => this.#run(signal), KILL_BATCH_MS);
    }
    const waiting = groups.get(pgid) ?? [];
    groups.set(pgid, waiting);
    return new Promise((resolve) => waiting.push(resolve));
  }

  async #run(signal: EndSignal): Promise<void> {
    const groups = this.#waiting.get(signal)!;
    this.#waiting.delete(signal);
    const pgids = [...groups.keys()];
    for (let at = 0; at < pgids.length; at += KILL_BATCH_SIZE) {
      const part = pgids.slice(at, at + KILL_BATCH_SIZE);
      const empty = await runKill(signal, part);
      for (const pgid of part) {
        for (const resolve of groups.get(pgid)!) resolve(empty === null || !empty.has(pgid));
      }
    }
  }
}

/**
 * Runs `kill -SIG -- -PGID...`.
 *
 * @returns The groups that had no process (kill names each on its
 *   standard error), or `null` when `kill` could not be run (out of file
 *   descriptors or processes): then every group may still have some.
 */
async function runKill(signal: EndSignal, pgids: number[]): Promise<Set<number> | null> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("kill", {
      args: [`-${signal.slice(3)}`, "--", ...pgids.map((pgid) => `-${pgid}`)],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      clearEnv: true,
    }).output();
  } catch (error) {
    if (error instanceof Error) return null;
    throw error;
  }
  const empty = new Set<number>();
  // procps: "kill: (-812) - No such process"; BSD: "kill: -812: No such process".
  for (const line of new TextDecoder().decode(output.stderr).split("\n")) {
    const pgid = /-(\d+)\D*No such process/.exec(line)?.[1];
    if (pgid !== undefined) empty.add(Number(pgid));
  }
  return empty;
}

/** The warning muxd gives once when it can signal only the program itself. */
export const NO_GROUP_SIGNAL: string =
  "muxd cannot signal a program's process group, so what a program starts in the background " +
  "may outlive it: add kill to --allow-run (deno task serve:exec has it)";

/** Where `setsid` is, or why muxd cannot use it. */
export type SetsidLookup =
  | { readonly file: string }
  | {
    readonly missing:
      | "no-path" // muxd may not read PATH (--allow-env=PATH)
      | "not-found" // no setsid on PATH (macOS, BSD)
      | "no-right"; // --allow-run does not name it
  };

/**
 * Finds `setsid` on muxd's `PATH` and checks the right to run it.
 *
 * @returns Its file, or why muxd cannot use it.
 *
 * @example
 * ```ts
 * import { findSetsid } from "./process_group.ts";
 *
 * console.log(findSetsid()); // { missing: "no-path" } without --allow-env=PATH
 * ```
 */
export function findSetsid(): SetsidLookup {
  let searchPath: string;
  try {
    searchPath = Deno.env.get("PATH") ?? "";
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return { missing: "no-path" };
    throw error;
  }
  const file = findProgram("setsid", searchPath, Deno.cwd());
  if (file === null) return { missing: "not-found" };
  if (Deno.permissions.querySync({ name: "run", command: file }).state !== "granted") {
    return { missing: "no-right" };
  }
  return { file };
}

/** How exec starts and ends its programs, decided once per server. */
export interface ProgramLaunch {
  /**
   * The file of `setsid`, which each program is started through, in a
   * group of its own; `null` when programs are started directly, in muxd's
   * group.
   */
  readonly setsid: string | null;
  /**
   * How to signal a program's group; `null` when programs lead no group of
   * their own or muxd may not signal one: then only the program itself is
   * signalled.
   */
  readonly groupSignal: GroupSignal | null;
  /** What muxd says once, with the first program, when it cannot end a program's group. */
  readonly warning: string | null;
}

/**
 * Decides how exec starts and ends its programs.
 *
 * @param setsid From {@linkcode findSetsid}.
 * @param method From {@linkcode groupSignalMethod}.
 * @returns How to start a program, how to signal its group, and the warning to give.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { programLaunch } from "./process_group.ts";
 *
 * const launch = programLaunch({ missing: "no-right" }, "kill-program");
 * assert.equal(launch.setsid, null);
 * assert.match(launch.warning!, /add setsid to --allow-run/);
 * ```
 */
export function programLaunch(setsid: SetsidLookup, method: GroupSignalMethod): ProgramLaunch {
  if ("file" in setsid) {
    return {
      setsid: setsid.file,
      groupSignal: groupSignal(method),
      warning: method === "none" ? NO_GROUP_SIGNAL : null,
    };
  }
  const run = method === "none" ? ["setsid", "kill"] : ["setsid"];
  const why = {
    "no-path": "muxd may not read PATH to find setsid: add PATH to --allow-env" +
      (method === "none" ? " and kill to --allow-run" : "") + " (deno task serve:exec has both)",
    "not-found": "setsid (util-linux) is not on muxd's PATH",
    "no-right": `add ${run.join(" and ")} to --allow-run (deno task serve:exec has them)`,
  }[setsid.missing];
  return {
    setsid: null,
    groupSignal: null,
    warning: "muxd cannot start a program in a process group of its own, so it ends the program " +
      `alone and what the program starts in the background may outlive it: ${why}`,
  };
}
