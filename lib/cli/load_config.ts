/**
 * Reading the config file named by `--config`, for provisioning.
 *
 * @module
 */

import type { ConfigResult } from "../config/config_file.ts";

/**
 * Reads and parses the config file, if one is named.
 *
 * @param path The `--config` value, or `undefined`.
 * @returns The file's settings and problems, or `null` without `--config`.
 */
export async function loadConfig(path: string | undefined): Promise<ConfigResult | null> {
  if (path === undefined) return null;
  // Loaded only for a config file: its JSONC parser adds about 12 ms to start-up.
  const { readConfig } = await import("../config/config_file.ts");
  return await readConfig(path);
}
