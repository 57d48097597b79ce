/**
 * Provisioning: the command line and the config file merged once into typed
 * settings and a plan of listeners, or every problem with its position.
 * `serve`, `check` and a reload all start with {@linkcode provision}.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProblem, provision } from "./mod.ts";
 *
 * const argv = ["check", "-l", "tcp://127.0.0.1:70000=echo"];
 * const problems = provision(
 *   { command: "check", argv, config: undefined, listen: [argv[2]], public: false, format: undefined },
 *   null,
 *   { interfaces: [] },
 * );
 * assert.ok(Array.isArray(problems));
 * assert.equal(
 *   formatProblem(problems[0]),
 *   'Cannot parse listen spec "tcp://127.0.0.1:70000=echo" (argument 2 after check): port must be <= 65535',
 * );
 * ```
 *
 * @module
 */

export {
  provision,
  type ProvisionArgs,
  type Provisioned,
  type ProvisionHost,
} from "./provision.ts";
export { formatProblem, type Problem, SettingError } from "./problem.ts";
export { type ListenItems, listenItems, listenPositions } from "./listen_items.ts";
export {
  type ChoiceSetting,
  type Command,
  type Flag,
  type ListSetting,
  type NumberSetting,
  type OnReload,
  type Setting,
  type SettingBase,
  type SwitchSetting,
  type TextSetting,
} from "./setting.ts";
export {
  CONFIG_KEYS,
  type ConfigKey,
  type ConfigValues,
  type Given,
  type GivenOf,
  type KeysOf,
  keysOf,
  type SettingKey,
  SETTINGS,
  type Settings,
  valueFlags,
  type ValueOf,
} from "./settings.ts";
export {
  changedSettings,
  checkConfigValue,
  mergeSettings,
  type SettingChange,
} from "./merge_settings.ts";
