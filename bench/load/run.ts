/**
 * The load benchmark from start to end: build the C programs, then section
 * by section (echo servers, relays, programs behind a port) start every
 * server one after another on loopback, run each measure in interleaved
 * rounds (every server once per round, in a rotating order) and stop them;
 * then time muxd's start-up with many listeners.
 *
 * Everything is bounded: each run stops by itself after its seconds, every
 * process has a time limit, and only 127.0.0.1 is ever a target.
 *
 * @module
 */

import { buildCPrograms, cLoadClient, type CPrograms } from "./c_client.ts";
import { denoLoadClient } from "./deno_client.ts";
import { CLIENT_BOUND_SHARE, MEASURES, type MeasureSettings, runMeasure } from "./measures.ts";
import {
  fixedPort,
  HOST,
  type Peer,
  type PeerEnv,
  readyLinePeer,
  type RunningPeer,
  serveTaskArgs,
} from "./peers.ts";
import { ALL_PEERS, type Section, type SectionId, SECTIONS } from "./sections.ts";
import { spawnServer } from "./spawn.ts";
import { descendants, describeMachine, isRunning, killDescendants, type Machine } from "./proc.ts";
import {
  measureStartup,
  STARTUP_CASES,
  STARTUP_PROGRAMS,
  type StartupCase,
  type StartupResult,
} from "./startup.ts";
import { median } from "./stats.ts";
import type { Check, LoadClient, MeasureId, Sample } from "./types.ts";

/** How a run goes. */
export interface LoadBenchOptions {
  /** The quick mode: muxd alone, one short round, the Deno load generator. */
  readonly quick: boolean;
  /** Rounds per measure; medians are taken over them. */
  readonly rounds: number;
  /** Seconds per throughput or rate run. */
  readonly seconds: number;
  /** Peer ids to measure, or `null` for every one. */
  readonly peers: readonly string[] | null;
  /** Which load generator: `c` falls back to `deno` without a C compiler. */
  readonly client: "c" | "deno";
  /** Connections held for the memory measure. */
  readonly idleConnections: number;
  /** Concurrent connections of the connection-rate run. */
  readonly rateConcurrency: number;
  /** The start-up cases (muxd only). */
  readonly startupCases: readonly StartupCase[];
  /** Starts per start-up case. */
  readonly startupRounds: number;
  /**
   * One core each: every server that does not fork runs on {@linkcode SERVER_CPU}
   * (all its threads), the load generator and the relays' upstream on
   * {@linkcode CLIENT_CPU}. Servers that fork run where the scheduler puts them.
   */
  readonly pin: boolean;
  /** Where progress lines go. */
  readonly log: (line: string) => void;
}

/** The core of the servers that do not fork, with `pin`. */
export const SERVER_CPU = 1;
/** The core of the load generator and the relays' upstream, with `pin`. */
export const CLIENT_CPU = 0;

/** The servers whose failed checks fail the run: muxd, and the benchmark's own references. */
const REQUIRED_PEERS: readonly string[] = [
  "muxd",
  "muxd-quiet",
  "muxd-faults",
  "deno",
  "c",
  "fwd-muxd",
  "fwd-deno",
  "exec-muxd",
  "exec-deno",
  "exec-deno-threads",
];

/**
 * Connections at a time in the exec section when they all come from one
 * address (the quick mode), where muxd's exec runs with 32 programs per
 * client address instead of 8: a program still exiting after its client
 * closed counts against that limit, and a loaded machine is slow to reap.
 */
const EXEC_ONE_SOURCE_CONCURRENCY = 4;

/** A run during which everything else used more than this share of a core is run again. */
const DISTURBED_SHARE = 0.25;
/** How many times a disturbed run is run again, at most. */
const MAX_RERUNS = 2;

/** The full run: every peer, three rounds of two seconds, the C load generator. */
export const FULL_OPTIONS: LoadBenchOptions = {
  quick: false,
  rounds: 3,
  seconds: 2,
  peers: null,
  client: "c",
  idleConnections: 1000,
  rateConcurrency: 16,
  startupCases: STARTUP_CASES,
  startupRounds: 3,
  pin: false,
  log: (line) => console.error(line),
};

/**
 * The quick mode: about a second per measure, against muxd alone (its echo,
 * forward and exec), no C compiler needed.
 */
