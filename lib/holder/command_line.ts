/**
 * A process's command line, to tell what program holds a port: `ss` names
 * only the kernel's short name (`deno`), and Deno lets no program read
 * `/proc/PID/cmdline` without `--allow-all`, so `ps` reads it
 * (`--allow-run=ps`).
 *
 * @module
 */

/**
 * Reads a process's command line with `ps -ww -o args= -p PID`: whole,
 * where `ps` would otherwise cut it at `COLUMNS` characters when that is set
 * (a muxd's entry comes after Deno's flags, past the first 80).
 *
 * @param pid The process id.
 * @returns The command line as one string (arguments joined by spaces), or
 *   `null` when `ps` is missing, not allowed, or knows no such process.
 */
export async function readCommandLine(pid: number): Promise<string | null> {
  const run = { name: "run", command: "ps" } as const;
  // Asked first, so that a terminal never gets a permission prompt.
  if (Deno.permissions.querySync(run).state !== "granted") return null;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("ps", {
      args: ["-ww", "-o", "args=", "-p", `${pid}`],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch (error) {
    // Whatever kept ps from starting (not installed, not permitted, out of
    // files while a bind failed at EMFILE), the answer is the same.
    if (error instanceof Error) return null;
    throw error;
  }
  const line = new TextDecoder().decode(output.stdout).trim();
  return output.code === 0 && line !== "" ? line : null;
}

/**
 * Tells whether a command line is muxd's: the compiled `muxd` program, or
 * Deno running muxd's `main.ts` or its bundle `muxd.js` with one of muxd's
 * commands or an option after it (`deno task serve` writes `main.ts serve`),
 * or with nothing after it and the V8 flags of muxd's tasks: any Deno
 * program's entry may be called `main.ts` (`deno init` makes one).
 *
 * @param commandLine What {@linkcode readCommandLine} read.
 * @returns `true` for muxd.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isMuxdCommandLine } from "./command_line.ts";
 *
 * assert.ok(isMuxdCommandLine("deno run --allow-net main.ts serve"));
 * assert.ok(isMuxdCommandLine("/usr/local/bin/muxd serve -l tcp://127.0.0.1:0=echo"));
 * assert.ok(!isMuxdCommandLine("python3 -m http.server 7007"));
 * assert.ok(isMuxdCommandLine("deno run --v8-flags=--no-memory-reducer -A main.ts")); // deno task muxd
 * assert.ok(isMuxdCommandLine("deno run -A main.ts -l tcp://127.0.0.1:0=echo"));
 * assert.ok(!isMuxdCommandLine("deno run --allow-net main.ts")); // deno init's app, say
 * ```
 */
export function isMuxdCommandLine(commandLine: string): boolean {
  const words = commandLine.split(/\s+/);
  const program = words[0].split(/[\\/]/).at(-1) ?? "";
  if (/^muxd(-[\w-]+)?(\.exe)?$/.test(program)) return true;
  if (!/^deno(\.exe)?$/.test(program)) return false;
  const entry = words.findIndex((w) => /(^|[\\/])(main\.ts|muxd\.js)$/.test(w));
  if (entry <= 0) return false;
  // What muxd takes after its entry: a command, or an option (then it
  // serves); with nothing after it, the flag every muxd task passes Deno.
  const next = words[entry + 1];
  if (next !== undefined) return MUXD_COMMANDS.has(next) || next.startsWith("-");
  return words.includes(MUXD_V8_FLAGS);
}

/**
 * muxd's commands, as `muxd --help` lists them: one of them, or an option,
 * follows its entry point on a command line.
 */
export const MUXD_COMMANDS: ReadonlySet<string> = new Set(["serve", "check", "services", "help"]);

/** The V8 flags of every muxd task in deno.json (and of `deno compile`'s muxd). */
const MUXD_V8_FLAGS = "--v8-flags=--no-memory-reducer";
