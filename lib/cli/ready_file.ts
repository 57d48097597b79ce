/**
 * The ready file (`--ready-file`): the ready record where a test harness can
 * poll for it. It says "ready" only while muxd serves: a record left by a
 * muxd that is gone is removed before anything is bound, and muxd removes its
 * own when it stops accepting (SIGINT, SIGTERM: before the grace period) or
 * fails. Only a ready record is ever removed, and never one whose muxd still
 * runs.
 *
 * @module
 */

import { runTool } from "../check/host_facts.ts";
import { isMuxdCommandLine, readCommandLine } from "../holder/command_line.ts";
import { fileErrorWords } from "../explain/file_error.ts";

/**
 * The ready file of one `muxd serve`. {@linkcode ReadyFile.withdraw} removes
 * it when muxd stops serving; disposing of it (`await using`) does too.
 */
export class ReadyFile implements AsyncDisposable {
  /** The file's path, as given. */
  readonly path: string;
  readonly #pid: number;
  readonly #warn: (message: string) => void;
  #written = false;
  /** Set by withdraw(): no record is written after it. */
  #withdrawn: Promise<void> | null = null;
  /** The last write asked for, which the next waits for. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, pid: number, warn: (message: string) => void) {
    this.path = path;
    this.#pid = pid;
    this.#warn = warn;
  }

  /**
   * Takes over the path: removes a ready record that a muxd which no longer
   * runs left there (killed, say), so that nothing claims readiness until
   * this muxd is ready. Another running muxd's record is taken over, and an
   * empty file (a harness's `mktemp`) is taken as it is. Anything else is
   * left alone, and refused: muxd would overwrite it and remove it at exit.
   *
   * @param path The file's path.
   * @param pid This process's id, which the record names.
   * @param warn Told, in one line, when the file cannot be removed at exit.
   * @returns The ready file, not yet written.
   * @throws {ReadyFileTaken} When the path holds a file that is not a ready
   *   record, or something that is not a file.
   * @throws Whatever removing a stale record throws, other than `NotFound`.
   */
  static async claim(
    path: string,
    pid: number,
    warn: (message: string) => void,
  ): Promise<ReadyFile> {
    const held = await holding(path);
    if (held.kind === "other") throw new ReadyFileTaken(held.what);
    // A running muxd's record is taken over (its muxd leaves this one's
    // record at exit); one whose muxd is gone is removed first, also when
    // its pid now belongs to another program.
    if (
      held.kind === "record" && held.pid !== pid && await isMuxdRunning(held.pid, pid) === false
    ) await removeIfThere(path);
    // A folder that is missing or cannot be written to is found now, before
    // anything is bound, with the name the record is first written under.
    const probe = temporaryName(path, pid);
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
    return new ReadyFile(path, pid, warn);
  }

  /**
   * Writes the record: to a temporary name first, then renamed, so that a
   * reader never sees half of it. Writes follow one another in the order
   * they were asked for, so the last record asked for is the one that stays.
   * Once the file is withdrawn, nothing is written: a reload or an API change
   * that finishes while muxd stops must not put "ready" back.
   *
   * @param record The ready record's JSON text, without a newline.
   */
  write(record: string): Promise<void> {
    if (this.#withdrawn !== null) return Promise.resolve();
    const next = this.#writing.catch(() => {}).then(async () => {
      const tmp = temporaryName(this.path, this.#pid);
      try {
        await Deno.writeTextFile(tmp, record + "\n");
        await Deno.rename(tmp, this.path);
      } catch (error) {
        // A record cut short (a full disk) is not left beside the file.
        await removeIfThere(tmp).catch((e) =>
          this.#warn(`cannot remove ${tmp}: ${e instanceof Error ? e.message : e}`)
        );
        throw error;
      }
      this.#written = true;
    });
    this.#writing = next;
    return next;
  }

