/**
 * Whether the text log is coloured: on a terminal unless `NO_COLOR` says
 * otherwise, and anywhere `FORCE_COLOR` asks for it.
 *
 * @module
 */

/** Reads one environment variable, `undefined` when it is not set. */
export type EnvReader = (name: string) => string | undefined;

/**
 * Decides whether to colour the text log, by the conventions of
 * no-color.org and force-color.org:
 *
 * - `NO_COLOR` set to anything but the empty string: never colour. It
 *   wins over `FORCE_COLOR`, since a log that someone parses must not
 *   gain escape codes because some other tool wanted them.
 * - `FORCE_COLOR` set to anything but the empty string, `0` or `false`:
 *   colour, even into a pipe or a file; `0` or `false`: no colour, even
 *   on a terminal.
 * - Otherwise, colour when standard error is a terminal, unless `TERM` is
 *   `dumb`.
 *
 * @param isTerminal Whether standard error is a terminal.
 * @param env Reads the environment, such as `(name) => Deno.env.get(name)`.
 * @returns `true` to colour.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { useColor } from "./use_color.ts";
 *
 * const env = (vars: Record<string, string>) => (name: string) => vars[name];
 * assert.equal(useColor(true, env({})), true);
 * assert.equal(useColor(false, env({})), false);
 * assert.equal(useColor(true, env({ NO_COLOR: "1" })), false);
 * assert.equal(useColor(false, env({ FORCE_COLOR: "1" })), true);
 * ```
 */
export function useColor(isTerminal: boolean, env: EnvReader): boolean {
  if (isSet(env("NO_COLOR"))) return false;
  const force = env("FORCE_COLOR");
  if (isSet(force)) return force !== "0" && force !== "false";
  return isTerminal && env("TERM") !== "dumb";
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}
