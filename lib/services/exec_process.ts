/**
 * One program exec runs: started without a shell, through `setsid` (the
 * leader of its own session and process group), with a claim in the
 * server's process table, its standard error logged line by line, its
 * group ended (TERM, then KILL after a grace) at its time limit, when muxd
 * asks, and after it exits, and its exit reported as one event once its
 * place in the table is free.
 *
 * @module
 */

import { elapsedMs } from "../events/elapsed.ts";
import type { ExecEventBase, ProgramExit } from "../events/exec_event.ts";
import { execEnvironment } from "./exec_command.ts";
import { type EndCause, type ExecRefusal, type ProcessClaim, processKey } from "./process_table.ts";
import type { ServiceContext } from "./service.ts";
import { quote } from "../spec/listen_spec_error.ts";
import type { EndSignal, GroupSignal, ProgramLaunch } from "./process_group.ts";
import type { ExecCommand } from "./exec_command.ts";

/** How long a program has between SIGTERM and SIGKILL, in ms. */
export const KILL_GRACE_MS = 1000;

/** How many lines of one program's standard error reach the log. */
export const MAX_STDERR_LINES = 100;

/** How many characters of one standard error line reach the log. */
export const MAX_STDERR_LINE = 1000;

/** The parsed options a program is started with (exec's, see `exec.ts`). */
export interface ProgramOptions {
  /** The program, then its arguments, and the program's file. */
  readonly run: ExecCommand;
  /** Names of muxd's environment variables to pass on. */
  readonly env: readonly string[];
  /** Whether the program leads a process group of its own, ended with it. */
  readonly group: boolean;
  /** Programs at once per listening socket. */
  readonly maxProcs: number;
  /** Programs at once per source address. */
  readonly maxProcsPerSource: number;
  /** Seconds a program may run. */
  readonly maxSeconds: number;
}

/** How a program of a listener with `group=false` starts: directly, in muxd's group. */
const DIRECT_LAUNCH: ProgramLaunch = { setsid: null, groupSignal: null, warning: null };

/** A started program. */
export interface Program {
  /** Its standard input. */
  readonly stdin: WritableStream<Uint8Array>;
  /** Its standard output. */
  readonly stdout: ReadableStream<Uint8Array>;
  /**
   * Ends it and its process group: SIGTERM now, SIGKILL after
   * {@linkcode KILL_GRACE_MS}. Only the first cause counts; it does nothing
   * once the program has exited (its group is then ended anyway).
   */
  end(cause: EndCause): void;
  /**
   * Resolves to how it exited as soon as it has: the conversation may end
   * then, while what it left in its group is still being ended.
   */
  readonly exited: Promise<ProgramExit>;
  /**
   * Resolves to how it exited once it has exited, its group is ended, its
   * place in the process table is free and its exit event is emitted.
   */
  readonly done: Promise<ProgramExit>;
}

/**
 * Starts `options.run` for one connection or datagram, or says why not:
 * over a cap, the program missing, or no right to run it. Both outcomes are
 * events; the exit is an `exec-exited` event when `done` resolves.
 *
 * @param ctx The conversation.
 * @param options exec's options.
 * @param waitMs How long to wait for a place over a cap; 0 refuses at once.
 * @param maxWaiting How many may wait on this listener at once.
 * @returns The program, or `null` when none was started.
 */
