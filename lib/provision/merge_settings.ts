/**
 * The settings table at work: the command line and the config file merged
 * into one value per setting, a config-file value checked against its row,
 * and what a reload changed.
 *
 * @module
 */

import type { Command, OnReload, Setting } from "./setting.ts";
import {
  type ConfigValues,
  type Given,
  keysOf,
  type SettingKey,
  SETTINGS,
  type Settings,
} from "./settings.ts";

/**
 * Merges the command line and the config file into every setting of a
 * command: a value given on the command line wins, then the config file's,
 * then the default. A switch is on when either turns it on.
 *
 * @param command `serve` or `check`.
 * @param given What the command line gave.
 * @param config What the config file set (empty without one).
 * @returns Every setting, none missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeSettings } from "./merge_settings.ts";
 *
 * const merged = mergeSettings("check", {
 *   config: undefined, listen: [], public: false, format: undefined,
 * }, { public: true });
 * assert.deepEqual(merged, { config: undefined, public: true, format: "text" });
 * ```
 */
export function mergeSettings<C extends Command>(
  command: C,
  given: Given<C>,
  config: ConfigValues,
): Settings<C> {
  const out: Record<string, unknown> = {};
  const from = given as Record<string, unknown>;
  const file = config as Record<string, unknown>;
  for (const key of keysOf(command)) {
    if (key === "listen") continue;
    const setting: Setting = SETTINGS[key];
    const fromFile = setting.configKey === null ? undefined : file[key];
    if (setting.kind === "switch") out[key] = from[key] === true || fromFile === true;
    else out[key] = from[key] ?? fromFile ?? ("default" in setting ? setting.default : undefined);
  }
  return out as Settings<C>;
}

/**
 * Checks a value read from the config file against its setting's kind and
 * bounds.
 *
 * @param setting The row of {@linkcode SETTINGS}.
 * @param value The JSON value.
 * @returns The value, or what is wrong with it in words, such as
 *   `must be a number of seconds from 0 to 3600`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkConfigValue } from "./merge_settings.ts";
 * import { SETTINGS } from "./settings.ts";
 *
 * assert.deepEqual(checkConfigValue(SETTINGS.grace, 2), { value: 2 });
 * assert.deepEqual(checkConfigValue(SETTINGS.grace, -1), {
 *   problem: "must be a number of seconds from 0 to 3600",
 * });
 * ```
 */
export function checkConfigValue(
  setting: Setting,
  value: unknown,
): { readonly value: unknown } | { readonly problem: string } {
  switch (setting.kind) {
    case "number": {
      const ok = typeof value === "number" && value >= setting.min && value <= setting.max &&
        (!setting.whole || Number.isInteger(value));
      const what = `${setting.whole ? "a whole number" : "a number"}${
        setting.unit ? ` of ${setting.unit}` : ""
      }`;
      return ok ? { value } : { problem: `must be ${what} from ${setting.min} to ${setting.max}` };
    }
    case "choice":
      return (setting.values as readonly unknown[]).includes(value)
        ? { value }
        : { problem: `must be ${orList(setting.values.map((v) => `"${v}"`))}` };
    case "text":
      if (typeof value !== "string" || value === "") return { problem: `must be ${setting.what}` };
      // A config file may hold "\u0000", which no path can: the OS would refuse it later.
      return setting.path && value.includes("\0")
        ? { problem: `must be ${setting.what}, and a path cannot hold a NUL character` }
        : { value };
    case "switch":
      return typeof value === "boolean" ? { value } : { problem: "must be true or false" };
    case "list":
      return Array.isArray(value) ? { value } : { problem: "must be an array" };
  }
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/** A setting that a reload changed. */
export interface SettingChange {
  /** The setting. */
  readonly key: SettingKey;
  /** What muxd ran with. */
  readonly before: unknown;
  /** What the new command line and config file say. */
  readonly after: unknown;
  /** Whether the running muxd applies it now or at its next start. */
  readonly reload: OnReload;
}

/**
 * The settings whose merged value differs, in table order, each with what a
 * reload does with it.
 *
 * @param before The settings muxd runs with.
 * @param after The settings just provisioned.
 * @returns One entry per setting that changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { changedSettings } from "./merge_settings.ts";
 *
 * const before = { config: "m.jsonc", public: false, format: "text" } as const;
 * const after = { config: "m.jsonc", public: true, format: "text" } as const;
 * assert.deepEqual(changedSettings<"check">(before, after), [
 *   { key: "public", before: false, after: true, reload: "live" },
 * ]);
 * ```
 */
export function changedSettings<C extends Command>(
  before: Settings<C>,
  after: Settings<C>,
): SettingChange[] {
  const was = before as Record<string, unknown>;
  const now = after as Record<string, unknown>;
  return (Object.keys(SETTINGS) as SettingKey[])
    .filter((key) => key in now && was[key] !== now[key])
    .map((key) => ({ key, before: was[key], after: now[key], reload: SETTINGS[key].reload }));
}
