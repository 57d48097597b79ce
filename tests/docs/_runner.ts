/**
 * How the docs tests run a command of the docs as a reader would: in a
 * shell, from the repository's root, bounded in time, with the fixed ports
 * of the docs moved to free ones, and its output compared with what the
 * docs show once the parts that change from run to run (times, pids,
 * ephemeral ports) are set aside.
 */

import type { MuxdLauncher } from "../_support/process.ts";

/** The repository's root, where `deno task` runs. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** The repository's root as a shell names its working folder: without the final slash. */
const ROOT_FOLDER: string = ROOT.replace(/\/$/, "");

/** How long one command may run before its whole process group is killed. */
const COMMAND_SECONDS = 60;

/**
 * The ports the docs' commands name and that a test must not bind as they
 * are: the fixed, unprivileged ports below the ephemeral range. Port 0, the
 * privileged and the ephemeral ports of the lessons stay as they are.
 */
const SHIFTABLE = { first: 1024, last: 32_767 } as const;

/** A port number in a command: after `:`, a space or `-`, before the end, a space, `=`, `/`, `|`, `-` or `;`. */
const PORT_IN_COMMAND = /(?<=[:\s-])(\d{4,5})(?=$|[\s=/|;-])/g;

/**
 * The fixed ports the given commands name.
 *
 * @param commands Command lines.
 * @returns The ports from 1024 to 32767 that appear in them.
 */
export function docPorts(commands: readonly string[]): Set<number> {
  const ports = new Set<number>();
  for (const command of commands) {
    for (const [text] of command.matchAll(PORT_IN_COMMAND)) {
      const port = Number(text);
      if (port >= SHIFTABLE.first && port <= SHIFTABLE.last) ports.add(port);
    }
  }
  return ports;
}

/** Every doc port moved by the same offset, so that `port + 1` in a message maps back too. */
export interface PortShift {
  /** Added to every doc port. */
  readonly offset: number;
  /** The ports the docs name. */
  readonly ports: ReadonlySet<number>;
}

/** The offsets tried, in order: each keeps every demo and example port below 32768. */
const OFFSETS = [14_000, 15_000, 16_000, 17_000, 18_000, 19_000, 20_000, 21_000, 22_000, 23_000];

/** The addresses the docs' commands bind and talk to. */
const ADDRESSES = ["127.0.0.1", "127.0.0.2", "::1"];

/**
 * Finds an offset that moves every doc port to a port free right now, for
 * TCP and UDP, on every address the docs use.
 *
 * @param ports The doc ports.
 * @param skip Offsets not to try again (one that was taken in between).
 * @returns The shift.
 * @throws {Error} When every offset has a taken port.
 */
export function freeShift(
  ports: ReadonlySet<number>,
  skip: ReadonlySet<number> = new Set(),
): PortShift {
  for (const offset of OFFSETS) {
    if (skip.has(offset)) continue;
    if ([...ports].every((p) => p + offset <= SHIFTABLE.last && isFree(p + offset))) {
      return { offset, ports };
    }
  }
  throw new Error(`no offset in ${OFFSETS.join(", ")} leaves every doc port free`);
}

function isFree(port: number): boolean {
  for (const hostname of ADDRESSES) {
    try {
      Deno.listen({ hostname, port }).close();
      Deno.listenDatagram({ transport: "udp", hostname, port }).close();
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) return false;
      throw error;
    }
  }
  return true;
}

/**
 * Moves the doc ports of a command by the shift's offset.
 *
 * @param command A command line, as the docs write it.
 * @param shift The shift.
 * @returns The command with free ports.
 */
export function shiftPorts(command: string, shift: PortShift): string {
  return command.replace(PORT_IN_COMMAND, (text) => {
    const port = Number(text);
    return shift.ports.has(port) ? String(port + shift.offset) : text;
  });
}

/**
 * Moves the shifted ports in a command's output back to the ports the docs
 * show, and the port after each too (muxd suggests "another port (7008)").
 *
 * @param output What the command printed.
 * @param shift The shift.
 * @returns The output as the docs would show it.
 */
export function unshiftPorts(output: string, shift: PortShift): string {
  return output.replace(/\b\d{4,5}\b/g, (text) => {
    const port = Number(text) - shift.offset;
    return shift.ports.has(port) || shift.ports.has(port - 1) ? String(port) : text;
  });
}

/** What changes from run to run, set aside in what the docs show and in what a command printed. */
const VOLATILE: readonly {
  readonly what: string;
  readonly pattern: RegExp;
  readonly as: string;
}[] = [
  { what: "a log line's time", pattern: /\b\d{2}:\d{2}:\d{2}\.\d{3}\b/g, as: "<time>" },
  {
    what: "daytime's line",
    pattern: /\b[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4} \d{2}:\d{2}:\d{2}-UTC\b/g,
    as: "<daytime>",
  },
  { what: "a process id", pattern: /\b([Pp]rocess:?) \d+\b/g, as: "$1 <pid>" },
  {
    what: "time's four bytes, as od prints them",
    pattern: /^(?: +\d{1,3}){4}$/gm,
    as: "<4 bytes>",
  },
];

