/**
 * Runs `main.ts` as a real subprocess, the way a user runs muxd, and waits
 * for its ready record.
 */

import type { ReadyRecord } from "../../lib/cli/report.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** The permissions `deno task serve` grants, so tests run muxd as users do. */
export const SERVE_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env=NO_COLOR,FORCE_COLOR,TERM,COLUMNS",
];

/** A muxd process that printed its ready record. */
export interface MuxdProcess extends AsyncDisposable {
  readonly ready: ReadyRecord;
  readonly child: Deno.ChildProcess;
  /** The port of the n-th socket in the ready record. */
  port(index: number): number;
  /** Sends a signal and waits for exit; returns the code and all output. */
  stop(signal?: Deno.Signal): Promise<Finished>;
  /** Everything written to stderr so far. */
  stderr(): string;
}

/** How a muxd process ended. */
export interface Finished {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function command(args: readonly string[]): Deno.Command {
  return new Deno.Command("deno", {
    args: ["run", ...SERVE_PERMISSIONS, MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/**
 * Runs muxd to completion (for commands that exit by themselves).
 *
 * @param args Arguments after `main.ts`.
 * @returns Exit code, stdout and stderr.
 */
export async function runMuxd(args: readonly string[]): Promise<Finished> {
  const out = await command(args).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/**
 * Starts `muxd ARGS...` and waits until it prints its ready record.
 *
 * @param args Arguments after `main.ts`, such as `["serve", "-l", "tcp://127.0.0.1:0=echo"]`.
 * @returns The running process; dispose of it (or `stop()` it) when done.
 * @throws {Error} When muxd exits before it is ready, with its stderr.
 */
export async function startMuxd(args: readonly string[]): Promise<MuxdProcess> {
  const child = command(args).spawn();
  let stderrText = "";
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (stderrText += chunk) }),
  );
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdoutText = "";
  let ready: ReadyRecord | null = null;
  let pending = "";
  while (ready === null) {
    const { value, done } = await lines.read();
    if (done) break;
    stdoutText += value;
    pending += value;
    const nl = pending.indexOf("\n");
    if (nl !== -1) {
      const first = pending.slice(0, nl);
      ready = JSON.parse(first) as ReadyRecord;
    }
  }
  const stdoutDone = (async () => {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) return;
      stdoutText += value;
    }
  })();
  const finish = async (): Promise<Finished> => {
    const { code } = await child.status;
    await stdoutDone;
    await stderrDone;
    return { code, stdout: stdoutText, stderr: stderrText };
  };
  if (ready === null) {
    const { code, stderr } = await finish();
    throw new Error(`muxd exited with code ${code} before it was ready:\n${stderr}`);
  }
  const record = ready;
  let finished: Promise<Finished> | null = null;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    if (finished) return finished;
    child.kill(signal);
    finished = finish();
    return finished;
  };
  return {
    ready: record,
    child,
    port: (i) => record.sockets[i].port,
    stop,
    stderr: () => stderrText,
    [Symbol.asyncDispose]: async () => {
      await stop("SIGKILL").catch(() => {});
    },
  };
}
