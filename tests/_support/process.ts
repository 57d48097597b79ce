/**
 * Runs `main.ts` as a real subprocess, the way a user runs muxd, and waits
 * for its ready record. A {@linkcode MuxdLauncher} runs another build of
 * muxd (the bundle, the compiled executable, muxd under `prlimit` or in a
 * network namespace) the same way.
 *
 * @module
 */

import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import type { ReadyRecord } from "../../lib/cli/report.ts";
import { freePort } from "./socket.ts";

/** `main.ts`, muxd from source. */
export const MAIN: string = new URL("../../main.ts", import.meta.url).pathname;

/** How long muxd may take to print its ready record before the test gives up. */
const READY_TIMEOUT_MS = 15_000;

/**
 * A task's command line, from `deno.json`.
 *
 * @param name The task, such as `"serve"`.
 * @returns Its command line.
 * @throws {Error} When `deno.json` has no such task.
 */
export function task(name: string): string {
  const command = (denoJson.tasks as Record<string, string | undefined>)[name];
  if (command === undefined) throw new Error(`deno.json has no task "${name}"`);
  return command;
}

/**
 * The permission flags of a task's command line, in order: every
 * `--allow-*`, `--deny-*` and `-A`.
 *
 * @param command A task's command line.
 * @returns Its permission flags, such as `["--allow-net", "--allow-env=NO_COLOR"]`.
 */
export function permissionFlags(command: string): string[] {
  return command.split(/\s+/).filter((word) =>
    word === "-A" || word.startsWith("--allow-") || word.startsWith("--deny-")
  );
}

/** The permissions `deno task serve` grants (read from deno.json), so tests run muxd as users do. */
export const SERVE_PERMISSIONS: readonly string[] = permissionFlags(task("serve"));

/** How to start muxd: the program and the arguments that come before muxd's own. */
export interface MuxdLauncher {
  /** The program to run, such as `"deno"` or the path of a compiled muxd. */
  readonly program: string;
  /** Its arguments before muxd's own, such as `["run", ...SERVE_PERMISSIONS, MAIN]`. */
  readonly args: readonly string[];
  /** The working directory. @default the test process's */
  readonly cwd?: string;
}

/** `deno run main.ts` with the serve task's permissions: muxd from source, as `deno task serve` runs it. */
export const SOURCE_LAUNCHER: MuxdLauncher = {
  program: "deno",
  args: ["run", ...SERVE_PERMISSIONS, MAIN],
};

/** A muxd process that printed its ready record. */
export interface MuxdProcess extends AsyncDisposable {
  readonly ready: ReadyRecord;
  /** The ready line exactly as printed, without its newline. */
  readonly readyLine: string;
  readonly child: Deno.ChildProcess;
  /** Resolves once the process has exited and all its output is read. */
  readonly exited: Promise<Finished>;
  /** The port of the n-th socket in the ready record. */
  port(index: number): number;
  /** Sends a signal without waiting; does nothing once the process has exited. */
  signal(signal: Deno.Signal): void;
  /** Sends a signal and waits for exit; returns the code and all output. */
  stop(signal?: Deno.Signal): Promise<Finished>;
  /** Everything written to stderr so far. */
  stderr(): string;
  /**
   * Waits until stderr contains `pattern`.
   *
   * @throws {Error} After `timeoutMs`, or when muxd exits first, with its stderr.
   */
  waitForStderr(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
}

/** How a muxd process ended. */
export interface Finished {
  readonly code: number;
  readonly signal: Deno.Signal | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** muxd ended (or was stopped) before it printed a ready record. */
export class MuxdNotReadyError extends Error {
  /** How it ended. */
  readonly finished: Finished;

