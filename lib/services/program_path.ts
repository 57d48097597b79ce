/**
 * Finds a program's file the way `execvp()` does, but in muxd, with muxd's
 * `PATH`: exec's programs run with a cleared environment, so whatever starts
 * them (`setsid`) gets an absolute path and searches nothing.
 *
 * @module
 */

import { errorCode } from "../bind/accept_error.ts";

/**
 * Finds the file `name` runs: a name with a `/` is a path (a relative one
 * is taken from `cwd`); any other name is looked up in each directory of
 * `searchPath` in turn, and the first executable regular file wins (an
 * empty entry is `cwd`, as for `execvp()`).
 *
 * @param name The program, as `run` names it.
 * @param searchPath The directories to search, separated by `:` (muxd's `PATH`).
 * @param cwd The directory relative paths start from (muxd's working directory).
 * @returns The file's absolute path, or `null` when there is no executable file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findProgram } from "./program_path.ts";
 *
 * assert.equal(findProgram("sh", "/no/such/dir:/bin", "/"), "/bin/sh");
 * assert.equal(findProgram("no-such-program-here", "/bin", "/"), null);
 * ```
 */
export function findProgram(name: string, searchPath: string, cwd: string): string | null {
  if (name.includes("/")) {
    const file = name.startsWith("/") ? name : `${cwd}/${name}`;
    return isExecutable(file) ? file : null;
  }
  for (const dir of searchPath.split(":")) {
    const base = dir === "" ? cwd : dir.startsWith("/") ? dir : `${cwd}/${dir}`;
    const file = `${base}/${name}`;
    if (isExecutable(file)) return file;
  }
  return null;
}

/**
 * Says in words why a path names no program {@linkcode findProgram} would
 * run, for an error message.
 *
 * @param name The path given (with a `/`).
 * @param cwd Where a relative path starts.
 * @returns Such as `there is no such file`, or
 *   `it is not executable (mode 644): chmod +x it, or name its interpreter first`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { whyNoProgram } from "./program_path.ts";
 *
 * assert.equal(whyNoProgram("/no/such/file", "/"), "there is no such file");
 * assert.equal(whyNoProgram("/tmp", "/"), "it is a directory");
 * ```
 */
export function whyNoProgram(name: string, cwd: string): string {
  const file = name.startsWith("/") ? name : `${cwd}/${name}`;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(file);
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) {
      return "muxd may not look there (a folder on the way is not searchable)";
    }
    return "there is no such file";
  }
  if (info.isDirectory) return "it is a directory";
  if (!info.isFile) return "it is not a regular file";
  const mode = (info.mode ?? 0) & 0o777;
  return `it is not executable (mode ${mode.toString(8)}): chmod +x it, or name its ` +
    `interpreter first (run=python3,${name})`;
}

/** Tells whether `file` is a regular file that someone may execute. */
function isExecutable(file: string): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(file);
  } catch (error) {
    // Missing, in a directory muxd may not search, a name too long for a
    // file (ENAMETOOLONG: a `run=` of 300 letters) or a loop of symbolic
    // links: no program there, and execvp() goes on too.
    if (
      error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory ||
      error instanceof Deno.errors.PermissionDenied ||
      error instanceof Deno.errors.FilesystemLoop ||
      errorCode(error) === "ENAMETOOLONG"
    ) return false;
    throw error;
  }
  // Windows has no mode bits: a file there is taken as runnable.
  return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
}
