/**
 * Starting and stopping the servers under test: spawn with standard error
 * going to a file (as a user would redirect it), wait until the server is
 * ready, and stop it and everything it forked.
 *
 * @module
 */

import { isGone, killDescendants } from "./proc.ts";

/** A server process the benchmark started. */
export interface ServerProcess {
  /** Its process id. */
  readonly pid: number;
  /** The first line it printed on standard output, if it was asked to wait for one. */
  readonly firstLine: string | null;
  /** Stops it and whatever it forked, and waits until it is gone. */
  stop(): Promise<void>;
}

/** Options for {@linkcode spawnServer}. */
export interface SpawnOptions {
  /** Where standard error goes. */
  readonly stderrFile: string;
  /** Wait for the first line on standard output (a ready record). @default false */
  readonly waitForLine?: boolean;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long the first line may take, in ms. @default 60000 */
  readonly timeoutMs?: number;
}

/**
 * Whether this process may run `sh`, which lets a server's standard error go
 * straight to a file; without it the benchmark copies it there itself.
 */
function canRunShell(): boolean {
  return Deno.permissions.querySync({ name: "run", command: "sh" }).state === "granted";
}

/**
 * Starts a server.
 *
 * @param program The program.
 * @param args Its arguments.
 * @param options Where its standard error goes, and whether to wait for a line.
 * @returns The running process.
 * @throws {Error} When it exits or stays silent before printing the awaited line.
 */
export async function spawnServer(
  program: string,
  args: readonly string[],
  options: SpawnOptions,
): Promise<ServerProcess> {
  const direct = canRunShell();
  // With sh, `exec` keeps the process id: the one we watch is the server
  // itself. setsid makes it the leader of a process group of its own, which
  // every process it forks stays in, even one its parent left behind: stop()
  // signals the whole group.
  const group = direct && findProgram("setsid") !== null;
  const script = group
    ? 'log=$1; shift; exec setsid "$@" 2>"$log"'
    : 'log=$1; shift; exec "$@" 2>"$log"';
  const command = direct
    ? new Deno.Command("sh", {
      args: ["-c", script, "sh", options.stderrFile, program, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      env: { NO_COLOR: "1", ...options.env },
    })
    : new Deno.Command(program, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", ...options.env },
    });
  const child = command.spawn();
  const copied = direct ? Promise.resolve() : copyToFile(child.stderr, options.stderrFile);
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  let firstLine: string | null = null;
  if (options.waitForLine) {
    const timer = setTimeout(() => {
      if (!exited) child.kill("SIGKILL");
    }, options.timeoutMs ?? 60_000);
    let text = "";
    try {
      while (!text.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) break;
        text += value;
      }
    } finally {
      clearTimeout(timer);
    }
    if (!text.includes("\n")) {
      await lines.cancel();
      await copied;
      const { code } = await status;
      const errors = await readTail(options.stderrFile);
      throw new Error(`${program} exited with code ${code} before it was ready:\n${errors}`);
    }
    firstLine = text.slice(0, text.indexOf("\n"));
  }
  // Keep reading standard output, so that the server never blocks on it.
  const drained = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })();

  let stopping: Promise<void> | null = null;
  const stop = () => {
    const signalAll = (signal: Deno.Signal) => {
      if (!exited) killDescendants(child.pid);
      try {
        if (group) Deno.kill(-child.pid, signal);
        else if (!exited) child.kill(signal);
      } catch (error) {
        // The group, or the process, is already gone.
        if (!isGone(error) && !(error instanceof TypeError)) throw error;
      }
    };
    stopping ??= (async () => {
      signalAll("SIGTERM");
      const timer = setTimeout(() => signalAll("SIGKILL"), 3000);
      await status;
      clearTimeout(timer);
      // What the server forked and left behind, if anything.
      signalAll("SIGKILL");
      await drained;
      await copied;
    })();
    return stopping;
  };
  return { pid: child.pid, firstLine, stop };
}

async function copyToFile(stream: ReadableStream<Uint8Array>, path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  await stream.pipeTo(file.writable);
}

async function readTail(path: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).slice(-2000);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "(no standard error)";
    throw error;
  }
}

/**
 * Waits until a TCP port accepts connections.
 *
 * @param host The address.
 * @param port The port.
 * @param timeoutMs How long to try.
 * @throws {Error} When it never does.
 */
export async function waitForTcp(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: host, port });
      conn.close();
      return;
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
      if (performance.now() > until) throw new Error(`nothing accepts on ${host}:${port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Waits until a UDP echo server answers one datagram.
 *
 * @param host The address.
 * @param port The port.
 * @param timeoutMs How long to try.
 * @throws {Error} When it never does.
 */
export async function waitForUdpEcho(
  host: string,
  port: number,
  timeoutMs = 10_000,
): Promise<void> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: host, port: 0 });
  const until = performance.now() + timeoutMs;
  let answered = false;
  const receiving = (async () => {
    try {
      await socket.receive();
      answered = true;
    } catch (error) {
      // Closed before an answer came: BadResource, or Interrupted while receiving.
      const closed = error instanceof Deno.errors.BadResource ||
        error instanceof Deno.errors.Interrupted;
      if (!closed) throw error;
    }
  })();
  try {
    while (!answered && performance.now() < until) {
      await socket.send(new TextEncoder().encode("probe"), {
        transport: "udp",
        hostname: host,
        port,
      });
      await Promise.race([receiving, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
  } finally {
    socket.close();
    await receiving;
  }
  if (!answered) throw new Error(`no UDP echo from ${host}:${port}`);
}

/**
 * Whether a port is free for both TCP and UDP on `host`.
 *
 * @param host The address.
 * @param port The port.
 * @returns `true` when both could be bound.
 */
export function portIsFree(host: string, port: number): boolean {
  try {
    Deno.listen({ hostname: host, port }).close();
    Deno.listenDatagram({ transport: "udp", hostname: host, port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

/**
 * Finds a program on PATH, or in /usr/sbin and /sbin where Debian puts
 * daemons such as xinetd.
 *
 * @param name The program's name.
 * @returns Its path, or `null`.
 */
export function findProgram(name: string): string | null {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/sbin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && (info.mode ?? 0) & 0o111) return `${dir}/${name}`;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return null;
}