/** A client's ephemeral port, such as the remote port whoami shows. */
const EPHEMERAL_PORT = /:(\d{5})\b/g;

/**
 * Sets aside what changes from run to run: times, the daytime line, pids,
 * time's bytes, and ports of the ephemeral range.
 *
 * @param text Output, or what the docs show of it.
 * @returns The text with each such part replaced by a placeholder.
 */
export function normalize(text: string): string {
  // A terminal shows a line that ends in CR LF (chargen's do) as it shows one that ends in LF.
  let out = text.replaceAll("\r\n", "\n");
  for (const { pattern, as } of VOLATILE) out = out.replace(pattern, as);
  return out.replace(EPHEMERAL_PORT, (all, port) => Number(port) >= 32_768 ? ":<ephemeral>" : all);
}

/**
 * Whether a command's output is what the docs show. A line `...` stands for
 * any number of lines, and `...` inside a line for any text on that line.
 *
 * @param actual What the command printed, doc ports restored.
 * @param shown What the docs show.
 * @returns `true` when they agree.
 */
export function outputAgrees(actual: string, shown: readonly string[]): boolean {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  let pattern = "";
  for (const line of normalize(shown.join("\n")).split("\n")) {
    pattern += line === "..."
      ? "(?:[^\\n]*\\n)*?"
      : `${line.split("...").map(escape).join("[^\\n]*?")}\\n`;
  }
  return new RegExp(`^${pattern}$`).test(`${normalize(actual).trimEnd()}\n`);
}

/**
 * Drops the line `deno task` prints before it runs a task (`Task serve deno
 * run …`): the docs leave it out.
 *
 * @param output What a command printed.
 * @returns The output without those lines.
 */
export function withoutTaskLines(output: string): string {
  return output.split("\n").filter((line) => !/^Task \S+ /.test(line)).join("\n");
}

/** How a command that ran to its end went. */
export interface Ran {
  /** Its exit code; 137 when it was killed at the time bound. */
  readonly code: number;
  /** Standard output and standard error, interleaved as a terminal shows them. */
  readonly output: string;
}

/**
 * Runs a command line in `sh` from the repository's root, as a reader would
 * type it, and waits for it to end. `timeout` puts it in a process group of
 * its own and kills that whole group after {@linkcode COMMAND_SECONDS}.
 *
 * @param command The command line.
 * @returns Its exit code and output.
 */
export async function runToEnd(command: string): Promise<Ran> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `exec timeout -s KILL ${COMMAND_SECONDS} sh -c "($1) 2>&1"`, "sh", command],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // As typed in the repository's root, whatever folder `deno task test` ran in.
    env: { NO_COLOR: "1", INIT_CWD: ROOT_FOLDER },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/**
 * Starts a command line in the background, as `command &` does: `timeout`
 * runs it (bounded, in a process group of its own) and passes SIGTERM on.
 *
 * @param command The command line, without `&`.
 * @returns The running process.
 */
export function runInBackground(command: string): Deno.ChildProcess {
  return new Deno.Command("sh", {
    args: ["-c", `exec timeout -s KILL ${COMMAND_SECONDS} sh -c "exec $1"`, "sh", command],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { INIT_CWD: ROOT_FOLDER },
  }).spawn();
}

/**
 * Runs `deno task ARGS` from the repository's root, as the docs do, for
 * {@linkcode startMuxd}: `timeout` bounds it and passes SIGTERM to `deno
 * task`, which passes it to muxd.
 */
export const TASK_LAUNCHER: MuxdLauncher = {
  program: "sh",
  args: ["-c", `exec timeout -s KILL ${COMMAND_SECONDS * 2} "$@"`, "sh", "deno", "task"],
  cwd: ROOT,
};

/**
 * Waits until some process holds TCP `hostname:port`: a command started in
 * the background binds it a moment later.
 *
 * @param hostname The address.
 * @param port The port.
 * @param exited Resolves when the background command ends first.
 * @throws {Error} When it is not held within 10 s, or the command ended.
 */
export async function waitUntilHeld(
  hostname: string,
  port: number,
  exited: Promise<Deno.CommandStatus>,
): Promise<void> {
  let ended = false;
  exited.then(() => ended = true);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      Deno.listen({ hostname, port }).close();
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) return;
      throw error;
    }
    if (ended) throw new Error(`the background command ended before it held ${hostname} ${port}`);
    if (Date.now() > deadline) throw new Error(`nothing held ${hostname} ${port} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
