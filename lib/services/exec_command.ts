/**
 * What `exec` runs, and with what environment: the `run` option parsed into
 * an argument vector once, the right to run it checked when muxd
 * provisions, and the UCSPI variables that tell a program both socket names.
 *
 * @module
 */

import { quote } from "../spec/listen_spec_error.ts";
import type { ServiceContext } from "./service.ts";
import { findProgram, whyNoProgram } from "./program_path.ts";

/**
 * Parses exec's `run` option into the program and its arguments. Two forms:
 *
 * - `python3,docs/examples/connection_received.py`: split at every comma
 *   (the command-line form; a space is written `%20`, like any spec value);
 * - `["python3","a,b"]`: a JSON array of strings, for arguments that hold a
 *   comma.
 *
 * No shell is involved: the first item is the program (see
 * {@linkcode programFile}), and each further item is one argument.
 *
 * @param text The option's text, percent-decoded.
 * @returns The program, then its arguments; never empty.
 * @throws {RangeError} When no program is named or the array form is not an
 *   array of strings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRun } from "./exec_command.ts";
 *
 * assert.deepEqual(parseRun("python3,hello.py"), ["python3", "hello.py"]);
 * assert.deepEqual(parseRun('["echo","a,b"]'), ["echo", "a,b"]);
 * ```
 */
export function parseRun(text: string): readonly string[] {
  if (text === "") {
    throw new RangeError(
      "must name the program to run, such as run=python3,server.py (program, then each argument, " +
        "separated by commas)",
    );
  }
  let argv: unknown;
  if (text.startsWith("[")) {
    try {
      argv = JSON.parse(text);
    } catch {
      throw new RangeError(`must be a JSON array of strings, not ${quote(text)}`);
    }
    if (!Array.isArray(argv) || argv.some((item) => typeof item !== "string")) {
      throw new RangeError(`must be a JSON array of strings, not ${quote(text)}`);
    }
  } else {
    argv = text.split(",");
  }
  const items = argv as string[];
  if (items.length === 0 || items[0] === "") {
    throw new RangeError(`must start with the program's name, not ${quote(text)}`);
  }
  if (items.some((item) => item.includes("\0"))) {
    throw new RangeError(`cannot hold a NUL character`);
  }
  return Object.freeze([...items]);
}

/** What exec runs: `run` parsed, and the program's file found when muxd provisions. */
export interface ExecCommand {
  /** The program, as `run` names it, then its arguments. */
  readonly argv: readonly string[];
  /**
   * The program's file, an absolute path found on muxd's `PATH`; `null` where
   * muxd may not read `PATH` (Deno then finds the program at each start).
   */
  readonly file: string | null;
}

/**
 * Says why muxd may not run `program`, or `null` when it may. Deno runs a
 * program only when its `--allow-run` list names it (or `--allow-run` names
 * no list at all); the default `serve` task names only the programs muxd
 * itself uses. The right is checked for the file muxd will run, `file`,
 * when it is known: Deno resolves each name in `--allow-run` to its file on
 * `PATH` too, so `cat` there allows `/usr/bin/cat`, and the reverse.
 *
 * @param program The program, as `run` names it.
 * @param file Its file, as {@linkcode programFile} found it, or `null`.
 * @returns One line naming the flag to add, or `null`.
 */
export function runPermissionProblem(program: string, file: string | null = null): string | null {
  const { state } = Deno.permissions.querySync({ name: "run", command: file ?? program });
  if (state === "granted") return null;
  const hint = apartHint(program);
  if (hint !== "") return `muxd has no right to run ${quote(program)}${hint}`;
  return `muxd has no right to run ${quote(program)}: start it with --allow-run=${program} ` +
    `added to deno run's flags (deno task serve:exec allows python3), and check that ` +
    `${quote(program)} is installed`;
}

/**
 * For a program name with a space in it (`"python3 server.py"`, a shell's
 * habit that `run` does not share), how to give it; otherwise "".
 */
function apartHint(program: string): string {
  return /\s/.test(program.trim())
    ? `; run takes the program and each argument apart: run=python3,server.py in a spec, ` +
      `"run": ["python3", "server.py"] in a config file`
    : "";
}

/**
 * Finds the file of the program `run` names, in muxd, when muxd provisions:
 * exec clears a program's environment, so the program is started by its
 * absolute path and nothing searches the child's (absent) `PATH`.
 *
 * @param program The program, as `run` names it: a path, or a name to look up on muxd's `PATH`.
 * @returns Its absolute path, or `null` when muxd may not read `PATH`
 *   (`--allow-env=PATH`) to look a name up.
 * @throws {RangeError} When there is no executable file by that name.
 */
export function programFile(program: string): string | null {
  let searchPath = "";
  if (!program.includes("/")) {
    try {
      searchPath = Deno.env.get("PATH") ?? "";
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) return null;
      throw error;
    }
  }
  const file = findProgram(program, searchPath, Deno.cwd());
  if (file !== null) return file;
  throw new RangeError(
    (program.includes("/")
      ? `cannot run program ${quote(program)}: ${whyNoProgram(program, Deno.cwd())}`
      : `cannot find program ${quote(program)} on muxd's PATH (${searchPath || "not set"})`) +
      apartHint(program),
  );
}

