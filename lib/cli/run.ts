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
import { userFolder, userPaths } from "./user_paths.ts";
import { shorten } from "../spec/listen_spec_error.ts";
import { visible } from "../spec/visible.ts";

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
  // `args` names each spec's position as typed; `parsable` is what optique reads.
  const args = withCommand(given);
  const parsable = withoutSeparator(args);
  // Arguments that parse go straight to their command. Only help, the version
  // and bad input load @optique/run, which prints them: it brings Node's
  // process, fs and path modules, about 20 ms and 3 MiB of every start-up.
  const parsed = parseSync(muxdParser, parsable);
  const command = userPaths(
    parsed.success ? parsed.value : await answer(parsable),
    userFolder(),
  );
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

/** The options that ask for help or the version rather than a command. */
const META_FLAGS: ReadonlySet<string> = new Set(["-h", "--help", "-V", "--version"]);

/**
 * The arguments with their command: `muxd` alone and `muxd --listen ...`
 * (options without a command) are `muxd serve`, as the help says. A `--`
 * typed first (`deno task muxd -- check ...`, the habit `npm run` teaches,
 * which `deno task` passes on) is dropped: muxd takes no positional
 * arguments, so it means nothing, and left in it would make `check` a
 * second command after `serve`.
 *
 * @param given The arguments as typed.
 * @returns The same arguments, after `serve` when they name no command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withCommand } from "./run.ts";
 *
 * assert.deepEqual(withCommand([]), ["serve"]);
 * assert.deepEqual(withCommand(["-l", "tcp://127.0.0.1:0=echo"]), ["serve", "-l", "tcp://127.0.0.1:0=echo"]);
 * assert.deepEqual(withCommand(["-h"]), ["-h"]);
 * assert.deepEqual(withCommand(["check", "-l", "x"]), ["check", "-l", "x"]);
 * assert.deepEqual(withCommand(["--", "check", "-l", "x"]), ["check", "-l", "x"]);
 * ```
 */
export function withCommand(given: readonly string[]): readonly string[] {
  if (given[0] === "--") return withCommand(given.slice(1));
  const first = given[0];
  if (first === undefined) return ["serve"];
  return first.startsWith("-") && !META_FLAGS.has(first) ? ["serve", ...given] : given;
}

/**
 * The arguments without a `--` right after the command
 * (`deno task serve -- --help` hands muxd `serve -- --help`): muxd takes no
 * positional arguments, so it means nothing there, while optique would take
 * every option after it for an unexpected argument.
 *
 * @param args The arguments, the command first (see {@linkcode withCommand}).
 * @returns The same arguments without that `--`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutSeparator } from "./run.ts";
 *
 * assert.deepEqual(withoutSeparator(["serve", "--", "--help"]), ["serve", "--help"]);
 * assert.deepEqual(withoutSeparator(["serve", "-l", "x"]), ["serve", "-l", "x"]);
 * ```
 */
export function withoutSeparator(args: readonly string[]): readonly string[] {
  return args[1] === "--" ? [args[0], ...args.slice(2)] : args;
}

/**
 * Hands arguments that did not parse to @optique/run, which prints the help
 * page or the version and exits 0, or prints one error line (`muxd: ...`,
 * the prefix of every muxd error) and exits 2.
 */
async function answer(args: readonly string[]): Promise<MuxdCommand> {
  const { run } = await import("@optique/run");
  return run(muxdParser, {
    args,
    programName: "muxd",
    help: { command: true, option: { names: ["-h", "--help"] } },
    version: { value: VERSION, option: { names: ["-V", "--version"] } },
    errorExitCode: 2,
    aboveError: "none",
    // `muxd help nosuch` gets the usage on standard error before its error:
    // squeezed into the error's one line, it is noise (muxd --help prints it).
    stderr: (text) => {
      if (!text.trimStart().startsWith("Usage:")) console.error(errorLine(text));
    },
    brief: message`muxd: see how the OS demultiplexes traffic by socket name.`,
    description: message`One process binds many socket names (TCP and UDP, IPv4 and IPv6, \
several addresses, one port) and hands every connection or datagram to the service \
configured for the socket name it arrived on. With no command, muxd runs \
serve: muxd alone serves the demo set, and muxd -l SPEC is muxd serve -l SPEC.`,
    examples: examples(),
  });
}

/**
 * An error as optique writes it (`Error: ...`, wrapped to the terminal's
 * width) as muxd writes every error: one line after `muxd: `, with any
 * argument it quotes (`"..."` or `` `...` ``) cut as spec errors cut theirs
 * ({@linkcode shorten}), so that a huge argument does not make a huge line,
 * and control characters escaped ({@linkcode visible}), so that an argument
 * with an escape code in it does not reach the terminal as one.
 */
function errorLine(text: string): string {
  const line = text.replace(/^Error:\s*/, "").replaceAll(/\s*\n\s*/g, " ").trim();
  const cut = line.replace(
    /(["`])([^"`]*)\1/g,
    (_, mark: string, quoted: string) => `${mark}${shorten(quoted)}${mark}`,
  );
  return `muxd: ${visible(cut)}`;
}