export const QUICK_OPTIONS: LoadBenchOptions = {
  ...FULL_OPTIONS,
  quick: true,
  rounds: 1,
  seconds: 1,
  peers: ["muxd", "fwd-muxd", "exec-muxd"],
  client: "deno",
  startupCases: [
    { program: "muxd", transport: "tcp", listeners: 1 },
    { program: "muxd", transport: "tcp", listeners: 1000 },
    { program: "muxd", transport: "udp", listeners: 1000 },
    // The floor program too, so that it cannot rot between full runs.
    { program: "deno-libs", transport: "tcp", listeners: 1 },
  ],
  startupRounds: 1,
};

/** What happened to one server. */
export interface PeerOutcome {
  /** Its id. */
  readonly id: string;
  /** Its section. */
  readonly section: SectionId;
  /** Its name in tables. */
  readonly label: string;
  /** How it was run. */
  readonly how: string;
  /** Why it was not measured, or `null` when it was. */
  readonly skipped: string | null;
}

/** One measure of one server, over every round. */
export interface Summary {
  /** The measure. */
  readonly measure: MeasureId;
  /** The server's id. */
  readonly peer: string;
  /** The median headline figure, or `NaN` when no round gave one. */
  readonly value: number;
  /** The median of each further figure. */
  readonly extras: Readonly<Record<string, number>>;
  /** The median load generator CPU share. */
  readonly clientCpu: number;
  /** The median server CPU share. */
  readonly serverCpu: number;
  /** The median softirq share (the kernel's network stack). */
  readonly softirqCpu: number;
  /** The median CPU share of everything else on the machine. */
  readonly otherCpu: number;
  /** Rounds run again because something else used the CPU meanwhile. */
  readonly reruns: number;
  /** Most rounds had the load generator at or above {@linkcode CLIENT_BOUND_SHARE}. */
  readonly clientBound: boolean;
  /** Every round's sample. */
  readonly samples: readonly Sample[];
  /** Whether every check of every round passed, required or not. */
  readonly ok: boolean;
}

/** Everything a run found. */
export interface LoadBenchResult {
  /** The machine. */
  readonly machine: Machine;
  /** The options it ran with (without `log`). */
  readonly options: Omit<LoadBenchOptions, "log">;
  /** The load generator used. */
  readonly client: string;
  /** Why the C load generator was not used, if it was asked for and not used. */
  readonly clientNote: string | null;
  /** Every server, measured or skipped. */
  readonly peers: readonly PeerOutcome[];
  /** The echo server behind the relays, or `null` when no relay ran. */
  readonly upstream: string | null;
  /** One summary per measure and measured server. */
  readonly summaries: readonly Summary[];
  /** The start-up cases. */
  readonly startup: readonly StartupResult[];
  /** Every check of the run. */
  readonly checks: readonly Check[];
  /** The commit checked out when muxd was measured (the work tree may differ), or why unknown. */
  readonly commit: string;
  /** When it started (ISO 8601). */
  readonly startedAt: string;
  /** How long it took, in seconds. */
  readonly elapsedSeconds: number;
}

/**
 * Runs the load benchmark.
 *
 * @param options How.
 * @returns What it found.
 */
