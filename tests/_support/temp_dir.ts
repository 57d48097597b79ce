/**
 * A temporary folder for one test, removed with everything in it when the
 * test's scope ends (`await using`), however the test ends.
 *
 * @module
 */

/** A temporary folder; disposing of it removes it. */
export interface TempDir extends AsyncDisposable {
  /** The folder's path. */
  readonly path: string;
}

/**
 * Makes a temporary folder.
 *
 * @param prefix The start of its name, such as `muxd-ready-`.
 * @returns The folder, removed when disposed.
 */
export async function tempDir(prefix: string): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