  /**
   * Writes the record again after a change that took effect (a reload, a
   * change through the control API). When the file cannot be written, the
   * change stays in force and muxd goes on serving: the line returned says
   * so, why the write failed, and what a program reading the file sees now.
   *
   * @param record The ready record's JSON text, without a newline.
   * @param change What took effect, for the line: `the reload`.
   * @returns `null` once written, else the line to log.
   */
  async rewrite(record: string, change: string): Promise<string | null> {
    try {
      await this.write(record);
      return null;
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      const why = fileErrorWords(error, "its folder does not exist");
      const now = await isThere(this.path)
        ? `it still holds the record from before ${change}, so a program that reads it does ` +
          `not see the sockets served now`
        : `there is no ready file at ${this.path} now, so a program waiting for it takes muxd ` +
          `for not ready`;
      return `${change} took effect, but the ready file ${this.path} could not be rewritten ` +
        `(${why}): ${now}; the next reload or change through the control API tries again`;
    }
  }

  /**
   * Removes the file if it is still this process's record, and writes no
   * record after that: muxd has stopped serving (a stop signal came, and the
   * listeners are closing). Never throws: a file that cannot be removed is
   * reported through `warn`. Calls after the first wait for the first.
   */
  withdraw(): Promise<void> {
    this.#withdrawn ??= this.#remove();
    return this.#withdrawn;
  }

  /** Withdraws the file, if that was not done yet. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.withdraw();
  }

  async #remove(): Promise<void> {
    // A write still on its way would put the record back after its removal.
    await this.#writing.catch(() => {});
    if (!this.#written) return;
    try {
      const text = await Deno.readTextFile(this.path);
      // Another muxd may have taken the path over since: its record stays.
      if (recordPid(text) === this.#pid) await removeIfThere(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      const why = error instanceof Error ? error.message : String(error);
      this.#warn(`cannot remove the ready file ${this.path}: ${why}`);
    }
  }
}

/** The path holds something that is not muxd's to overwrite. */
/** Where a record is written before it is renamed to `path`. */
function temporaryName(path: string, pid: number): string {
  return `${path}.${pid}.tmp`;
}

export class ReadyFileTaken extends Error {
  /** @param why What is there and what to do, in words. */
  constructor(why: string) {
    super(why);
    this.name = "ReadyFileTaken";
  }
}

/** What a ready file's path holds now. */
type Holding =
  | { readonly kind: "free" } // nothing, or an empty file
  | { readonly kind: "record"; readonly pid: number }
  | { readonly kind: "other"; readonly what: string };

async function holding(path: string): Promise<Holding> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    // Not there, or not to be seen: writing it will say what is wrong.
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      return { kind: "free" };
    }
    throw error;
  }
  if (info.isDirectory) return { kind: "other", what: "it is a folder: name a file" };
  if (!info.isFile) return { kind: "other", what: "it is not a regular file: name a file" };
  if (info.size === 0) return { kind: "free" };
  // A record is a few hundred bytes per socket; anything far larger is not one.
  const pid = info.size > 16 * 1024 * 1024 ? null : recordPid(await Deno.readTextFile(path));
  return pid === null
    ? {
      kind: "other",
      what: "it holds a file that is not a ready record, which muxd would overwrite and " +
        "remove at exit: choose another path, or remove it",
    }
    : { kind: "record", pid };
}

/**
 * Whether process `pid` runs and is a muxd: asked of `prlimit`, which fails
 * for a process that does not exist (Deno lets a program read /proc only
 * with every permission), then of `ps`, whose command line tells a muxd from
 * another program that got the pid of a muxd killed with SIGKILL.
 *
 * @param pid The process to ask about.
 * @param self This process, asked first to learn whether prlimit answers at all.
 * @returns `true` or `false`, or `null` where it cannot be told.
 */
async function isMuxdRunning(pid: number, self: number): Promise<boolean | null> {
  const ask = (p: number) =>
    runTool("prlimit", ["--pid", String(p), "--nofile", "--raw", "--noheadings"]);
  if (await ask(self) === null) return null;
  if (await ask(pid) === null) return false;
  // Without ps (or once the process is gone), prlimit's answer stands.
  const commandLine = await readCommandLine(pid);
  return commandLine === null || isMuxdCommandLine(commandLine);
}

/** The pid a ready record names, or `null` when the text is not one. */
function recordPid(text: string): number | null {
  try {
    const record = JSON.parse(text);
    return record?.ready === true && Number.isSafeInteger(record?.pid) ? record.pid : null;
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
}

/** Whether something is at `path` (`true` when its folder may not be looked into). */
async function isThere(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    if (error instanceof Deno.errors.PermissionDenied) return true;
    throw error;
  }
}

async function removeIfThere(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