  /** @param finished How it ended. */
  constructor(finished: Finished) {
    super(
      `muxd exited with code ${finished.code} before it was ready\n` +
        `stdout:\n${finished.stdout}\nstderr:\n${finished.stderr}`,
    );
    this.name = "MuxdNotReadyError";
    this.finished = finished;
  }
}

/** The environment without INIT_CWD, which `deno task` sets and its children inherit. */
function withoutTaskFolder(env: Record<string, string>): Record<string, string> {
  const { INIT_CWD: _, ...rest } = env;
  return rest;
}

function command(args: readonly string[], launcher: MuxdLauncher): Deno.Command {
  return new Deno.Command(launcher.program, {
    args: [...launcher.args, ...args],
    cwd: launcher.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // As a user's shell runs it: without the INIT_CWD of the `deno task test`
    // that runs this test (a launcher's `deno task` sets its own).
    clearEnv: true,
    env: { ...withoutTaskFolder(Deno.env.toObject()), NO_COLOR: "1" },
  });
}

/**
 * Reads a child's output up to its first line end: the first line, without
 * the end, or all the output when it ends before one.
 *
 * @param reader The child's standard output, decoded.
 * @returns The first line.
 */
export async function readFirstLine(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += value;
  }
  return text.slice(0, text.indexOf("\n"));
}

/**
 * Runs muxd to completion (for commands that exit by themselves).
 *
 * @param args Arguments after `main.ts`.
 * @param launcher How to start muxd. @default SOURCE_LAUNCHER
 * @returns Exit code, stdout and stderr.
 */
export async function runMuxd(
  args: readonly string[],
  launcher: MuxdLauncher = SOURCE_LAUNCHER,
): Promise<Finished> {
  const out = await command(args, launcher).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/**
 * Starts `muxd ARGS...` and waits until it prints its ready record.
 *
 * @param args Arguments after `main.ts`, such as `["serve", "-l", "tcp://127.0.0.1:0=echo"]`.
 * @param launcher How to start muxd. @default SOURCE_LAUNCHER
 * @returns The running process; dispose of it (or `stop()` it) when done.
 * @throws {MuxdNotReadyError} When muxd exits before it is ready, with its output.
 * @throws {Error} When the first line on stdout is not a ready record, or
 *   none comes within 15 s (muxd is killed first).
 */
export async function startMuxd(
  args: readonly string[],
  launcher: MuxdLauncher = SOURCE_LAUNCHER,
): Promise<MuxdProcess> {
  const child = command(args, launcher).spawn();
  let hasExited = false;
  const status = child.status.then((s) => {
    hasExited = true;
    return s;
  });

  let stderrText = "";
  const watchers = new Set<() => void>();
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write: (chunk) => {
        stderrText += chunk;
        for (const w of watchers) w();
      },
    }),
  );

  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdoutText = "";
  let firstLine: string | null = null;
  const timer = setTimeout(() => {
    if (!hasExited) child.kill("SIGKILL");
  }, READY_TIMEOUT_MS);
  try {
    while (firstLine === null) {
      const { value, done } = await lines.read();
      if (done) break;
      stdoutText += value;
      const nl = stdoutText.indexOf("\n");
      if (nl !== -1) firstLine = stdoutText.slice(0, nl);
    }
  } finally {
    clearTimeout(timer);
  }
  const stdoutDone = (async () => {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) return;
      stdoutText += value;
    }
  })();
  const exited: Promise<Finished> = (async () => {
    const { code, signal } = await status;
    await stdoutDone;
    await stderrDone;
    for (const w of watchers) w();
    return { code, signal, stdout: stdoutText, stderr: stderrText };
  })();

  const signal = (name: Deno.Signal) => {
    if (hasExited) return;
    try {
      child.kill(name);
    } catch (error) {
      // It exited between the check and the kill.
      if (!(error instanceof TypeError)) throw error;
    }
  };
  if (firstLine === null) throw new MuxdNotReadyError(await exited);
  let ready: ReadyRecord;
  try {
    ready = JSON.parse(firstLine) as ReadyRecord;
    if (ready.ready !== true) throw new Error(`no "ready": true`);
  } catch (error) {
    signal("SIGKILL");
    const { stderr } = await exited;
    throw new Error(`muxd's first stdout line is not a ready record: ${firstLine}\n${stderr}`, {
      cause: error,
    });
  }

  const waitForStderr = (pattern: string | RegExp, timeoutMs = 5000): Promise<void> => {
    const matches = () =>
      typeof pattern === "string" ? stderrText.includes(pattern) : pattern.test(stderrText);
    if (matches()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        watchers.delete(check);
      };
      const check = () => {
        if (matches()) {
          done();
          resolve();
        } else if (hasExited) {
          done();
          reject(new Error(`muxd exited without writing ${pattern} to stderr:\n${stderrText}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`muxd did not write ${pattern} to stderr in ${timeoutMs} ms:\n${stderrText}`),
        );
      }, timeoutMs);
      watchers.add(check);
    });
  };

  const stop = (name: Deno.Signal = "SIGTERM") => {
    signal(name);
    return exited;
  };
  return {
    ready,
    readyLine: firstLine,
    child,
    exited,
    port: (i) => ready.sockets[i].port,
    signal,
    stop,
    stderr: () => stderrText,
    waitForStderr,
    [Symbol.asyncDispose]: async () => {
      await stop("SIGKILL");
    },
  };
}

/**
 * Runs `muxd serve ...` that is expected to fail before it is ready (a bad
 * spec, a port in use). Unlike {@linkcode runMuxd}, it cannot hang when muxd
 * serves after all: it stops muxd and throws.
 *
 * @param args Arguments after `main.ts`.
 * @param launcher How to start muxd. @default SOURCE_LAUNCHER
 * @returns Exit code, stdout and stderr.
 * @throws {Error} When muxd printed a ready record.
 */
export async function runMuxdExpectingFailure(
  args: readonly string[],
  launcher: MuxdLauncher = SOURCE_LAUNCHER,
): Promise<Finished> {
  let muxd: MuxdProcess;
  try {
    muxd = await startMuxd(args, launcher);
  } catch (error) {
    if (error instanceof MuxdNotReadyError) return error.finished;
    throw error;
  }
  const { stderr } = await muxd.stop("SIGKILL");
  throw new Error(`muxd ${args.join(" ")} was expected to fail, but it served:\n${stderr}`);
}

/**
 * Starts muxd with specs that must share one explicit port number (two
 * addresses, or TCP and UDP), picking the port with {@linkcode freePort}.
 * When muxd exits with code 1 because the port was taken in between, it
 * tries again with another port.
 *
 * @param args Builds muxd's arguments for a port.
 * @param attempts How many ports to try.
 * @returns The running muxd and the shared port.
 */
export async function startMuxdOnFreePort(
  args: (port: number) => string[],
  attempts = 5,
): Promise<{ muxd: MuxdProcess; port: number }> {
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    try {
      return { muxd: await startMuxd(args(port)), port };
    } catch (error) {
      const inUse = error instanceof MuxdNotReadyError && error.finished.code === 1 &&
        error.finished.stderr.includes("address already in use");
      if (!inUse || attempt >= attempts) throw error;
    }
  }
}

/**
 * `serve --log-format json --log-lines 0` followed by `-l SPEC` for each
 * spec: the log as a record of every event, to assert on, with no budget of
 * lines a second (as the manual tells a test suite to start muxd).
 */
export function serveJson(...specs: string[]): string[] {
  return [
    "serve",
    "--log-format",
    "json",
    "--log-lines",
    "0",
    ...specs.flatMap((spec) => ["-l", spec]),
  ];
}

/** {@linkcode serveJson}, at log level debug. */
export function serveDebug(...specs: string[]): string[] {
  return [...serveJson(...specs), "--log-level", "debug"];
}

/** muxd from source under an open-files limit of `files` (soft and hard), set by `prlimit`. */
export function underOpenFilesLimit(files: number): MuxdLauncher {
  return {
    program: "prlimit",
    args: [`--nofile=${files}`, "deno", "run", ...SERVE_PERMISSIONS, MAIN],
  };
}

/**
 * Asserts that muxd answered bad input as the project requires: in words,
 * without a JavaScript stack trace, an uncaught error or Rust's backtrace.
 *
 * @param finished How muxd ended.
 * @throws {assert.AssertionError} Naming what it found.
 */
export function assertNoStackTrace({ stdout, stderr }: Finished): void {
  for (const text of [stdout, stderr]) {
    assert.doesNotMatch(text, /^\s+at /m, "no stack frames");
    assert.doesNotMatch(text, /error: Uncaught/i, "no uncaught error");
    assert.doesNotMatch(text, /Stack backtrace/, "no Rust backtrace");
  }
}
