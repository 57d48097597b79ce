/**
 * What the dashboard's event streams cost: resident memory per stream, and
 * echo's reply time on a listener of the same muxd with the cap's worth of
 * streams open against none.
 *
 * ```sh
 * deno run --allow-all bench/dashboard/main.ts                     # this tree
 * deno run --allow-all bench/dashboard/main.ts --root /other/tree  # another checkout, same measures
 * deno run --allow-all bench/dashboard/main.ts --streams 1000 --rounds 5
 * deno run --allow-all bench/dashboard/main.ts --memory   # or --echo: one of the two
 * ```
 *
 * Memory: a dashboard alone (`server.ts`, with ten arrivals a second) is
 * measured (VmRSS, the median of five samples) before any stream, after
 * half of `--streams` readers (`readers.ts`, another process) have
 * connected, after the other half (the slope, without what the first
 * streams cost once), and after 30 s more of arrivals (when the heap has
 * grown to what the write rate asks for). Echo: `muxd serve` with one echo listener and a
 * dashboard; each round measures 64-byte round trips on one kept connection
 * and on a new connection each (which adds two events per round trip)
 * first with no stream open, then with 64 (the default cap). It needs
 * `--allow-all`: Deno lets a program read /proc only with every permission.
 *
 * @module
 */

import { rssKiB } from "../load/proc.ts";

interface Options {
  readonly root: string;
  readonly streams: number;
  readonly rounds: number;
  readonly capStreams: number;
  readonly only: "memory" | "echo" | null;
  /** How long the streams stay open, with arrivals flowing, before the last memory sample. */
  readonly plateauMs: number;
}

function parse(args: readonly string[]): Options {
  let root = new URL("../..", import.meta.url).pathname;
  let streams = 1000;
  let rounds = 3;
  let only: Options["only"] = null;
  for (let i = 0; i < args.length; i++) {
    const value = () => args[++i] ?? "";
    switch (args[i]) {
      case "--root":
        root = value();
        break;
      case "--streams":
        streams = Number(value());
        break;
      case "--rounds":
        rounds = Number(value());
        break;
      case "--memory":
        only = "memory";
        break;
      case "--echo":
        only = "echo";
        break;
      default:
        throw new SyntaxError(
          `unknown option ${args[i]}: --root DIR, --streams N, --rounds N, --memory, --echo`,
        );
    }
  }
  return {
    root: root.replace(/\/$/, ""),
    streams,
    rounds,
    capStreams: 64,
    only,
    plateauMs: 30_000,
  };
}

/** A child process whose stdout is read line by line. */
interface Child {
  readonly process: Deno.ChildProcess;
  firstLine(): Promise<string>;
  stop(): Promise<void>;
}

