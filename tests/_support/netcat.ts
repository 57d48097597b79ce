/**
 * Runs the real OpenBSD netcat (`nc`), as a user would.
 */

import { type ProgramOutput, runWithInput } from "./with_input.ts";

/** What a netcat run printed. */
export type NetcatResult = ProgramOutput;

/** Netcat's idle timeout (`-w`), in seconds, so that no test waits forever. */
const IDLE_TIMEOUT_SECONDS = "5";

/**
 * Runs `nc ARGS...` with `input` on its standard input.
 *
 * Standard input is written while standard output is read, so a large
 * payload through echo cannot deadlock on full pipes.
 *
 * @param args Netcat's arguments, such as `["-N", "127.0.0.1", "7007"]`.
 * @param input What to type into netcat; its end is end of input.
 * @returns Exit code and output.
 */
export function nc(
  args: readonly string[],
  input: string | Uint8Array = "",
): Promise<NetcatResult> {
  return runWithInput("nc", ["-w", IDLE_TIMEOUT_SECONDS, ...args], input);
}

/**
 * Runs `nc ARGS...` with no input, reads the first `byteCount` bytes it
 * prints, then stops it (for endless services such as chargen).
 *
 * @param args Netcat's arguments, such as `["-d", "127.0.0.1", "7019"]`.
 * @param byteCount How many bytes to read.
 * @returns The first `byteCount` bytes, fewer if netcat ended first.
 */
export async function ncHead(args: readonly string[], byteCount: number): Promise<Uint8Array> {
  const child = new Deno.Command("nc", {
    args: ["-w", IDLE_TIMEOUT_SECONDS, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).arrayBuffer();
  const out = new Uint8Array(byteCount);
  let filled = 0;
  const reader = child.stdout.getReader();
  try {
    while (filled < byteCount) {
      const { value, done } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, byteCount - filled);
      out.set(value.subarray(0, take), filled);
      filled += take;
    }
  } finally {
    stopQuietly(child);
    await reader.cancel();
    await child.status;
    await stderr;
  }
  return out.subarray(0, filled);
}

/** Sends SIGTERM unless the process has already ended. */
function stopQuietly(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGTERM");
  } catch (error) {
    // It already ended by itself.
    if (!(error instanceof TypeError)) throw error;
  }
}
