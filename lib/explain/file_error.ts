/**
 * Why a file could not be read or written, in plain words, for the one-line
 * errors about the files muxd is given: the config file, the ready file,
 * the control token file. Deno's own message repeats the path after the
 * OS's words (`File name too long (os error 36): open '/tmp/...'`), and the
 * line already names the file.
 *
 * @module
 */

import { errorCode } from "../bind/accept_error.ts";

/** The OS errors a user can meet with a path they typed, in words. */
const WORDS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a folder, not a file",
  ENOTDIR: "a part of its path is a file, not a folder",
  ELOOP: "its path goes round a loop of symbolic links",
  ENAMETOOLONG: "its name is too long for a file",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the disk",
  EDQUOT: "the disk quota is used up",
  EMFILE: "too many open files: muxd has as many open as its open-files limit allows " +
    "(ulimit -n), its connections included; raise the limit before starting muxd",
  ENFILE: "the system's table of open files is full",
  ENXIO: "it is a socket, or a device with nothing behind it, not a file",
};

/**
 * Deno opens a path under `/proc`, or a link that leads there (`/dev/stdin`,
 * `/dev/fd/0`), only with every permission, and says to run again with
 * `--allow-all`: advice about Deno's flags, which `deno task` users do not
 * type, and which would grant muxd everything.
 */
const NOT_CAPABLE = "Deno opens it only with every permission (--allow-all), as it does any path " +
  "under /proc or a link there (/dev/stdin, /dev/stdout); name a regular file";

/**
 * Says why a file operation failed.
 *
 * @param error What the operation threw.
 * @param missing What a missing file or folder means here: `no such file`
 *   for a file to read, `its folder does not exist` for one to write.
 * @returns A few words, lowercase, without the path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileErrorWords } from "./file_error.ts";
 *
 * try {
 *   Deno.statSync(`/tmp/${"a".repeat(300)}`);
 * } catch (error) {
 *   assert.equal(fileErrorWords(error, "no such file"), "its name is too long for a file");
 * }
 * ```
 */
export function fileErrorWords(error: unknown, missing: string): string {
  if (error instanceof Deno.errors.NotFound) return missing;
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return WORDS.EISDIR;
  if (error instanceof Deno.errors.NotADirectory) return WORDS.ENOTDIR;
  if (error instanceof Deno.errors.FilesystemLoop) return WORDS.ELOOP;
  if (error instanceof Deno.errors.NotCapable && /Requires all access/.test(error.message)) {
    return NOT_CAPABLE;
  }
  const code = errorCode(error);
  if (code !== null && code in WORDS) return WORDS[code];
  if (!(error instanceof Error)) return String(error);
  // Deno gives ENXIO (opening a Unix socket, or /dev/tty without a terminal) no code.
  if (/\(os error 6\)/.test(error.message)) return WORDS.ENXIO;
  // The OS's words, without Deno's `: open '/the/path'` after them.
  return error.message.replace(/: [a-z_]+ '.*'$/s, "");
}