/**
 * Parses `run`, finds its program's file and checks the right to run it:
 * the parser of exec's `run` option, so that a spec naming a program that
 * is missing, or that muxd may not run, fails when muxd provisions, with
 * the spec's position, not at the first connection.
 *
 * @param text The option's text.
 * @returns The program and its arguments, and the program's file.
 * @throws {RangeError} See {@linkcode parseRun}, or when the program is
 *   missing or muxd may not run it.
 */
export function runnableCommand(text: string): ExecCommand {
  const argv = parseRun(text);
  const file = programFile(argv[0]);
  const problem = runPermissionProblem(argv[0], file);
  if (problem !== null) throw new RangeError(problem);
  return Object.freeze({ argv, file });
}

/**
 * Parses exec's `env` option: names of muxd's own environment variables to
 * pass on, separated by commas (`PATH,LANG`), or as a JSON array of
 * strings (`["PATH","LANG"]`, a config file's form).
 *
 * @param text The option's text; empty for none.
 * @returns The names.
 * @throws {RangeError} For a name that is not a variable name.
 */
export function parseEnvNames(text: string): readonly string[] {
  if (text === "") return Object.freeze([]);
  // A config file's array arrives as a JSON array.
  const names = text.startsWith("[") ? jsonNames(text) : text.split(",");
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new RangeError(
        `must be variable names separated by commas, such as PATH,LANG; ${quote(name)} is not one`,
      );
    }
  }
  return Object.freeze(names);
}

/**
 * Parses exec's `env` option and checks that muxd may read each variable it
 * names: the option's parser, so that a name muxd may not read fails when
 * muxd provisions, with the spec's position, where the program could
 * otherwise never start.
 *
 * @param text The option's text; empty for none.
 * @returns The names.
 * @throws {RangeError} See {@linkcode parseEnvNames}, or for a variable
 *   that `--allow-env` does not name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readableEnvNames } from "./exec_command.ts";
 *
 * assert.deepEqual(readableEnvNames(""), []);
 * ```
 */
export function readableEnvNames(text: string): readonly string[] {
  const names = parseEnvNames(text);
  for (const name of names) {
    const { state } = Deno.permissions.querySync({ name: "env", variable: name });
    if (state !== "granted") {
      throw new RangeError(
        `muxd has no right to read ${name}: start it with --allow-env=${name} added to deno ` +
          `run's flags (deno task serve:exec allows PATH), or leave ${name} out of env`,
      );
    }
  }
  return names;
}

/** The names of a JSON array of strings; a `RangeError` for anything else. */
function jsonNames(text: string): string[] {
  let names: unknown;
  try {
    names = JSON.parse(text);
  } catch {
    names = null;
  }
  if (!Array.isArray(names) || names.some((name) => typeof name !== "string")) {
    throw new RangeError(`must be a JSON array of variable names, not ${quote(text)}`);
  }
  return names;
}

/**
 * The environment of a program exec runs: the UCSPI variables of its
 * conversation (`PROTO=TCP`, `TCPLOCALIP`, `TCPLOCALPORT`, `TCPREMOTEIP`,
 * `TCPREMOTEPORT`; `PROTO=UDP` and `UDP...` for a datagram; an IPv6 address
 * in the same variables, without brackets), `MUXD_LISTENER`,
 * `MUXD_SERVICE`, and the variables `pass` names with their values in
 * muxd's environment. Nothing else of muxd's environment.
 *
 * @param ctx The conversation.
 * @param pass Names of muxd's variables to pass on.
 * @returns The variables.
 * @throws {Deno.errors.NotCapable} When muxd may not read a variable `pass` names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { execEnvironment } from "./exec_command.ts";
 *
 * const env = execEnvironment({
 *   transport: "tcp",
 *   local: { address: "127.0.0.1", port: 7300 },
 *   bound: { address: "127.0.0.1", port: 7300 },
 *   remote: { address: "127.0.0.1", port: 40000 },
 *   listener: "tcp://127.0.0.1:7300=exec?run=cat",
 *   service: "exec",
 * }, []);
 * assert.equal(env.TCPREMOTEPORT, "40000");
 * ```
 */
export function execEnvironment(
  ctx: Pick<ServiceContext, "transport" | "local" | "bound" | "remote" | "listener" | "service">,
  pass: readonly string[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of pass) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  // On a UDP wildcard socket the address a datagram was sent to is unknown:
  // the program sees the bound (wildcard) address.
  const local = ctx.local ?? ctx.bound;
  const proto = ctx.transport === "tcp" ? "TCP" : "UDP";
  env.PROTO = proto;
  env[`${proto}LOCALIP`] = local.address;
  env[`${proto}LOCALPORT`] = String(local.port);
  env[`${proto}REMOTEIP`] = ctx.remote.address;
  env[`${proto}REMOTEPORT`] = String(ctx.remote.port);
  env.MUXD_LISTENER = ctx.listener;
  env.MUXD_SERVICE = ctx.service;
  return env;
}
