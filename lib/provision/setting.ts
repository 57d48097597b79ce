/**
 * The kinds of setting muxd has, and what every row of the settings table
 * declares: its flags, its config-file key, the commands that take it, and
 * what a reload does with it.
 *
 * @module
 */

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
  /**
   * `true` for a file path: a relative one given on the command line is
   * relative to the folder the user ran the command from (see `userPaths()`).
   */
  readonly path: boolean;
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