function spawn(args: string[], cwd: string): Child {
  const process = new Deno.Command("deno", {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  return {
    process,
    async firstLine() {
      while (!text.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`deno ${args.join(" ")} ended before a line`);
        text += value;
      }
      const line = text.slice(0, text.indexOf("\n"));
      text = text.slice(line.length + 1);
      return line;
    },
    async stop() {
      try {
        process.kill("SIGKILL");
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
      }
      await process.status;
      await lines.cancel();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function medianRss(pid: number): Promise<number> {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssKiB(pid));
    await sleep(200);
  }
  return samples.sort((a, b) => a - b)[2];
}

async function readers(root: string, url: string, count: number): Promise<Child> {
  const child = spawn(
    ["run", "--allow-net", `${root}/bench/dashboard/readers.ts`, url, `${count}`],
    root,
  );
  const line = await child.firstLine();
  if (line !== "ready") throw new Error(`readers said ${line}`);
  return child;
}

async function memoryPerStream(options: Options): Promise<void> {
  const server = spawn([
    "run",
    "--v8-flags=--no-memory-reducer",
    "--allow-net",
    `${options.root}/bench/dashboard/server.ts`,
    `${options.streams + 100}`,
  ], options.root);
  const open: Child[] = [];
  try {
    const { url, pid } = JSON.parse(await server.firstLine()) as { url: string; pid: number };
    // Warm up every path a stream takes, then let the heap settle.
    await (await readers(options.root, url, 8)).stop();
    await sleep(1000);
    const half = Math.floor(options.streams / 2);
    const rss = [await medianRss(pid)];
    for (const count of [half, options.streams - half]) {
      open.push(await readers(options.root, url, count));
      await sleep(2000);
      rss.push(await medianRss(pid));
    }
    await sleep(options.plateauMs);
    rss.push(await medianRss(pid));
    const each = (from: number, to: number, count: number) =>
      `${((rss[to] - rss[from]) / count).toFixed(1)} KiB per stream`;
    console.log(
      `memory: RSS ${rss.join(" -> ")} KiB: the first ${half} streams ${each(0, 1, half)}, ` +
        `the next ${options.streams - half} ${each(1, 2, options.streams - half)}; ` +
        `after ${options.plateauMs / 1000} s more of arrivals, all ${options.streams} ` +
        `${each(0, 3, options.streams)}`,
    );
  } finally {
    for (const child of open) await child.stop();
    await server.stop();
  }
}

const PING = new Uint8Array(64).fill(0x61);

async function roundTrip(conn: Deno.Conn, buffer: Uint8Array): Promise<void> {
  await conn.write(PING);
  let got = 0;
  while (got < PING.length) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("echo closed the connection");
    got += n;
  }
}

/** Round-trip times in ms on one kept connection. */
async function keptConnection(port: number, count: number): Promise<number[]> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const buffer = new Uint8Array(1024);
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await roundTrip(conn, buffer);
    times.push(performance.now() - start);
  }
  return times;
}

/** Times in ms of connect, round trip and close, one connection each. */
async function newConnections(port: number, count: number): Promise<number[]> {
  const buffer = new Uint8Array(1024);
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    await roundTrip(conn, buffer);
    times.push(performance.now() - start);
    conn.close();
  }
  return times;
}

function percentile(times: readonly number[], p: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function echoWithStreams(options: Options): Promise<void> {
  const muxd = spawn([
    "run",
    "--v8-flags=--no-memory-reducer",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env=NO_COLOR,FORCE_COLOR,TERM,COLUMNS,INIT_CWD",
    "--allow-sys=networkInterfaces,uid",
    "--allow-run=sysctl,ss,prlimit,ps",
    `${options.root}/main.ts`,
    "serve",
    "-l",
    // The measuring client opens thousands of connections from one address.
    "tcp://127.0.0.1:0=echo?conn-rate=1000000&max-conns-per-source=1024",
    "--dashboard",
    "127.0.0.1:0",
  ], options.root);
  try {
    const ready = JSON.parse(await muxd.firstLine()) as {
      sockets: { port: number }[];
      dashboard: string;
    };
    const port = ready.sockets[0].port;
    const results: Record<string, number[][]> = {};
    const measure = async (label: string) => {
      const kept = await keptConnection(port, 3000);
      const fresh = await newConnections(port, 1000);
      for (const [mode, times] of [["kept", kept], ["new", fresh]] as const) {
        (results[`${mode} ${label}`] ??= []).push([percentile(times, 0.5), percentile(times, 0.9)]);
      }
    };
    await keptConnection(port, 500); // warm up
    for (let round = 0; round < options.rounds; round++) {
      await measure("0 streams");
      const open = await readers(options.root, ready.dashboard, options.capStreams);
      await sleep(500);
      await measure(`${options.capStreams} streams`);
      await open.stop();
      await sleep(500);
    }
    for (const [label, rounds] of Object.entries(results)) {
      const p50 = rounds.map(([p]) => p.toFixed(3)).join(" ");
      const p90 = rounds.map(([, p]) => p.toFixed(3)).join(" ");
      console.log(`echo ${label}: p50 ms by round ${p50}; p90 ${p90}`);
    }
  } finally {
    await muxd.stop();
  }
}

const options = parse(Deno.args);
console.log(`tree: ${options.root}`);
if (options.only !== "echo") await memoryPerStream(options);
if (options.only !== "memory") await echoWithStreams(options);
