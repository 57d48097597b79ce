/**
 * The command line: the optique parser, and the `serve` and `services`
 * commands it dispatches to.
 *
 * @module
 */

export { examples, muxdParser } from "./parser.ts";
export { EXIT, listenPositions, serve, type ServeArgs } from "./serve.ts";
export { servicesTable } from "./services_command.ts";
export { type ReadyRecord, readyRecord, socketTable } from "./report.ts";
export { netcatCommand } from "./try_command.ts";
