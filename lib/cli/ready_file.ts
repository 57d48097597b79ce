/**
 * The ready file (`--ready-file`): the ready record where a test harness can
 * poll for it. It exists only while muxd serves: a stale one from an earlier
 * run is removed before anything is bound, and muxd removes its own when it
 * exits, however it exits short of SIGKILL, so a reader never sees
 * `"ready": true` from a muxd that is not serving.
 *
 * @module
 */

/** The ready file of one `muxd serve`. Dispose of it (`await using`) to remove it at exit. */
export class ReadyFile implements AsyncDisposable {
  /** The file's path, as given. */
  readonly path: string;
  readonly #pid: number;
  readonly #warn: (message: string) => void;
  #written = false;

  private constructor(path: string, pid: number, warn: (message: string) => void) {
    this.path = path;
    this.#pid = pid;
    this.#warn = warn;
  }

  /**
   * Takes over the path: removes what an earlier run left there, so that
   * nothing claims readiness until this muxd is ready.
   *
   * @param path The file's path.
   * @param pid This process's id, which the record names.
   * @param warn Told, in one line, when the file cannot be removed at exit.
   * @returns The ready file, not yet written.
   * @throws Whatever removing an existing file throws, other than `NotFound`.
   */
  static async claim(
    path: string,
    pid: number,
    warn: (message: string) => void,
  ): Promise<ReadyFile> {
    await removeIfThere(path);
    return new ReadyFile(path, pid, warn);
  }

  /**
   * Writes the record: to a temporary name first, then renamed, so that a
   * reader never sees half of it.
   *
   * @param record The ready record's JSON text, without a newline.
   */
  async write(record: string): Promise<void> {
    const tmp = `${this.path}.${this.#pid}.tmp`;
    await Deno.writeTextFile(tmp, record + "\n");
    await Deno.rename(tmp, this.path);
    this.#written = true;
  }

  /**
   * Removes the file if it is still this process's record. Never throws: a
   * file that cannot be removed is reported through `warn`.
   */
  async [Symbol.asyncDispose](): Promise<void> {
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

/** The pid a ready record names, or `null` when the text is not one. */
function recordPid(text: string): number | null {
  try {
    const record = JSON.parse(text);
    return typeof record?.pid === "number" ? record.pid : null;
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
