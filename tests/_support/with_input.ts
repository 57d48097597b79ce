/**
 * Runs a program with bytes on its standard input, as a user who pipes
 * into it would, reading its output while writing: a program that answers
 * as it reads (nc to an echo, cat) fills its output pipe before it has read
 * a large input, and would wait on us while we wait on it.
 */

/** What a program printed, and how it ended. */
export interface ProgramOutput {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly text: string;
  readonly stderr: string;
}

/**
 * Runs `program ARGS...` with `input` on its standard input, then its end.
 *
 * @param program Such as `nc`, or `ip` for `ip netns exec`.
 * @param args Its arguments.
 * @param input What to write to its standard input before closing it. A
 *   program that exits before reading it all (a refused connection) is no
 *   error: its exit code and standard error tell.
 * @param limitMs When it is killed (SIGKILL) if it has not ended.
 * @returns Its exit code and output.
 */
export async function runWithInput(
  program: string,
  args: readonly string[],
  input: string | Uint8Array = "",
  limitMs = 60_000,
): Promise<ProgramOutput> {
  const child = new Deno.Command(program, {
    args: [...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  try {
    const output = child.output();
    const writer = child.stdin.getWriter();
    try {
      await writer.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
      await writer.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
    const out = await output;
    return {
      code: out.code,
      stdout: out.stdout,
      text: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}
