/**
 * muxd's start-up with many listeners: the time from spawning `deno run
 * main.ts serve` to its ready record, and its resident memory at that
 * moment, with 1 to 10,000 TCP listeners and with 1,000 UDP listeners; and
 * the same for the floor under it, `deno_listeners.ts`: a Deno program that
 * only binds the listeners, alone and after setting up muxd's libraries.
 *
 * @module
 */

import { rssKiB } from "./proc.ts";
import { spawnServer } from "./spawn.ts";
import { median } from "./stats.ts";
import type { Check } from "./types.ts";

/**
 * What starts: muxd; the floor, a Deno program that only binds
 * (`deno_listeners.ts`); or that floor after parsing its command line with
 * optique and setting up LogTape, the libraries muxd is built on.
 */
export type StartupProgram = "muxd" | "deno" | "deno-libs";

/** What each program is called in the report. */
export const STARTUP_PROGRAMS: Readonly<Record<StartupProgram, string>> = {
  "muxd": "muxd",
  "deno": "Deno, binding only",
  "deno-libs": "Deno, binding only, with optique and LogTape",
};

/** One start-up case. */
export interface StartupCase {
  /** What starts. */
  readonly program: StartupProgram;
  /** `tcp` or `udp`. */
  readonly transport: "tcp" | "udp";
  /** How many listeners. */
  readonly listeners: number;
}

/** The cases of a full run. */
export const STARTUP_CASES: readonly StartupCase[] = [
  { program: "muxd", transport: "tcp", listeners: 1 },
  { program: "muxd", transport: "tcp", listeners: 100 },
  { program: "muxd", transport: "tcp", listeners: 1000 },
  { program: "muxd", transport: "tcp", listeners: 10000 },
  { program: "muxd", transport: "udp", listeners: 1000 },
  { program: "deno", transport: "tcp", listeners: 1 },
  { program: "deno", transport: "tcp", listeners: 1000 },
  { program: "deno", transport: "udp", listeners: 1000 },
  { program: "deno-libs", transport: "tcp", listeners: 1 },
  { program: "deno-libs", transport: "tcp", listeners: 1000 },
];

/** The floor program, beside this file. */
const FLOOR = new URL("./deno_listeners.ts", import.meta.url).pathname;

/** The first port of the listener ranges (below 32768, above the usual services). */
const FIRST_PORT = 10000;
/** Ports per spec: a range may span at most 1,024 ports. */
const PORTS_PER_SPEC = 1000;

/** What one case measured, over every round. */
export interface StartupResult extends StartupCase {
  /** Median milliseconds from spawn to the ready record. */
  readonly readyMs: number;
  /** Median resident memory at the ready record, in MiB. */
  readonly rssMiB: number;
  /** Every round's figures. */
  readonly rounds: readonly { readonly readyMs: number; readonly rssMiB: number }[];
  /** Why it was not measured, if it was not. */
  readonly skipped: string | null;
  /** That every listener was bound. */
  readonly checks: readonly Check[];
}

/**
 * Options on each TCP spec, so that start-up includes parsing and checking
 * some, as a real set of listeners would.
 */
const TCP_OPTIONS = "max-conns=100000&max-conns-per-source=100000&conn-rate=1000000";

/**
 * The listen specs of a case: ranges of at most 1,000 ports from port 10000.
 *
 * @param c The case.
 * @returns The `-l` arguments.
 */
export function startupSpecs(c: StartupCase): string[] {
  const specs: string[] = [];
  for (let first = 0; first < c.listeners; first += PORTS_PER_SPEC) {
    const from = FIRST_PORT + first;
    const to = FIRST_PORT + Math.min(c.listeners, first + PORTS_PER_SPEC) - 1;
    const ports = from === to ? `${from}` : `${from}-${to}`;
    const options = c.transport === "tcp" ? `?${TCP_OPTIONS}` : "";
    specs.push("-l", `${c.transport}://127.0.0.1:${ports}=echo${options}`);
  }
  return specs;
}

function busyPort(c: StartupCase): number | null {
  for (let port = FIRST_PORT; port < FIRST_PORT + c.listeners; port++) {
    try {
      if (c.transport === "tcp") Deno.listen({ hostname: "127.0.0.1", port }).close();
      else Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }).close();
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) return port;
      throw error;
    }
  }
  return null;
}

/**
 * Measures one start-up case.
 *
 * @param c The case.
 * @param serveArgs `deno run` arguments up to and including `serve`, for muxd.
 * @param rounds How many starts; the median is kept.
 * @param dir Where muxd's standard error goes.
 * @returns The result.
 */
export async function measureStartup(
  c: StartupCase,
  serveArgs: readonly string[],
  rounds: number,
  dir: string,
): Promise<StartupResult> {
  const name = `${
    STARTUP_PROGRAMS[c.program]
  }, ${c.listeners} ${c.transport.toUpperCase()} listener${c.listeners === 1 ? "" : "s"}`;
  const args = c.program === "muxd" ? [...serveArgs, ...startupSpecs(c)] : [
    "run",
    "--allow-net",
    "--unstable-net",
    FLOOR,
    c.transport,
    `${FIRST_PORT}`,
    `${c.listeners}`,
    ...(c.program === "deno-libs" ? ["--libraries"] : []),
  ];
  const busy = busyPort(c);
  if (busy !== null) {
    return {
      ...c,
      readyMs: NaN,
      rssMiB: NaN,
      rounds: [],
      skipped: `port ${busy} is in use`,
      checks: [],
    };
  }
  const results: { readyMs: number; rssMiB: number }[] = [];
  const checks: Check[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const server = await spawnServer("deno", args, {
      stderrFile: `${dir}/startup-${c.program}-${c.transport}-${c.listeners}.log`,
      waitForLine: true,
    });
    try {
      const readyMs = performance.now() - started;
      const rss = rssKiB(server.pid) / 1024;
      const record = JSON.parse(server.firstLine!);
      const bound = record.sockets.length;
      checks.push({
        name: `start-up, ${name}, round ${round + 1}: every listener bound`,
        ok: bound === c.listeners,
        detail: `${bound} of ${c.listeners} in the ready record`,
        required: true,
      });
      results.push({ readyMs, rssMiB: rss });
    } finally {
      await server.stop();
    }
  }
  return {
    ...c,
    readyMs: median(results.map((r) => r.readyMs)),
    rssMiB: median(results.map((r) => r.rssMiB)),
    rounds: results,
    skipped: null,
    checks,
  };
}
