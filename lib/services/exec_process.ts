/**
 * One program exec runs: started without a shell, with a claim in the
 * server's process table, its standard error logged line by line, ended
 * (TERM, then KILL after a grace) at its time limit or when muxd asks, and
 * its exit reported as one event.
 *
 * @module
 */

import { elapsedMs } from "../events/elapsed.ts";
import type { ExecEventBase } from "../events/exec_event.ts";
import { execEnvironment } from "./exec_command.ts";
import { type EndCause, type ExecRefusal, type ProcessClaim, processKey } from "./process_table.ts";
import type { ServiceContext } from "./service.ts";
import { quote } from "../spec/listen_spec_error.ts";

/** How long a program has between SIGTERM and SIGKILL, in ms. */
export const KILL_GRACE_MS = 1000;

/** How many lines of one program's standard error reach the log. */
export const MAX_STDERR_LINES = 100;

/** How many characters of one standard error line reach the log. */
export const MAX_STDERR_LINE = 1000;

/** The parsed options a program is started with (exec's, see `exec.ts`). */
export interface ProgramOptions {
  /** The program, then its arguments. */
  readonly run: readonly string[];
  /** Names of muxd's environment variables to pass on. */
  readonly env: readonly string[];
  /** Programs at once per listening socket. */
  readonly maxProcs: number;
  /** Programs at once per source address. */
  readonly maxProcsPerSource: number;
  /** Seconds a program may run. */
  readonly maxSeconds: number;
}

/** A started program. */
export interface Program {
  /** Its standard input. */
  readonly stdin: WritableStream<Uint8Array>;
  /** Its standard output. */
  readonly stdout: ReadableStream<Uint8Array>;
  /**
   * Ends it: SIGTERM now, SIGKILL after {@linkcode KILL_GRACE_MS}. Only the
   * first cause counts; it does nothing once the program has exited.
   */
  end(cause: EndCause): void;
  /** Resolves once it has exited and its exit event is emitted. */
  readonly done: Promise<void>;
}

/**
 * Starts `options.run` for one connection or datagram, or says why not:
 * over a cap, the program missing, or no right to run it. Both outcomes are
 * events; the exit is an `exec-exited` event when `done` resolves.
 *
 * @param ctx The conversation.
 * @param options exec's options.
 * @returns The program, or `null` when none was started.
 */
export function startProgram(ctx: ServiceContext, options: ProgramOptions): Program | null {
  const base: Omit<ExecEventBase, "time"> = {
    transport: ctx.transport,
    listener: ctx.listener,
    service: ctx.service,
    local: ctx.local ?? ctx.bound,
    remote: ctx.remote,
    id: ctx.id,
  };
  const refuse = (reason: ExecRefusal, detail: string) => {
    ctx.emit({ type: "exec-refused", time: Date.now(), ...base, reason, detail });
    return null;
  };
  const claim = ctx.processes.claim(
    processKey(ctx.transport, ctx.bound),
    ctx.remote.address,
    options,
  );
  if (typeof claim === "string") {
    return refuse(
      claim,
      claim === "too-many-processes"
        ? `${options.maxProcs} programs already run for this listener ` +
          `(max-procs=${options.maxProcs})`
        : `${options.maxProcsPerSource} programs already run for ${ctx.remote.address} ` +
          `(max-procs-per-source=${options.maxProcsPerSource})`,
    );
  }
  const [program, ...args] = options.run;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      clearEnv: true,
      env: execEnvironment(ctx, options.env),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    claim.release();
    if (error instanceof Deno.errors.NotFound) {
      return refuse("program-missing", `cannot find program ${quote(program)} on muxd's PATH`);
    }
    if (error instanceof Deno.errors.NotCapable) {
      return refuse(
        "permission-missing",
        `muxd has no right to run ${
          quote(program)
        }: add --allow-run=${program} to deno run's flags`,
      );
    }
    throw error;
  }
  return running(child, claim, program, ctx, base, options.maxSeconds);
}

/** Watches a spawned program until it exits. */
function running(
  child: Deno.ChildProcess,
  claim: ProcessClaim,
  program: string,
  ctx: ServiceContext,
  base: Omit<ExecEventBase, "time">,
  maxSeconds: number,
): Program {
  const started = performance.now();
  const { pid } = child;
  ctx.emit({ type: "exec-started", time: Date.now(), ...base, pid, program });
  let endedBy: EndCause | null = null;
  let exited = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const signal = (name: Deno.Signal) => {
    if (exited) return;
    try {
      child.kill(name);
    } catch (error) {
      // It exited between the check and the signal.
      if (!(error instanceof TypeError)) throw error;
    }
  };
  const end = (cause: EndCause) => {
    if (exited || endedBy !== null) return;
    endedBy = cause;
    signal("SIGTERM");
    killTimer = setTimeout(() => signal("SIGKILL"), KILL_GRACE_MS);
  };
  const limitTimer = setTimeout(() => end("time-limit"), maxSeconds * 1000);
  const stderr = logLines(child.stderr, (line) => {
    ctx.emit({ type: "exec-stderr", time: Date.now(), ...base, pid, line });
  });
  const done = child.status.then(async (status) => {
    exited = true;
    clearTimeout(limitTimer);
    clearTimeout(killTimer);
    claim.release();
    const stderrDropped = await stderr;
    ctx.emit({
      type: "exec-exited",
      time: Date.now(),
      ...base,
      pid,
      program,
      code: status.signal === null ? status.code : null,
      signal: status.signal,
      endedBy,
      runMs: elapsedMs(started),
      stderrDropped,
    });
  });
  claim.attach(end, done);
  return { stdin: child.stdin, stdout: child.stdout, end, done };
}

/**
 * Hands each line of a program's standard error to `onLine`: at most
 * {@linkcode MAX_STDERR_LINES} lines, each cut to
 * {@linkcode MAX_STDERR_LINE} characters. Never rejects.
 *
 * @returns How many lines were not handed on.
 */
async function logLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<number> {
  const decoder = new TextDecoder();
  let partial = "";
  let logged = 0;
  let dropped = 0;
  const take = (line: string) => {
    if (logged < MAX_STDERR_LINES) {
      onLine(line.length > MAX_STDERR_LINE ? line.slice(0, MAX_STDERR_LINE) : line);
      logged++;
    } else {
      dropped++;
    }
  };
  try {
    for await (const chunk of stream) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop()!;
      for (const line of lines) take(line.replace(/\r$/, ""));
      // A line without end is cut, so one program cannot fill muxd's memory.
      if (partial.length > MAX_STDERR_LINE) {
        take(partial);
        partial = "";
      }
    }
  } catch (error) {
    // The pipe broke: the program is gone; what it wrote is logged.
    if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
      throw error;
    }
  }
  partial += decoder.decode();
  if (partial !== "") take(partial);
  return dropped;
}
