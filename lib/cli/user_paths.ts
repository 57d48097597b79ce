/**
 * Paths are the user's: a relative file path on the command line is
 * relative to the folder the user typed the command in. `deno task` runs
 * muxd in the project's folder and names the user's folder in `INIT_CWD`,
 * so muxd resolves such paths against it.
 *
 * @module
 */

import { type SettingKey, SETTINGS } from "../provision/settings.ts";
import type { Setting } from "../provision/setting.ts";

/** The settings whose value is a file path: `--config`, `--ready-file`. */
const PATH_KEYS: readonly SettingKey[] = (Object.keys(SETTINGS) as SettingKey[]).filter((key) => {
  const setting: Setting = SETTINGS[key];
  return setting.kind === "text" && setting.path;
});

/**
 * The folder the user ran muxd from, when it is not muxd's own working
 * folder: `INIT_CWD`, which `deno task` sets. `undefined` when it is not
 * set, not readable (no `--allow-env=INIT_CWD`), or muxd's working folder.
 *
 * @returns The folder, or `undefined` when relative paths stand as they are.
 */
export function userFolder(): string | undefined {
  const env = { name: "env", variable: "INIT_CWD" } as const;
  if (Deno.permissions.querySync(env).state !== "granted") return undefined;
  const folder = Deno.env.get("INIT_CWD");
  return folder === undefined || folder === "" || folder === Deno.cwd() ? undefined : folder;
}

/**
 * The parsed command line with each relative file path resolved against
 * `folder`; absolute paths and other values stay.
 *
 * @param given The parsed command line.
 * @param folder The user's folder ({@linkcode userFolder}), or `undefined`.
 * @returns The same command line, its paths the user's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { userPaths } from "./user_paths.ts";
 *
 * const given = { command: "check", config: "sub.jsonc", listen: ["x"] } as const;
 * assert.equal(userPaths(given, "/home/me/docs").config, "/home/me/docs/sub.jsonc");
 * assert.equal(userPaths({ ...given, config: "/etc/muxd.jsonc" }, "/home/me").config, "/etc/muxd.jsonc");
 * assert.equal(userPaths(given, undefined).config, "sub.jsonc");
 * ```
 */
export function userPaths<T extends object>(given: T, folder: string | undefined): T {
  if (folder === undefined) return given;
  const out = { ...given } as Record<string, unknown>;
  for (const key of PATH_KEYS) {
    const value = out[key];
    if (typeof value === "string" && !isAbsolute(value)) out[key] = join(folder, value);
  }
  return out as T;
}

/** Whether a path is absolute: `/x` on POSIX, `C:\x`, `\\server\x` or `/x` on Windows. */
function isAbsolute(path: string): boolean {
  return /^([A-Za-z]:)?[\\/]/.test(path);
}

/** `folder` and a relative `path`, joined by one separator. */
function join(folder: string, path: string): string {
  const separator = folder.includes("\\") && !folder.includes("/") ? "\\" : "/";
  return folder.endsWith(separator) ? `${folder}${path}` : `${folder}${separator}${path}`;
}
