/**
 * The C side of the load benchmark: builds `loadgen.c` and `echo_server.c`
 * with the system's C compiler into a temporary folder, and drives the
 * load generator, one process per run.
 *
 * @module
 */

import type {
  ConnRateReport,
  HeldConnections,
  LoadClient,
  Target,
  TcpEchoReport,
  UdpEchoReport,
} from "./types.ts";

/** The bytes each write of the TCP throughput runs carries: 16 KiB. */
export const CHUNK_BYTES = 16 * 1024;
/**
 * The bytes in flight at most, over all connections of a throughput run:
 * 4 MiB, split evenly (1 connection: 4 MiB; 32: 128 KiB each). Deep enough
 * that a run measures how fast the server moves bytes, not the round trip.
 */
export const IN_FLIGHT_BYTES = 4 * 1024 * 1024;

/**
 * The bytes in flight at most on each of `conns` connections.
 *
 * @param conns How many connections share {@linkcode IN_FLIGHT_BYTES}.
 * @returns Bytes, a whole number of chunks.
 */
export function windowBytes(conns: number): number {
  return Math.max(CHUNK_BYTES, Math.floor(IN_FLIGHT_BYTES / conns / CHUNK_BYTES) * CHUNK_BYTES);
}
/** The request size of the connection-rate runs. */
export const RATE_MESSAGE_BYTES = 32;

/** The two programs, built. */
export interface CPrograms {
  /** The load generator. */
  readonly loadgen: string;
  /** The reference echo server. */
  readonly echoServer: string;
}

/**
 * Builds the load generator and the reference echo server with `cc -O2`.
 *
 * @param dir A temporary folder for the binaries.
 * @returns Their paths, or why they could not be built (no `cc`, a compile error).
 */
export async function buildCPrograms(dir: string): Promise<CPrograms | { reason: string }> {
  const built: Record<string, string> = {};
  for (const name of ["loadgen", "echo_server"]) {
    const source = new URL(`./${name}.c`, import.meta.url).pathname;
    const output = `${dir}/${name}`;
    let result: Deno.CommandOutput;
    try {
      result = await new Deno.Command("cc", {
        args: ["-O2", "-Wall", "-o", output, source],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { reason: "no C compiler (cc) on PATH" };
      if (error instanceof Deno.errors.NotCapable) {
        return { reason: "no permission to run cc (--allow-run=cc)" };
      }
      throw error;
    }
    if (!result.success) {
      return { reason: `cc failed on ${name}.c: ${new TextDecoder().decode(result.stderr)}` };
    }
    built[name] = output;
  }
  return { loadgen: built.loadgen, echoServer: built.echo_server };
}

/**
 * The C load generator: one thread, one epoll set, at most one core.
 *
 * @param loadgen The built load generator's path.
 * @param cpu The core it runs on, or `null` for wherever the scheduler puts it.
 * @returns The client.
 */
export function cLoadClient(loadgen: string, cpu: number | null = null): LoadClient {
  // With a core to stay on, taskset starts it there (taskset execs it: same pid).
  const command = (args: string[]): [string, string[]] =>
    cpu === null ? [loadgen, args] : ["taskset", ["-c", `${cpu}`, loadgen, ...args]];
  const run = async (args: string[], limitMs: number): Promise<Record<string, number>> => {
    const [program, words] = command(args);
    const child = new Deno.Command(program, { args: words, stdout: "piped", stderr: "piped" })
      .spawn();
    // loadgen has an alarm of its own; this is the second fence.
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    try {
      const out = await child.output();
      const text = new TextDecoder().decode(out.stdout).trim();
      if (!out.success || text === "") {
        throw new Error(
          `loadgen ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
        );
      }
      return JSON.parse(text.split("\n").at(-1)!);
    } finally {
      clearTimeout(timer);
    }
  };
  const udpPort = (target: Target) => {
    if (target.udpPort === null) throw new Error("this server has no UDP port");
    return target.udpPort;
  };
  return {
    name: "C load generator (epoll, one thread)",
    spreadsSources: true,
    async tcpEcho(target, conns, seconds): Promise<TcpEchoReport> {
      const r = await run([
        "tcp",
        target.host,
        `${target.tcpPort}`,
        `${conns}`,
        `${seconds}`,
        `${CHUNK_BYTES}`,
        `${windowBytes(conns)}`,
      ], (seconds + 90) * 1000);
      return {
        bytes: r.bytes,
        seconds: r.seconds,
        unanswered: r.unanswered,
        mismatches: r.mismatches + r.extra,
        errors: r.errors,
        clientCpu: r.cpu,
      };
    },
    async connRate(target, concurrency, seconds, sources): Promise<ConnRateReport> {
      const r = await run([
        "rate",
        target.host,
        `${target.tcpPort}`,
        `${concurrency}`,
        `${seconds}`,
        `${RATE_MESSAGE_BYTES}`,
        `${sources}`,
      ], (seconds + 90) * 1000);
      return {
        conns: r.conns,
        seconds: r.seconds,
        errors: r.errors,
        p50Us: r.p50_us,
        p99Us: r.p99_us,
        clientCpu: r.cpu,
      };
    },
    async udpEcho(target, outstanding, seconds): Promise<UdpEchoReport> {
      const r = await run(
        ["udp", target.host, `${udpPort(target)}`, `${outstanding}`, `${seconds}`],
        (seconds + 90) * 1000,
      );
      return {
        sent: r.sent,
        received: r.received,
        lost: r.lost,
        bad: r.bad,
        late: r.late,
        seconds: r.seconds,
        p50Us: r.p50_us,
        p99Us: r.p99_us,
        clientCpu: r.cpu,
      };
    },
    async hold(target, count): Promise<HeldConnections> {
      const [program, words] = command(["hold", target.host, `${target.tcpPort}`, `${count}`]);
      const child = new Deno.Command(program, {
        args: words,
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const stdin = child.stdin.getWriter();
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      while (!text.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) break;
        text += value;
      }
      const release = async () => {
        await stdin.close();
        while (!(await lines.read()).done) { /* drain */ }
        await child.status;
        clearTimeout(timer);
      };
      if (!text.includes("\n")) {
        await release();
        throw new Error("loadgen hold ended without a report");
      }
      const r = JSON.parse(text.split("\n")[0]);
      return { held: r.held, errors: r.errors, release };
    },
  };
}