export async function runLoadBench(options: LoadBenchOptions): Promise<LoadBenchResult> {
  const { log } = options;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const dir = await Deno.makeTempDir({ prefix: "muxd-bench-" });
  try {
    const wanted = (section: Section) =>
      section.peers.filter((p) => options.peers === null || options.peers.includes(p.id));
    const relays = wanted(SECTIONS.find((s) => s.id === "relay")!).length > 0;
    let c: CPrograms | null = null;
    let clientNote: string | null = null;
    if (options.client === "c" || options.peers?.includes("c") !== false || relays) {
      const built = await buildCPrograms(dir);
      if ("reason" in built) {
        clientNote = built.reason;
        log(`C programs not built: ${built.reason}`);
      } else c = built;
    }
    let client: LoadClient;
    if (options.pin && (options.client !== "c" || c === null)) {
      throw new PinError(`--pin needs the C load generator (${clientNote ?? "--client c"})`);
    }
    if (options.client === "c" && c !== null) {
      client = cLoadClient(c.loadgen, options.pin ? CLIENT_CPU : null);
    } else {
      if (options.client === "c") log("using the Deno load generator instead (slower)");
      client = denoLoadClient();
    }
    log(`load generator: ${client.name}`);

    const outcomes: PeerOutcome[] = [];
    const checks: Check[] = [];
    const summaries: Summary[] = [];
    let upstreamHow: string | null = null;
    for (const section of SECTIONS) {
      const peers = wanted(section);
      if (peers.length === 0) continue;
      let env: PeerEnv = { dir, c, upstream: null, oneSource: !client.spreadsSources };
      let upstream: Upstream | null = null;
      if (section.id === "relay") {
        try {
          upstream = await startUpstream(env);
        } catch (error) {
          const why = `the upstream echo server did not start: ${
            error instanceof Error ? error.message : error
          }`;
          log(`skipping the relays: ${why}`);
          for (const peer of peers) outcomes.push(outcome(peer, section.id, why));
          continue;
        }
        upstreamHow = upstream.how;
        if (options.pin) await pinProcess(upstream.server.tcpPid, CLIENT_CPU);
        env = { ...env, upstream: upstream.server.target };
        log(
          `started the relays' upstream, ${upstream.how}: port ${upstream.server.target.tcpPort}`,
        );
      }
      try {
        const ran = await runSection(section, peers, env, client, options);
        outcomes.push(...ran.outcomes);
        checks.push(...ran.checks);
        summaries.push(...ran.summaries);
      } finally {
        await upstream?.server.stop();
      }
    }

    const startup: StartupResult[] = [];
    if (
      options.startupCases.length > 0 && (options.peers === null || options.peers.includes("muxd"))
    ) {
      const serveArgs = serveTaskArgs();
      for (const c of options.startupCases) {
        const result = await measureStartup(c, serveArgs, options.startupRounds, dir);
        startup.push(result);
        checks.push(...result.checks);
        log(
          `start-up, ${STARTUP_PROGRAMS[c.program]}, ${c.listeners} ${c.transport} listeners: ` +
            (result.skipped ??
              `${result.readyMs.toFixed(0)} ms to ready, ${result.rssMiB.toFixed(1)} MiB RSS`),
        );
      }
    }

    const { log: _log, ...rest } = options;
    return {
      machine: describeMachine(options.quick ? "not asked (quick mode)" : await nodeVersion()),
      options: rest,
      client: client.name,
      clientNote,
      upstream: upstreamHow,
      commit: options.quick ? "not asked (quick mode)" : await gitCommit(),
      peers: outcomes,
      summaries,
      startup,
      checks,
      startedAt,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What one section gave. */
interface SectionRun {
  readonly outcomes: PeerOutcome[];
  readonly summaries: Summary[];
  readonly checks: Check[];
}

function outcome(peer: Peer, section: SectionId, skipped: string | null): PeerOutcome {
  return { id: peer.id, section, label: peer.label, how: peer.how, skipped };
}

/**
 * Starts a section's servers, runs its measures in interleaved rounds, and
 * stops them.
 */
async function runSection(
  section: Section,
  peers: readonly Peer[],
  env: PeerEnv,
  client: LoadClient,
  options: LoadBenchOptions,
): Promise<SectionRun> {
  const { log } = options;
  const outcomes: PeerOutcome[] = [];
  const running: { peer: Peer; server: RunningPeer }[] = [];
  const checks: Check[] = [];
  const summaries: Summary[] = [];
  log(`${section.title}:`);
  try {
    for (const peer of peers) {
      const why = peer.unavailable(env);
      if (why !== null) {
        log(`skipping ${peer.label}: ${why}`);
        outcomes.push(outcome(peer, section.id, why));
        continue;
      }
      let server: RunningPeer | null = null;
      try {
        server = await peer.start(env, fixedPort(ALL_PEERS.indexOf(peer)));
        if (options.pin && !peer.forks) {
          await pinTree(new Set([server.tcpPid, server.udpPid ?? server.tcpPid]), SERVER_CPU);
        }
      } catch (error) {
        // A server that started but could not be pinned is not measured.
        await server?.stop();
        const why = `did not start: ${error instanceof Error ? error.message : error}`;
        log(`skipping ${peer.label}: ${why}`);
        outcomes.push(outcome(peer, section.id, why));
        continue;
      }
      running.push({ peer, server });
      outcomes.push(outcome(peer, section.id, null));
      const { target, tcpPid } = server;
      log(
        `started ${peer.label}: tcp ${target.host}:${target.tcpPort}, ` +
          `udp ${target.udpPort ?? "-"}, pid ${tcpPid}`,
      );
    }

    const settings: MeasureSettings = {
      seconds: options.seconds,
      idleConnections: options.idleConnections,
      rateConcurrency: section.id === "exec" && !client.spreadsSources
        ? Math.min(options.rateConcurrency, EXEC_ONE_SOURCE_CONCURRENCY)
        : options.rateConcurrency,
    };
    if (settings.rateConcurrency !== options.rateConcurrency) {
      log(
        `${client.name} connects from 127.0.0.1 alone: ${settings.rateConcurrency} ` +
          "connections at a time, and muxd's exec allows 32 programs per client address",
      );
    }
    for (const measure of MEASURES.filter((m) => section.measures.includes(m.id))) {
      const samples = new Map<string, Sample[]>(running.map((r) => [r.peer.id, []]));
      const reruns = new Map<string, number>();
      for (let round = 0; round < options.rounds; round++) {
        // Rotate the order each round, so no server always runs first or last.
        const order = running.map((_, i) => running[(i + round) % running.length]);
        for (const { peer, server } of order) {
          if (measure.udp && server.target.udpPort === null) continue;
          let sample: Sample;
          for (let attempt = 0;; attempt++) {
            sample = await sampleOnce(measure.id, peer, server, env, client, settings);
            // Another program took CPU meanwhile (this machine may be shared):
            // run it again, twice at most. Not for servers that fork, whose
            // late-reaped children look the same.
            const disturbed = sample.otherCpu > DISTURBED_SHARE && !peer.forks;
            if (!disturbed || attempt === MAX_RERUNS) break;
            reruns.set(peer.id, (reruns.get(peer.id) ?? 0) + 1);
            log(
              `${measure.id} round ${round + 1} ${peer.label}: disturbed (other CPU ` +
                `${(sample.otherCpu * 100).toFixed(0)} %), again`,
            );
          }
          samples.get(peer.id)!.push(sample);
          checks.push(...sample.checks);
          log(`${measure.id} round ${round + 1} ${peer.label}: ${describeSample(sample)}`);
        }
      }
      for (const { peer } of running) {
        const list = samples.get(peer.id)!;
        if (list.length > 0) {
          summaries.push(summarize(measure.id, peer.id, list, reruns.get(peer.id) ?? 0));
        }
      }
    }
  } finally {
    for (const { peer, server } of running) {
      try {
        await server.stop();
      } catch (error) {
        // Keep what was measured: report the failure and stop the others.
        log(`stopping ${peer.label} failed: ${error instanceof Error ? error.message : error}`);
      }
    }
  }
  return { outcomes, summaries, checks };
}

/** `--pin` cannot be done here: no `taskset`, one CPU, no C load generator. */
export class PinError extends Error {
  override name = "PinError";
}

/**
 * Puts processes on one core with every process they started (nginx's
 * workers): {@linkcode pinProcess} on each. A process that started another
 * may see it end before it is pinned (muxd runs `sysctl` once it is ready):
 * one that is gone by then needs no core, so only the roots must be there.
 *
 * @param roots The processes the benchmark started.
 * @param cpu The core.
 * @param childrenOf Lists a process's descendants. @default descendants
 * @throws {PinError} When a root cannot be pinned, or a process that is still there.
 */
export async function pinTree(
  roots: Iterable<number>,
  cpu: number,
  childrenOf: (pid: number) => number[] = descendants,
): Promise<void> {
  for (const root of roots) {
    await pinProcess(root, cpu);
    for (const pid of childrenOf(root)) {
      try {
        await pinProcess(pid, cpu);
      } catch (error) {
        if (error instanceof PinError && !isRunning(pid)) continue;
        throw error;
      }
    }
  }
}

/**
 * Puts every thread of a running process on one core (`taskset -a -p -c`);
 * threads it starts later inherit that.
 *
 * @param pid The process.
 * @param cpu The core.
 */
export async function pinProcess(pid: number, cpu: number): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", `${cpu}`, `${pid}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new PinError("--pin needs taskset (Debian: apt-get install util-linux)");
    }
    throw error;
  }
  // With -a, taskset says nothing and succeeds when the process is gone: it
  // names each thread it pinned, the process's own among them.
  const said = new TextDecoder().decode(out.stdout);
  if (!out.success || !said.includes(`pid ${pid}'s new affinity`)) {
    const why = new TextDecoder().decode(out.stderr).trim() || "no such process";
    throw new PinError(`taskset could not pin pid ${pid} to CPU ${cpu}: ${why}`);
  }
}

