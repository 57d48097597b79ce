/**
 * The command line: `runMuxd(args)` parses the arguments with optique and
 * runs `serve` or `services`.
 *
 * @module
 */

export { runMuxd, VERSION } from "./run.ts";
export { EXIT, serve, type ServeArgs } from "./serve.ts";
export {
  check,
  CHECK_EXIT,
  type CheckArgs,
  type CheckDeps,
  checkExitCode,
} from "./check_command.ts";
export { loadConfig } from "./load_config.ts";
export { listenPositions } from "../provision/listen_items.ts";
export { servicesTable } from "./services_command.ts";
export { type ControlEntry, type ReadyRecord, readyRecord, socketTable } from "./report.ts";
export { netcatCommand } from "./try_command.ts";
