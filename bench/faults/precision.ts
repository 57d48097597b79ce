/**
 * How precise muxd's faults are (issue 18, "Precision and cost"): starts
 * muxd as users run it, on loopback with port 0, and measures
 *
 * - latency: 1,000 connections at once to `echo?latency-out=50`, each
 *   sending a few timestamped messages, against a run without the fault:
 *   the error of the added delay (target: within 2 ms at the median and the
 *   99th percentile, each the fault run's less the plain run's);
 * - bandwidth: `chargen?bandwidth-out=R` and an upload to
 *   `discard?bandwidth-in=R` from 10 KB/s to 100 MB/s, each over 2 s
 *   (target: within 10 %);
 * - drop, duplicate, reorder at 0.1 and 0.5, each with a seed of its own (the
 *   first draw of every datagram decides each fault, so one seed would give
 *   the three faults the same sample): 10,000 datagrams each
 *   (target: the observed rate within 4 standard deviations of the binomial).
 *
 * ```sh
 * deno task bench:faults           # about a minute
 * deno task bench:faults --quick   # 100 connections, 2 rates, 1,000 datagrams
 * deno task bench:faults --json    # the result as JSON on stdout
 * ```
 *
 * It prints a table and exits 1 when a target is missed, 2 on bad usage.
 *
 * @module
 */

import { serveTaskArgs } from "../load/peers.ts";
import { spawnServer } from "../load/spawn.ts";
import { downloadRate, uploadRate } from "./bandwidth.ts";
import { datagramCounts } from "./datagrams.ts";
import { type LatencyRun, roundTrips } from "./latency.ts";
import { binomialBound, quantile } from "./stats.ts";

const HOST = "127.0.0.1";
const LATENCY_MS = 50;
/** The latency target: the 99th percentile of the error, in ms. */
const LATENCY_TARGET_MS = 2;
/** The bandwidth target, in % of the rate. */
const BANDWIDTH_TARGET = 10;
/** chargen's cap on a stream, raised above its default of 100 MiB for 2 s at 100 MB/s. */
const CHARGEN_MAX = 1024 * 1024 * 1024;

/** How much one run measures. */
export interface PrecisionOptions {
  readonly latency: LatencyRun;
  /** Bytes a second to measure bandwidth at. */
  readonly rates: readonly number[];
  /** How long each bandwidth measure lasts, in s. */
  readonly windowS: number;
  /** Datagrams per drop, duplicate and reorder run. */
  readonly datagrams: number;
}

const FULL: PrecisionOptions = {
  latency: { connections: 1000, messages: 5, spreadMs: 1000, timeoutMs: 30_000 },
  rates: [10_000, 100_000, 1_000_000, 10_000_000, 100_000_000],
  windowS: 2,
  datagrams: 10_000,
};

const QUICK: PrecisionOptions = {
  latency: { connections: 100, messages: 3, spreadMs: 300, timeoutMs: 10_000 },
  rates: [100_000, 10_000_000],
  windowS: 0.5,
  datagrams: 1000,
};

/** The latency result. */
export interface LatencyResult {
  readonly connections: number;
  readonly messages: number;
  readonly baseP50: number;
  readonly baseP99: number;
  readonly faultP50: number;
  readonly faultP99: number;
  /** |round trip − base median − 50| over every message of the fault run, in ms. */
  readonly errorP50: number;
  readonly errorP99: number;
  readonly errorMax: number;
  /**
   * What the fault added at the median and at the 99th percentile, less
   * 50 ms: the fault run's quantile less the plain run's, so that the noise
   * both runs share (the client's, the machine's) cancels out. The target
   * is held to these.
   */
  readonly addedP50: number;
  readonly addedP99: number;
  readonly errors: number;
  readonly ok: boolean;
}

/** One bandwidth measure. */
export interface BandwidthResult {
  readonly way: "out" | "in";
  readonly rate: number;
  readonly measured: number;
  /** (measured − rate) / rate, in %. */
  readonly errorPercent: number;
  readonly ok: boolean;
}

/** One datagram fault's run. */
export interface DatagramResult {
  readonly fault: "drop" | "duplicate" | "reorder";
  readonly p: number;
  readonly sent: number;
  readonly observed: number;
  /** 4 standard deviations of the binomial proportion. */
  readonly bound: number;
  readonly ok: boolean;
}

/** What `deno task bench:faults --json` prints. */
export interface PrecisionResult {
  readonly quick: boolean;
  readonly latency: LatencyResult;
  readonly bandwidth: BandwidthResult[];
  readonly datagrams: DatagramResult[];
  readonly ok: boolean;
}

const DATAGRAM_FAULTS = [
  ["drop", 0.1],
  ["drop", 0.5],
  ["duplicate", 0.1],
  ["duplicate", 0.5],
  ["reorder", 0.1],
  ["reorder", 0.5],
] as const;

