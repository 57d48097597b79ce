/**
 * Running the `ss` tool of iproute2. Deno lets a program read `/proc` only
 * with `--allow-all`, so muxd does not read the socket tables itself: `ss`,
 * a separate process, reads them (through netlink, and `/proc/PID/fd` for
 * `-p`), and muxd needs only `--allow-run=ss`.
 *
 * @module
 */

import type { RunSs } from "./types.ts";

/**
 * Runs `ss` from the PATH with the given arguments.
 *
 * @param args The arguments, e.g. `["-H", "-n", "-a", "-p", "-e", "-t", "sport = :7007"]`.
 * @param signal Ends the run when aborted: `ss` gets SIGTERM, and the output has its code (143).
 * @returns Its exit code and output, or `null` when `ss` is not installed or
 *   Deno may not run it.
 */
export const runSs: RunSs = async (args, signal) => {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("ss", {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
  } catch (error) {
    if (
      error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotCapable ||
      error instanceof Deno.errors.PermissionDenied
    ) return null;
    throw error;
  }
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
};
