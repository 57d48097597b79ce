/**
 * Signals a whole process group: the one each program exec runs leads
 * (it is started detached, under its own session), so that what it starts
 * in the background ends with it.
 *
 * Deno signals a group (`Deno.kill(-pgid)`) only with the right to run any
 * program (`--allow-run` without a list). With a list, muxd runs `kill -SIG
 * -- -PGID` instead, which needs `kill` on the list; without either, only
 * the program itself can be signalled.
 *
 * @module
 */

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