/** The echo server behind the relays, and how it runs. */
interface Upstream {
  readonly server: RunningPeer;
  readonly how: string;
}

/**
 * Starts the relays' upstream: the C reference echo server, fast enough that
 * the relay in front of it is the bottleneck; without a C compiler, the
 * minimal Deno server.
 */
async function startUpstream(env: PeerEnv): Promise<Upstream> {
  if (env.c !== null) {
    const server = await spawnServer(env.c.echoServer, [HOST, "0"], {
      stderrFile: `${env.dir}/upstream.log`,
      waitForLine: true,
    });
    return { server: readyLinePeer(server), how: "the C reference echo server" };
  }
  const server = await spawnServer("deno", [
    "run",
    "--allow-net",
    "--unstable-net",
    new URL("./deno_echo.ts", import.meta.url).pathname,
    HOST,
  ], { stderrFile: `${env.dir}/upstream.log`, waitForLine: true });
  return {
    server: readyLinePeer(server),
    how: "the minimal Deno echo server (no C compiler to build the C one)",
  };
}

function summarize(
  measure: MeasureId,
  peer: string,
  samples: readonly Sample[],
  reruns: number,
): Summary {
  const finite = samples.filter((s) => Number.isFinite(s.value));
  const keys = new Set(finite.flatMap((s) => Object.keys(s.extras)));
  const extras: Record<string, number> = {};
  for (const key of keys) extras[key] = median(finite.map((s) => s.extras[key]));
  const bound = finite.filter((s) => s.clientCpu >= CLIENT_BOUND_SHARE).length;
  return {
    measure,
    peer,
    value: median(finite.map((s) => s.value)),
    extras,
    clientCpu: median(finite.map((s) => s.clientCpu)),
    serverCpu: median(finite.map((s) => s.serverCpu)),
    softirqCpu: median(finite.map((s) => s.softirqCpu)),
    otherCpu: median(finite.map((s) => s.otherCpu)),
    reruns,
    clientBound: measure !== "idle-mem" && bound * 2 > finite.length,
    samples,
    ok: samples.every((s) => s.checks.every((c) => c.ok)),
  };
}

