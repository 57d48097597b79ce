/**
 * The ready file (`--ready-file`): the ready record where a test harness can
 * poll for it. It says "ready" only while muxd serves: a record left by a
 * muxd that is gone is removed before anything is bound, and muxd removes its
 * own when it stops (SIGINT, SIGTERM, or an error). Only a ready record is
 * ever removed, and never one whose muxd still runs.
 *
 * @module
 */

import { runTool } from "../check/host_facts.ts";

/** The ready file of one `muxd serve`. Dispose of it (`await using`) to remove it at exit. */
export class ReadyFile implements AsyncDisposable {
  /** The file's path, as given. */
  readonly path: string;
  readonly #pid: number;
  readonly #warn: (message: string) => void;
  #written = false;
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
   * this muxd is ready. Anything else at the path is left alone: another
   * muxd's record while it runs, a file that is not a ready record, a folder.
   *
   * @param path The file's path.
   * @param pid This process's id, which the record names.
   * @param warn Told, in one line, when the file cannot be removed at exit.
   * @returns The ready file, not yet written.
   * @throws Whatever removing a stale record throws, other than `NotFound`.
   */
  static async claim(
    path: string,
    pid: number,
    warn: (message: string) => void,
  ): Promise<ReadyFile> {
    const owner = await recordOwner(path);
    if (owner !== null && owner !== pid && await isRunning(owner, pid) === false) {
      await removeIfThere(path);
    }
    return new ReadyFile(path, pid, warn);
  }

  /**
   * Writes the record: to a temporary name first, then renamed, so that a
   * reader never sees half of it. Writes follow one another in the order
   * they were asked for, so the last record asked for is the one that stays.
   *
   * @param record The ready record's JSON text, without a newline.
   */
  write(record: string): Promise<void> {
    const next = this.#writing.catch(() => {}).then(async () => {
      const tmp = `${this.path}.${this.#pid}.tmp`;
      await Deno.writeTextFile(tmp, record + "\n");
      await Deno.rename(tmp, this.path);
      this.#written = true;
    });
    this.#writing = next;
    return next;
  }

  /**
   * Removes the file if it is still this process's record. Never throws: a
   * file that cannot be removed is reported through `warn`.
   */
  async [Symbol.asyncDispose](): Promise<void> {
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

/** The pid of the ready record in a regular file at `path`, or `null` when there is none. */
async function recordOwner(path: string): Promise<number | null> {
  try {
    const info = await Deno.stat(path);
    // A record is a few hundred bytes per socket; anything far larger is not one.
    if (!info.isFile || info.size > 16 * 1024 * 1024) return null;
    return recordPid(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      return null;
    }
    throw error;
  }
}

/**
 * Whether process `pid` runs, asked of `prlimit`, which fails for a process
 * that does not exist (Deno lets a program read /proc only with every
 * permission).
 *
 * @param pid The process to ask about.
 * @param self This process, asked first to learn whether prlimit answers at all.
 * @returns `true` or `false`, or `null` where it cannot be told.
 */
async function isRunning(pid: number, self: number): Promise<boolean | null> {
  const ask = (p: number) =>
    runTool("prlimit", ["--pid", String(p), "--nofile", "--raw", "--noheadings"]);
  if (await ask(self) === null) return null;
  return await ask(pid) !== null;
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

async function removeIfThere(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
