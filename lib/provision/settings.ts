/**
 * Every setting of `muxd serve` and `muxd check`, in one table: its
 * command-line flag, its config-file key, its default, its bounds, and
 * whether a reload (SIGHUP) may change it while muxd runs. The command-line
 * parser, the config-file reader and the merge of the two all read this
 * table, so a new setting is one new entry.
 *
 * @module
 */

import { DEFAULT_MAX_CONNECTIONS } from "../server/server.ts";

/** The commands that take settings. */
export type Command = "serve" | "check";

/**
 * What a reload does with a changed setting: `live` applies it to the
 * running muxd; `restart` leaves it until muxd starts again, and says so.
 */
export type OnReload = "live" | "restart";

/** A command-line option name, such as `--grace` or `-c`. */
export type Flag = `-${string}`;

/** What every setting declares, whatever its kind. */
export interface SettingBase {
  /** The command-line names, long one last; empty for a config-file-only setting. */
  readonly flags: readonly Flag[];
  /** The key in the config file, or `null` for a command-line-only setting. */
  readonly configKey: string | null;
  /** The commands that take it. */
  readonly commands: readonly Command[];
  /** Whether a reload applies a change at once or leaves it for a restart. */
  readonly reload: OnReload;
  /** The help text; a value to show as typed is in backticks, as in `` `debug` ``. */
  readonly help: string;
}

/** A number with bounds, such as `--grace SECONDS`. */
export interface NumberSetting extends SettingBase {
  /** The kind. */
  readonly kind: "number";
  /** `true` for whole numbers only. */
  readonly whole: boolean;
  /** The smallest value allowed. */
  readonly min: number;
  /** The largest value allowed. */
  readonly max: number;
  /** The unit in words (`seconds`), or `""`. */
  readonly unit: string;
  /** The placeholder in the help, such as `SECONDS`. */
  readonly metavar: string;
  /** The value when neither the command line nor the config file sets it. */
  readonly default: number;
}

/** One of a few words, such as `--log-format text|json`. */
export interface ChoiceSetting<V extends string = string> extends SettingBase {
  /** The kind. */
  readonly kind: "choice";
  /** The words allowed. */
  readonly values: readonly V[];
  /** The placeholder in the help. */
  readonly metavar: string;
  /** The value when nothing sets it. */
  readonly default: V;
}

/** Free text such as a file path; unset by default. */
export interface TextSetting extends SettingBase {
  /** The kind. */
  readonly kind: "text";
  /** The placeholder in the help. */
  readonly metavar: string;
  /** What the value must be, for the config file's message: `a file path`. */
  readonly what: string;
}

/** On or off; off by default, and a flag on the command line turns it on. */
export interface SwitchSetting extends SettingBase {
  /** The kind. */
  readonly kind: "switch";
}

/** Repeated values, such as each `--listen SPEC`. */
export interface ListSetting extends SettingBase {
  /** The kind. */
  readonly kind: "list";
  /** The placeholder in the help. */
  readonly metavar: string;
}

/** One row of {@linkcode SETTINGS}. */
export type Setting = NumberSetting | ChoiceSetting | TextSetting | SwitchSetting | ListSetting;

const BOTH = ["serve", "check"] as const satisfies readonly Command[];
const SERVE = ["serve"] as const satisfies readonly Command[];

/**
 * Every setting, in the order of `--help` and of the config file's list of
 * known keys.
 *
 * @example Adding a setting is one entry here
 * ```ts
 * import assert from "node:assert/strict";
 * import { SETTINGS } from "./settings.ts";
 *
 * assert.equal(SETTINGS.grace.configKey, "grace");
 * assert.deepEqual(SETTINGS.grace.flags, ["--grace"]);
 * assert.equal(SETTINGS.grace.max, 3600);
 * ```
 */
