/**
 * The command line: `runMuxd(args)` parses the arguments with optique and
 * runs `serve` or `services`.
 *
 * @module
 */

export { runMuxd, VERSION } from "./run.ts";
export { EXIT, listenPositions, serve, type ServeArgs } from "./serve.ts";
export { servicesTable } from "./services_command.ts";
export { type ReadyRecord, readyRecord, socketTable } from "./report.ts";
export { netcatCommand } from "./try_command.ts";