/**
 * Runs every measure against one muxd started for it.
 *
 * @param options How much to measure.
 * @param quick Whether these are the quick mode's.
 * @param progress Where to say what runs now.
 * @returns The results.
 */
export async function measurePrecision(
  options: PrecisionOptions,
  quick: boolean,
  progress: (line: string) => void,
): Promise<PrecisionResult> {
  const specs = [
    `tcp://${HOST}:0=echo`,
    `tcp://${HOST}:0=echo?latency-out=${LATENCY_MS}&seed=1`,
    ...options.rates.flatMap((r) => [
      `tcp://${HOST}:0=chargen?bandwidth-out=${r}&seed=1&max-bytes=${CHARGEN_MAX}`,
      `tcp://${HOST}:0=discard?bandwidth-in=${r}&seed=1`,
    ]),
    ...DATAGRAM_FAULTS.map(([fault, p], i) => `udp://${HOST}:0=echo?${fault}=${p}&seed=${i + 1}`),
  ];
  const dir = await Deno.makeTempDir({ prefix: "muxd-precision-" });
  const server = await spawnServer(
    "deno",
    [...serveTaskArgs(), ...specs.flatMap((s) => ["-l", s])],
    {
      stderrFile: `${dir}/muxd.log`,
      waitForLine: true,
    },
  );
  try {
    const sockets: { port: number }[] = JSON.parse(server.firstLine!).sockets;
    if (sockets.length !== specs.length) {
      throw new Error(`muxd bound ${sockets.length} sockets for ${specs.length} listeners`);
    }
    // The ready record lists the sockets in the order of the listeners.
    const port = (spec: string) => sockets[specs.indexOf(spec)].port;

    progress(`latency: ${options.latency.connections} connections, without the fault`);
    const base = await roundTrips(HOST, port(specs[0]), options.latency);
    progress(`latency: ${options.latency.connections} connections, latency-out=${LATENCY_MS}`);
    const faulty = await roundTrips(HOST, port(specs[1]), options.latency);
    const baseP50 = quantile(base.rtts, 0.5);
    const error = faulty.rtts.map((rtt) => Math.abs(rtt - baseP50 - LATENCY_MS));
    const expected = options.latency.connections * options.latency.messages;
    const addedP50 = quantile(faulty.rtts, 0.5) - baseP50 - LATENCY_MS;
    const addedP99 = quantile(faulty.rtts, 0.99) - quantile(base.rtts, 0.99) - LATENCY_MS;
    const latency: LatencyResult = {
      connections: options.latency.connections,
      messages: faulty.rtts.length,
      baseP50,
      baseP99: quantile(base.rtts, 0.99),
      faultP50: quantile(faulty.rtts, 0.5),
      faultP99: quantile(faulty.rtts, 0.99),
      errorP50: quantile(error, 0.5),
      errorP99: quantile(error, 0.99),
      errorMax: Math.max(...error),
      addedP50,
      addedP99,
      errors: base.errors + faulty.errors,
      ok: base.errors + faulty.errors === 0 && faulty.rtts.length === expected &&
        Math.abs(addedP50) <= LATENCY_TARGET_MS && Math.abs(addedP99) <= LATENCY_TARGET_MS,
    };

    const bandwidth: BandwidthResult[] = [];
    for (const rate of options.rates) {
      const bytes = Math.round(rate * options.windowS);
      const timeoutMs = options.windowS * 1000 * 3 + 5000;
      for (const way of ["out", "in"] as const) {
        progress(`bandwidth-${way}=${rate}: ${bytes} B`);
        const spec = way === "out"
          ? `tcp://${HOST}:0=chargen?bandwidth-out=${rate}&seed=1&max-bytes=${CHARGEN_MAX}`
          : `tcp://${HOST}:0=discard?bandwidth-in=${rate}&seed=1`;
        let measured = NaN;
        try {
          measured = way === "out"
            ? await downloadRate(HOST, port(spec), bytes, timeoutMs)
            : await uploadRate(HOST, port(spec), bytes, timeoutMs);
        } catch (error) {
          progress(`  failed: ${error instanceof Error ? error.message : error}`);
        }
        const errorPercent = (measured - rate) / rate * 100;
        bandwidth.push({
          way,
          rate,
          measured,
          errorPercent,
          ok: Math.abs(errorPercent) <= BANDWIDTH_TARGET,
        });
      }
    }

    const datagrams: DatagramResult[] = [];
    for (const [i, [fault, p]] of DATAGRAM_FAULTS.entries()) {
      progress(`${fault}=${p}: ${options.datagrams} datagrams`);
      const spec = `udp://${HOST}:0=echo?${fault}=${p}&seed=${i + 1}`;
      const counts = await datagramCounts(
        HOST,
        port(spec),
        options.datagrams,
        fault !== "drop",
        60_000,
      );
      progress(`  lost ${counts.lost}, doubled ${counts.doubled}, overtaken ${counts.overtaken}`);
      const hits = fault === "drop"
        ? counts.lost
        : fault === "duplicate"
        ? counts.doubled
        : counts.overtaken;
      const observed = hits / counts.sent;
      const bound = binomialBound(p, counts.sent);
      // Only the fault's own effect: nothing else lost, doubled or overtaken.
      const clean = (fault === "drop" || counts.lost === 0) &&
        (fault === "duplicate" || counts.doubled === 0) &&
        (fault === "reorder" || counts.overtaken === 0);
      datagrams.push({
        fault,
        p,
        sent: counts.sent,
        observed,
        bound,
        ok: clean && Math.abs(observed - p) <= bound,
      });
    }
    const ok = latency.ok && bandwidth.every((b) => b.ok) && datagrams.every((d) => d.ok);
    return { quick, latency, bandwidth, datagrams, ok };
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The result as a table.
 *
 * @param r The result.
 * @returns Markdown lines.
 */
export function precisionTable(r: PrecisionResult): string {
  const yes = (ok: boolean) => ok ? "yes" : "**no**";
  const ms = (v: number) => v.toFixed(2);
  const l = r.latency;
  const lines = [
    `| measure | asked | measured | error | target | met |`,
    `| --- | --- | --- | --- | --- | --- |`,
    `| latency-out, ${l.connections} connections, ${l.messages} round trips | +${LATENCY_MS} ms | ` +
    `round trip p50 ${ms(l.faultP50)} / p99 ${ms(l.faultP99)} ms (without: ${ms(l.baseP50)} / ${
      ms(l.baseP99)
    }) | added less 50 ms: p50 ${signed(l.addedP50)}, p99 ${signed(l.addedP99)} ms; ` +
    `per message, off the plain median: p50 ${ms(l.errorP50)}, p99 ${ms(l.errorP99)}, max ${
      ms(l.errorMax)
    } ms${l.errors > 0 ? `, ${l.errors} errors` : ""} | added within ±${LATENCY_TARGET_MS} ms | ${
      yes(l.ok)
    } |`,
    ...r.bandwidth.map((b) =>
      `| bandwidth-${b.way} | ${rateWords(b.rate)} | ${rateWords(b.measured)} | ` +
      `${b.errorPercent >= 0 ? "+" : ""}${b.errorPercent.toFixed(1)} % | ±${BANDWIDTH_TARGET} % | ${
        yes(b.ok)
      } |`
    ),
    ...r.datagrams.map((d) =>
      `| ${d.fault}, ${d.sent.toLocaleString("en-US")} datagrams | ${d.p} | ${
        d.observed.toFixed(4)
      } | ` +
      `${(d.observed - d.p >= 0 ? "+" : "") + (d.observed - d.p).toFixed(4)} | ±${
        d.bound.toFixed(4)
      } (4σ) | ${yes(d.ok)} |`
    ),
  ];
  return lines.join("\n");
}

function signed(v: number): string {
  return (v >= 0 ? "+" : "") + v.toFixed(2);
}

function rateWords(rate: number): string {
  if (!Number.isFinite(rate)) return "–";
  const units = [[1e6, "MB/s"], [1e3, "KB/s"]] as const;
  for (const [size, unit] of units) {
    if (rate >= size) return `${(rate / size).toFixed(rate / size >= 100 ? 0 : 2)} ${unit}`;
  }
  return `${rate.toFixed(0)} B/s`;
}

if (import.meta.main) {
  const args = [...Deno.args];
  const unknown = args.find((a) => a !== "--quick" && a !== "--json");
  if (unknown !== undefined) {
    console.error(
      `bench:faults: unknown argument ${unknown} (usage: deno task bench:faults [--quick] [--json])`,
    );
    Deno.exit(2);
  }
  const quick = args.includes("--quick");
  const json = args.includes("--json");
  const started = performance.now();
  let result: PrecisionResult;
  try {
    result = await measurePrecision(quick ? QUICK : FULL, quick, (line) => console.error(line));
  } catch (error) {
    console.error(`bench:faults: ${error instanceof Error ? error.message : error}`);
    Deno.exit(2);
  }
  if (json) console.log(JSON.stringify(result));
  else {
    console.log(precisionTable(result));
    console.log(
      `\n${result.ok ? "Every target met" : "A target was missed"} (${
        ((performance.now() - started) / 1000).toFixed(0)
      } s${quick ? ", quick mode" : ""}).`,
    );
  }
  Deno.exit(result.ok ? 0 : 1);
}