export const SETTINGS = {
  config: {
    kind: "text",
    flags: ["-c", "--config"],
    configKey: null,
    commands: BOTH,
    reload: "restart",
    metavar: "FILE",
    what: "a file path",
    help: "Read listeners and settings from a JSONC file.",
  },
  listen: {
    kind: "list",
    flags: ["-l", "--listen"],
    configKey: "listen",
    commands: BOTH,
    reload: "live",
    metavar: "SPEC",
    help: "A listen spec such as `tcp://127.0.0.1:7007=echo`. Repeat it for more; adds to the " +
      "config file.",
  },
  grace: {
    kind: "number",
    flags: ["--grace"],
    configKey: "grace",
    commands: SERVE,
    reload: "live",
    whole: false,
    min: 0,
    max: 3600,
    unit: "seconds",
    metavar: "SECONDS",
    default: 5,
    help: "How long open connections may finish at shutdown (default 5).",
  },
  logFormat: {
    kind: "choice",
    flags: ["--log-format"],
    configKey: "logFormat",
    commands: SERVE,
    reload: "restart",
    values: ["text", "json"],
    metavar: "FORMAT",
    default: "text",
    help: "Write log lines as text (default) or JSON lines.",
  },
  logLevel: {
    kind: "choice",
    flags: ["--log-level"],
    configKey: null,
    commands: SERVE,
    reload: "restart",
    values: ["debug", "info", "warning", "error"],
    metavar: "LEVEL",
    default: "info",
    help: "The lowest level logged (default info); `debug` adds UDP replies.",
  },
  readyFile: {
    kind: "text",
    flags: ["--ready-file"],
    configKey: "readyFile",
    commands: SERVE,
    reload: "restart",
    metavar: "FILE",
    what: "a file path",
    help: "Also write the ready record (JSON) to this file.",
  },
  keepGoing: {
    kind: "switch",
    flags: ["--keep-going"],
    configKey: "keepGoing",
    commands: SERVE,
    reload: "restart",
    help: "Serve what bound even when some listeners fail.",
  },
  public: {
    kind: "switch",
    flags: ["--public"],
    configKey: "public",
    commands: BOTH,
    reload: "live",
    help: "Allow wildcard and non-loopback addresses, reachable from other hosts. Without it " +
      "muxd binds loopback addresses only.",
  },
  maxConnections: {
    kind: "number",
    flags: ["--max-connections"],
    configKey: "maxConnections",
    commands: SERVE,
    reload: "live",
    whole: true,
    min: 1,
    max: 1_000_000,
    unit: "",
    metavar: "N",
    default: DEFAULT_MAX_CONNECTIONS,
    help: `Open TCP connections at most, over every listener (default ${DEFAULT_MAX_CONNECTIONS}).`,
  },
  dashboard: {
    kind: "text",
    flags: ["--dashboard"],
    configKey: null,
    commands: SERVE,
    reload: "restart",
    metavar: "HOST:PORT",
    what: "an address such as 127.0.0.1:7080",
    help: "Serve a live, read-only dashboard of socket names and arrivals at this address, such " +
      "as `127.0.0.1:7080`. The demo set serves one there by default.",
  },
  format: {
    kind: "choice",
    flags: ["--format"],
    configKey: null,
    commands: ["check"],
    reload: "restart",
    values: ["text", "json"],
    metavar: "FORMAT",
    default: "text",
    help: "Write the findings as text (default) or one JSON document.",
  },
} as const satisfies Record<string, Setting>;

/** The name of a setting: a key of {@linkcode SETTINGS}. */
export type SettingKey = keyof typeof SETTINGS;

/** The keys of the settings a command takes. */
export type KeysOf<C extends Command> = {
  [K in SettingKey]: C extends typeof SETTINGS[K]["commands"][number] ? K : never;
}[SettingKey];

/** The keys of the settings a config file may hold. */
export type ConfigKey = {
  [K in SettingKey]: typeof SETTINGS[K]["configKey"] extends null ? never : K;
}[SettingKey];

/** The value of a setting once merged: never missing, except unset text. */
export type ValueOf<S> = S extends { readonly kind: "number" } ? number
  : S extends { readonly kind: "choice"; readonly values: readonly (infer V)[] } ? V
  : S extends { readonly kind: "text" } ? string | undefined
  : S extends { readonly kind: "switch" } ? boolean
  : S extends { readonly kind: "list" } ? readonly string[]
  : never;

/** The value of a setting as the command line gives it: `undefined` when not given. */
export type GivenOf<S> = S extends { readonly kind: "switch" | "list" } ? ValueOf<S>
  : ValueOf<S> | undefined;

/** What the command line of `command` gives, one field per setting it takes. */
export type Given<C extends Command> = {
  readonly [K in KeysOf<C>]: GivenOf<typeof SETTINGS[K]>;
};

/** What a config file sets: only the keys it holds, each already checked. */
export type ConfigValues = {
  readonly [K in Exclude<ConfigKey, "listen">]?: ValueOf<typeof SETTINGS[K]>;
};

/**
 * Every setting of `command` after the merge (the command line, then the
 * config file, then the default), except the listen specs, which become
 * listeners.
 */
export type Settings<C extends Command> = {
  readonly [K in Exclude<KeysOf<C>, "listen">]: ValueOf<typeof SETTINGS[K]>;
};

/**
 * The keys of the settings that a command takes, in table order.
 *
 * @param command `serve` or `check`.
 * @returns The keys.
 */
export function keysOf<C extends Command>(command: C): KeysOf<C>[] {
  return (Object.keys(SETTINGS) as SettingKey[]).filter((k) =>
    (SETTINGS[k].commands as readonly Command[]).includes(command)
  ) as KeysOf<C>[];
}

/** Every config-file key, in table order: what the message for an unknown key lists. */
export const CONFIG_KEYS: readonly string[] = Object.values(SETTINGS as Record<string, Setting>)
  .flatMap((s) => s.configKey === null ? [] : [s.configKey]);

/**
 * The command-line options that take a value (so that the word after them
 * is that value, even when it looks like an option).
 *
 * @returns Every such option name, short and long.
 */
export function valueFlags(): ReadonlySet<string> {
  return new Set(
    Object.values(SETTINGS as Record<string, Setting>)
      .filter((s) => s.kind !== "switch")
      .flatMap((s) => s.flags),
  );
}

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
 * import { mergeSettings } from "./settings.ts";
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
 * import { checkConfigValue, SETTINGS } from "./settings.ts";
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
      return typeof value === "string" && value !== ""
        ? { value }
        : { problem: `must be ${setting.what}` };
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
 * import { changedSettings } from "./settings.ts";
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
