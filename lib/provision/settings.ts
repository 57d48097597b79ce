/**
 * Every setting of `muxd serve` and `muxd check`, in one table: its
 * command-line flag, its config-file key, its default, its bounds, and
 * whether a reload (SIGHUP) may change it while muxd runs. The command-line
 * parser, the config-file reader and the merge of the two all read this
 * table, so a new setting is one new entry.
 *
 * @module
 */

import { DEFAULT_MAX_CONNECTIONS } from "../server/running_server.ts";
import { DEFAULT_LOG_LINES } from "../log/line_budget.ts";
import type { Command, Setting } from "./setting.ts";

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
    path: true,
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
  logLines: {
    kind: "number",
    flags: ["--log-lines"],
    configKey: "logLines",
    commands: SERVE,
    reload: "restart",
    whole: true,
    min: 0,
    max: 1_000_000,
    unit: "",
    metavar: "N",
    default: DEFAULT_LOG_LINES,
    help: `Lines a second at most about one socket name's connections and datagrams, and as ` +
      `many warnings (default ${DEFAULT_LOG_LINES}; 0: every line). The rest are counted in one ` +
      `line a second.`,
  },
  readyFile: {
    kind: "text",
    flags: ["--ready-file"],
    configKey: "readyFile",
    commands: SERVE,
    reload: "restart",
    metavar: "FILE",
    what: "a file path",
    path: true,
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
    path: false,
    help: "Serve a live, read-only dashboard of socket names and arrivals at this address, such " +
      "as `127.0.0.1:7080`. The demo set serves one there by default.",
  },
  control: {
    kind: "text",
    flags: ["--control"],
    configKey: null,
    commands: SERVE,
    reload: "restart",
    metavar: "HOST:PORT",
    what: "an address such as 127.0.0.1:7081",
    path: false,
    help: "Serve the control API (JSON over HTTP, with a bearer token; see docs/control.md) at " +
      "this address, such as `127.0.0.1:0`. Off unless given.",
  },
  controlTokenFile: {
    kind: "text",
    flags: ["--control-token-file"],
    configKey: null,
    commands: SERVE,
    reload: "restart",
    metavar: "FILE",
    what: "a file path",
    path: true,
    help: "Read the control API's token from this file (one line) instead of making one.",
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
