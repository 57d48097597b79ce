/**
 * Runs the real OpenBSD netcat (`nc`), as a user would.
 */

/** What a netcat run printed. */
export interface NetcatResult {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly text: string;
  readonly stderr: string;
}

/**
 * Runs `nc ARGS...` with `input` on its standard input.
 *
 * @param args Netcat's arguments, such as `["-N", "127.0.0.1", "7007"]`.
 * @param input What to type into netcat; its end is end of input.
 * @returns Exit code and output.
 */
export async function nc(args: readonly string[], input = ""): Promise<NetcatResult> {
  const child = new Deno.Command("nc", {
    args: ["-w", "5", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  return {
    code: out.code,
    stdout: out.stdout,
    text: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}
