/**
 * The whole command line: parse the arguments with optique and run the
 * command they name.
 *
 * @module
 */

import { message } from "@optique/core/message";
import { parseSync } from "@optique/core/parser";
import denoJson from "../../deno.json" with { type: "json" };
import { examples, type MuxdCommand, muxdParser } from "./parser.ts";
import { check } from "./check_command.ts";
import { serve } from "./serve.ts";
import { servicesTable } from "./services_command.ts";

/** muxd's version, from deno.json. */
export const VERSION: string = denoJson.version;

/**
 * Runs muxd with the given arguments; none means `serve` (the demo set).
 * `--help`, `--version` and bad input are answered by optique's runner,
 * which exits the process (code 2 for bad input).
 *
 * @param given The arguments, such as `["serve", "-l", "tcp://127.0.0.1:0=echo"]`.
 * @returns The exit code.
 */
export async function runMuxd(given: readonly string[]): Promise<number> {
  // `muxd` alone serves the demo set: what a newcomer who runs it wants to see.
  const args = given.length === 0 ? ["serve"] : given;
  // Arguments that parse go straight to their command. Only help, the version
  // and bad input load @optique/run, which prints them: it brings Node's
  // process, fs and path modules, about 20 ms and 3 MiB of every start-up.
  const parsed = parseSync(muxdParser, args);
  const command = parsed.success ? parsed.value : await answer(args);
  switch (command.command) {
    case "services":
      console.log(servicesTable());
      return 0;
    case "serve":
      return await serve(command, args);
    case "check":
      return await check(command, args);
  }
}

/**
 * Hands arguments that did not parse to @optique/run, which prints the help
 * page, the version, or the error and usage, and exits.
 */
async function answer(args: readonly string[]): Promise<MuxdCommand> {
  const { run } = await import("@optique/run");
  return run(muxdParser, {
    args,
    programName: "muxd",
    help: "both",
    version: VERSION,
    errorExitCode: 2,
    brief: message`muxd: see how the OS demultiplexes traffic by socket name.`,
    description: message`One process binds many socket names (TCP and UDP, IPv4 and IPv6, \
several addresses, one port) and hands every connection or datagram to the service \
configured for the socket name it arrived on.`,
    examples: examples(),
  });
}