export async function startProgram(
  ctx: ServiceContext,
  options: ProgramOptions,
  waitMs = 0,
  maxWaiting = Infinity,
): Promise<Program | null> {
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
  const key = processKey(ctx.transport, ctx.bound);
  const asked = performance.now();
  const claim = waitMs > 0
    ? await ctx.processes.claimWhenFree(
      key,
      ctx.remote.address,
      options,
      waitMs,
      ctx.signal,
      maxWaiting,
    )
    : ctx.processes.claim(key, ctx.remote.address, options);
  if (typeof claim === "string") {
    const waited = waitMs > 0
      ? waitedWords(performance.now() - asked, waitMs, ctx.signal.aborted)
      : "";
    const why: Partial<Record<ExecRefusal, string>> = {
      "too-many-processes": `${options.maxProcs} programs already run for this listener ` +
        `(max-procs=${options.maxProcs})${waited}`,
      "too-many-from-source": `${options.maxProcsPerSource} programs already run for ` +
        `${ctx.remote.address} (max-procs-per-source=${options.maxProcsPerSource})${waited}`,
      "too-many-waiting": `programs run at a limit, and ${maxWaiting} more already wait for a ` +
        `place on this listener, the most that may`,
    };
    return refuse(claim, why[claim] ?? claim);
  }
  const [program, ...args] = options.run.argv;
  const file = options.run.file ?? program;
  const launch = options.group ? ctx.processes.launch : DIRECT_LAUNCH;
  const { setsid } = launch;
  let child: Deno.ChildProcess;
  try {
    // Through setsid, its own session and process group: muxd ends the
    // group, so that nothing it starts outlives it, and a terminal's Ctrl-C
    // reaches muxd alone, which ends its programs itself. setsid gets the
    // program's absolute path: the program's environment has no PATH.
    child = new Deno.Command(setsid ?? file, {
      args: setsid === null ? args : [file, ...args],
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
    const exhausted = exhaustion(error);
    if (exhausted !== null) {
      return refuse(
        "out-of-resources",
        `cannot start ${quote(program)}: muxd is out of ${exhausted}; it runs programs again ` +
          `once some end (lower max-procs, or raise the limit)`,
      );
    }
    throw error;
  }
  return running(child, claim, program, ctx, base, options.maxSeconds, launch);
}

/**
 * What a failed spawn ran out of, from the OS error in its message (Deno
 * throws a plain `Error` for these), or `null` for any other failure.
 */
function exhaustion(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const code = /\(os error (\d+)\)/.exec(error.message)?.[1];
  switch (code) {
    case "24": // EMFILE
      return "open files (its open-files limit)";
    case "23": // ENFILE
      return "open files (the system's limit)";
    case "11": // EAGAIN: the process limit
      return "processes (its process limit)";
    case "12": // ENOMEM
      return "memory";
    default:
      return null;
  }
}

/** Watches a spawned program until it and its process group are gone. */
function running(
  child: Deno.ChildProcess,
  claim: ProcessClaim,
  program: string,
  ctx: ServiceContext,
  base: Omit<ExecEventBase, "time">,
  maxSeconds: number,
  launch: ProgramLaunch,
): Program {
  const started = performance.now();
  const { pid } = child;
  const group: GroupSignal | null = launch.groupSignal;
  ctx.emit({ type: "exec-started", time: Date.now(), ...base, pid, program });
  // A listener that asked for no group (group=false) has no warning to give.
  const warning = launch.warning === null ? null : ctx.processes.firstWarning();
  if (warning !== null) {
    ctx.emit({ type: "exec-no-group", time: Date.now(), ...base, pid, detail: warning });
  }
  let endedBy: EndCause | null = null;
  let exited = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  // Signals the program's group (the program leads it), or the program
  // alone where muxd may not signal a group. Resolves to whether some
  // process got the signal.
  const signal = async (name: EndSignal): Promise<boolean> => {
    // The program itself at once (no process to run); its group, if muxd
    // may signal one, by a `kill` shared with other programs' groups.
    let got = false;
    if (!exited) {
      try {
        child.kill(name);
        got = true;
      } catch (error) {
        // It exited between the check and the signal.
        if (!(error instanceof TypeError)) throw error;
      }
    }
    return group === null ? got : await group(pid, name);
  };
  const end = (cause: EndCause) => {
    if (exited || endedBy !== null) return;
    endedBy = cause;
    void signal("SIGTERM");
    killTimer = setTimeout(() => void signal("SIGKILL"), KILL_GRACE_MS);
  };
  const limitTimer = setTimeout(() => end("time-limit"), maxSeconds * 1000);
  const stderrReader = child.stderr.getReader();
  const stderr = logLines(stderrReader, (line) => {
    ctx.emit({ type: "exec-stderr", time: Date.now(), ...base, pid, line });
  });
  const status = child.status.then((status) => {
    exited = true;
    clearTimeout(limitTimer);
    clearTimeout(killTimer);
    return status;
  });
  // How it exited, known as soon as it has.
  const exitNow = status.then((status): ProgramExit => ({
    program,
    pid,
    code: status.signal === null ? status.code : null,
    signal: status.signal,
    endedBy,
  }));
  // Its place under max-procs is free as soon as it exits: a client whose
  // connection ended (or who saw the exit) may start the next program at
  // once. What it left in its group is ended too, TERM at once and KILL
  // after the grace if anything got the TERM, by a `kill` run of its own;
  // the conversation does not wait for that, and the table does, at
  // shutdown, before muxd exits.
  const done = exitNow.then(async (exit): Promise<ProgramExit> => {
    const runMs = elapsedMs(started);
    claim.free();
    try {
      if (group !== null && await signal("SIGTERM")) {
        await new Promise((resolve) => setTimeout(resolve, KILL_GRACE_MS));
        await signal("SIGKILL");
      }
    } finally {
      claim.release();
    }
    // A process the program left behind may hold its standard error open;
    // its group's end closes it, and without that muxd stops reading.
    if (!await settlesWithin(stderr, 2 * KILL_GRACE_MS)) await stderrReader.cancel();
    const stderrDropped = await stderr;
    ctx.emit({ type: "exec-exited", time: Date.now(), ...base, ...exit, runMs, stderrDropped });
    return exit;
  });
  claim.attach(end, done);
  return { stdin: child.stdin, stdout: child.stdout, end, exited: exitNow, done };
}

/**
 * Waits for `promise`, at most `ms`.
 *
 * @returns Whether it settled in time.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms)),
  ]);
  clearTimeout(timer);
  return settled;
}

/**
 * Hands each line of a program's standard error to `onLine`: at most
 * {@linkcode MAX_STDERR_LINES} lines, each cut to
 * {@linkcode MAX_STDERR_LINE} characters. Never rejects.
 *
 * @returns How many lines were not handed on.
 */
async function logLines(
  reader: ReadableStreamDefaultReader<Uint8Array>,
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
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
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
  } finally {
    reader.releaseLock();
  }
  partial += decoder.decode();
  if (partial !== "") take(partial);
  return dropped;
}

/**
 * How long a connection or datagram waited for a place before its refusal,
 * for its line: `, for 10 s`; when a stop cut the wait short,
 * `, for 1.4 s, until muxd began to stop`; and when its listener was closed
 * (a reload or the API removed it: nothing else ends a wait before
 * `waitMs`), `, for 0.5 s, until its listener was closed`.
 */
function waitedWords(ms: number, waitMs: number, stopping: boolean): string {
  const seconds = `for ${Math.round(ms / 100) / 10} s`;
  if (stopping) return `, ${seconds}, until muxd began to stop`;
  return ms < waitMs ? `, ${seconds}, until its listener was closed` : `, ${seconds}`;
}
