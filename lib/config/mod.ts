/**
 * Where listeners come from: the JSONC config file, and the embedded demo
 * set served when none is given.
 *
 * @module
 */

export {
  CONFIG_KEYS,
  ConfigError,
  type ConfigResult,
  type LogFormat,
  parseConfig,
  readConfig,
  type ServeSettings,
} from "./config_file.ts";
export { DEMO_LISTENERS, demoItems, type DemoListener } from "./demo.ts";