function describeSample(s: Sample): string {
  if (!Number.isFinite(s.value)) return `failed: ${s.checks.map((c) => c.detail).join("; ")}`;
  const extras = Object.entries(s.extras)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(1)}`)
    .join(", ");
  const failed = s.checks.filter((c) => !c.ok).map((c) => `FAILED ${c.name} (${c.detail})`);
  return [
    `${s.value.toFixed(1)}`,
    extras,
    `client ${(s.clientCpu * 100).toFixed(0)} %, server ${(s.serverCpu * 100).toFixed(0)} %, ` +
    `softirq ${(s.softirqCpu * 100).toFixed(0)} %, other ${(s.otherCpu * 100).toFixed(0)} %`,
    ...failed,
  ].join("; ");
}

/** Runs one measure against one server once, turning a failure into a failed sample. */
async function sampleOnce(
  measure: MeasureId,
  peer: Peer,
  server: RunningPeer,
  env: PeerEnv,
  client: LoadClient,
  settings: MeasureSettings,
): Promise<Sample> {
  const required = REQUIRED_PEERS.includes(peer.id);
  let fresh: RunningPeer | null = null;
  try {
    // Memory is measured on a fresh server, whose heap the other measures
    // have not grown (a grown heap hides new allocations).
    if (measure === "idle-mem") fresh = await peer.start(env, fixedPort(ALL_PEERS.indexOf(peer)));
    return await runMeasure(
      measure,
      { label: peer.label, peer: fresh ?? server, rateSources: peer.rateSources, required },
      client,
      settings,
    );
  } catch (error) {
    return {
      value: NaN,
      extras: {},
      clientCpu: NaN,
      serverCpu: NaN,
      softirqCpu: NaN,
      otherCpu: NaN,
      checks: [{
        name: `${peer.label}, ${measure}: the run completed`,
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
        required,
      }],
    };
  } finally {
    await fresh?.stop();
    // A forked child still alive once the client closed everything is a
    // leftover (ncat's relays can stall): it must not disturb later runs.
    if (peer.forks && measure !== "udp-1" && measure !== "udp-16") {
      killDescendants(server.tcpPid);
    }
  }
}

/** The commit checked out, read-only (`git rev-parse`, which writes nothing). */
async function gitCommit(): Promise<string> {
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "--short", "HEAD"],
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "unknown";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "unknown (no git)";
    if (error instanceof Deno.errors.NotCapable) return "not asked";
    throw error;
  }
}

async function nodeVersion(): Promise<string> {
  try {
    const out = await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "not installed";
    if (error instanceof Deno.errors.NotCapable) return "not asked";
    throw error;
  }
}
