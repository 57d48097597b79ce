/**
 * The load benchmark's report: docs/BENCHMARKS.md, with the machine, the
 * results side by side (medians, ratios to muxd), CPU use, start-up, the
 * cost of logging, the targets of issue 6 and every check.
 *
 * @module
 */

import { MEASURES } from "./measures.ts";
import {
  CLIENT_CPU,
  type LoadBenchResult,
  type PeerOutcome,
  SERVER_CPU,
  type Summary,
} from "./run.ts";
import { type SectionId, SECTIONS } from "./sections.ts";
import { issue17Report, sectionReports } from "./section_report.ts";
import { STARTUP_PROGRAMS, type StartupProgram, type StartupResult } from "./startup.ts";

/** Marks a figure where the load generator, not the server, was the bottleneck. */
export const CLIENT_BOUND_MARK = "†";
/** Marks a figure whose required checks failed. */
export const FAILED_MARK = "✗";

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});

/**
 * A number as the tables show it: grouped thousands, `–` for none.
 *
 * @param value The number.
 * @param decimals 0 or 1.
 * @returns The text.
 */
export function fmt(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return "–";
  return decimals === 0 ? number.format(value) : oneDecimal.format(value);
}

/** One target of issue 6, judged. */
export interface TargetRow {
  /** The target, in words. */
  readonly target: string;
  /** What was measured. */
  readonly measured: string;
  /** Met, not met, or not measured (`null`). */
  readonly met: boolean | null;
  /** What the minimal Deno server reaches on the same measure: the floor under muxd. */
  readonly floor: string;
  /** Whether that floor meets the target; `null` where there is no floor to judge. */
  readonly floorMet?: boolean | null;
}

/**
 * One server's summary of one measure.
 *
 * @param result The run.
 * @param measure The measure.
 * @param peer The server's id.
 * @returns Its summary, if it was measured.
 */
export function find(
  result: LoadBenchResult,
  measure: string,
  peer: string,
): Summary | undefined {
  return result.summaries.find((s) => s.measure === measure && s.peer === peer);
}

function startupOf(
  result: LoadBenchResult,
  transport: string,
  n: number,
  program: StartupProgram = "muxd",
) {
  return result.startup.find((s) =>
    s.program === program && s.transport === transport && s.listeners === n && !s.skipped
  );
}

/**
 * The lowest and highest of one figure over a summary's rounds, such as
 * `rounds 55–63`: how far a median may move from one run to the next.
 */
function roundRange(summary: Summary, extra: string): string {
  const values = summary.samples.map((s) => s.extras[extra]).filter(Number.isFinite);
  return values.length > 1
    ? `rounds ${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`
    : `${values.length} round`;
}

/** A start-up floor's figures, for the targets' last column. */
function startupFloor(result: LoadBenchResult, transport: string, n: number): string {
  const parts: string[] = [];
  for (const program of ["deno", "deno-libs"] as const) {
    const s = startupOf(result, transport, n, program);
    if (s) {
      parts.push(`${STARTUP_PROGRAMS[program]}: ${fmt(s.readyMs)} ms, ${fmt(s.rssMiB, 1)} MiB`);
    }
  }
  return parts.length > 0 ? parts.join("; ") : "–";
}

/**
 * Judges the targets of issue 6 against a run's medians.
 *
 * @param result The run.
 * @returns One row per target.
 */
export function evaluateTargets(result: LoadBenchResult): TargetRow[] {
  const rows: TargetRow[] = [];
  const ratio = (measure: string, min: number, words: string) => {
    const m = find(result, measure, "muxd");
    const c = find(result, measure, "c");
    if (!m || !c || !Number.isFinite(m.value) || !Number.isFinite(c.value)) {
      rows.push({ target: words, measured: "not measured", met: null, floor: "–" });
      return;
    }
    const r = m.value / c.value;
    const bound = c.clientBound ? ` (C ${CLIENT_BOUND_MARK}client-bound)` : "";
    rows.push({
      target: words,
      measured: `${r.toFixed(2)}× (${fmt(m.value)} against ${fmt(c.value)})${bound}`,
      met: r >= min,
      floor: floorRatio(measure),
      floorMet: floorAtLeast(measure, min),
    });
  };
  /** The minimal Deno server's ratio to C on one measure, if both ran. */
  const floorValue = (measure: string): number | null => {
    const d = find(result, measure, "deno");
    const c = find(result, measure, "c");
    if (!d || !c || !Number.isFinite(d.value) || !Number.isFinite(c.value)) return null;
    return d.value / c.value;
  };
  /** Whether that ratio reaches `min`; `null` when it was not measured. */
  const floorAtLeast = (measure: string, min: number): boolean | null => {
    const r = floorValue(measure);
    return r === null ? null : r >= min;
  };
  /** The minimal Deno server's figure against C's, on one measure. */
  const floorRatio = (measure: string) => {
    const r = floorValue(measure);
    return r === null ? "–" : `${r.toFixed(2)}× (${fmt(find(result, measure, "deno")!.value)})`;
  };
  const denoRate = find(result, "conn-rate", "deno");
  ratio("tcp-32", 0.85, "TCP echo, 32 connections ≥ 0.85× C");
  ratio("tcp-1", 0.9, "TCP echo, 1 connection ≥ 0.90× C");

  const rate = find(result, "conn-rate", "muxd");
  const rateC = find(result, "conn-rate", "c");
  if (rate && Number.isFinite(rate.value)) {
    const us = rate.extras.cpuUsPerConn;
    rows.push({
      target: "connection setup ≤ 60 µs of muxd CPU per connection, logs on",
      measured: `${fmt(us)} µs (${roundRange(rate, "cpuUsPerConn")})`,
      met: us <= 60,
      floor: denoRate
        ? `${fmt(denoRate.extras.cpuUsPerConn)} µs (${roundRange(denoRate, "cpuUsPerConn")})`
        : "–",
      floorMet: denoRate ? denoRate.extras.cpuUsPerConn <= 60 : null,
    });
    const r = rateC ? rate.value / rateC.value : NaN;
    const p99 = rate.extras.p99Us / 1000;
    const rateFloor = floorAtLeast("conn-rate", 0.95);
    rows.push({
      target: "connection rate ≥ 0.95× C, 0 errors, p99 < 5 ms",
      measured: `${r.toFixed(2)}× (${fmt(rate.value)} against ${fmt(rateC?.value ?? NaN)}/s), ` +
        `${fmt(rate.extras.errors)} errors, p99 ${p99.toFixed(2)} ms`,
      met: rateC ? r >= 0.95 && rate.extras.errors === 0 && p99 < 5 : null,
      floor: denoRate
        ? `${floorRatio("conn-rate")}, p99 ${(denoRate.extras.p99Us / 1000).toFixed(2)} ms`
        : "–",
      floorMet: denoRate && rateFloor !== null ? rateFloor && denoRate.extras.p99Us < 5000 : null,
    });
  }
  const idle = find(result, "idle-mem", "muxd");
  if (idle && Number.isFinite(idle.value)) {
    const idleFloor = find(result, "idle-mem", "deno")?.value ?? NaN;
    rows.push({
      target: "≤ 8 KiB per idle TCP connection",
      measured: `${fmt(idle.value, 1)} KiB`,
      met: idle.value <= 8,
      floor: `${fmt(idleFloor, 1)} KiB`,
      floorMet: Number.isFinite(idleFloor) ? idleFloor <= 8 : null,
    });
  }
  for (const [measure, min] of [["udp-1", 0.85], ["udp-16", 0.5]] as const) {
    const m = find(result, measure, "muxd");
    const c = find(result, measure, "c");
    if (!m || !Number.isFinite(m.value)) continue;
    const r = c ? m.value / c.value : NaN;
    const loss = m.extras.lossPct;
    rows.push({
      target: `UDP echo, ${measure === "udp-1" ? 1 : 16} outstanding ≥ ${min}× C, 0 % loss, ` +
        "boundaries kept",
      measured: `${r.toFixed(2)}× (${fmt(m.value)} against ${fmt(c?.value ?? NaN)}/s), ` +
        `${loss.toFixed(2)} % lost, ${fmt(m.extras.bad)} bad replies`,
      met: c ? r >= min && loss === 0 && m.extras.bad === 0 : null,
      floor: floorRatio(measure),
      floorMet: floorAtLeast(measure, min),
    });
  }
  const t1000 = startupOf(result, "tcp", 1000);
  if (t1000) {
    rows.push({
      target: "1,000 TCP listeners: ready ≤ 100 ms, RSS ≤ 40 MB",
      measured: `${fmt(t1000.readyMs)} ms, ${fmt(t1000.rssMiB, 1)} MiB`,
      met: t1000.readyMs <= 100 && t1000.rssMiB * 1.048576 <= 40,
      floor: startupFloor(result, "tcp", 1000),
      // muxd is built on optique and LogTape, so its floor is the one that loads them.
      floorMet: (() => {
        const f = startupOf(result, "tcp", 1000, "deno-libs");
        return f ? f.readyMs <= 100 && f.rssMiB * 1.048576 <= 40 : null;
      })(),
    });
  }
  const t10000 = startupOf(result, "tcp", 10000);
  if (t10000) {
    rows.push({
      target: "10,000 TCP listeners: ready ≤ 1 s",
      measured: `${fmt(t10000.readyMs)} ms`,
      met: t10000.readyMs <= 1000,
      floor: startupFloor(result, "tcp", 10000),
    });
  }
  const perUdpListener = (program: StartupProgram) => {
    const u1000 = startupOf(result, "udp", 1000, program);
    const t1 = startupOf(result, "tcp", 1, program);
    return u1000 && t1
      ? `${fmt((u1000.rssMiB - t1.rssMiB) * 1024 / 999, 1)} KiB and ` +
        `${((u1000.readyMs - t1.readyMs) / 999 * 1000).toFixed(0)} µs of start-up each`
      : null;
  };
  const udpCost = perUdpListener("muxd");
  if (udpCost) {
    rows.push({
      target: "cost per UDP listener documented",
      measured: udpCost,
      met: true,
      floor: perUdpListener("deno") ?? "–",
    });
  }
  const costs = loggingCosts(result);
  if (costs.length > 0) {
    const worst = Math.max(...costs.map((c) => c.cost));
    rows.push({
      target: "default logging costs ≤ 10 % against logging off",
      measured: costs.map((c) => `${c.what} ${(c.cost * 100).toFixed(0)} %`).join(", "),
      met: worst <= 0.1,
      floor: "–",
    });
  }
  return rows;
}

/**
 * The targets as a table, then why each unmet one was not met.
 *
 * @param targets The judged targets.
 * @param floor The heading of the floor's column.
 * @returns Markdown lines.
 */
export function targetsTable(targets: readonly TargetRow[], floor: string): string[] {
  return [
    table(
      ["target", "measured (median)", "met", floor],
      targets.map((t) => [
        t.target,
        t.measured,
        t.met === null ? "–" : t.met ? "yes" : "**no**",
        t.floor,
      ]),
    ),
    "",
    ...unmetTargets(targets),
  ];
}

/**
 * Why each target that was not met was not: below the floor of every server
 * on Deno, or muxd's own cost above a floor that meets it.
 *
 * @param targets The judged targets.
 * @returns Markdown lines, none when every target was met.
 */
export function unmetTargets(targets: readonly TargetRow[]): string[] {
  const unmet = targets.filter((t) => t.met === false);
  if (unmet.length === 0) return [];
  const name = (t: TargetRow) => `- ${t.target.replace(/ ≥.*| ≤.*|:.*/, "")}: `;
  const below = unmet.filter((t) => t.floorMet === false);
  const own = unmet.filter((t) => t.floorMet !== false);
  const out: string[] = [];
  if (below.length > 0) {
    out.push(
      "Targets out of reach on Deno: the floor misses them too, in the same run (last column), " +
        "so no server written on Deno's APIs (for start-up: on Deno with optique and LogTape, " +
        "which muxd is built on) meets them on this machine, whatever it leaves out:",
      "",
      ...below.map((t) => `${name(t)}muxd ${t.measured}; floor ${t.floor}`),
      "",
    );
  }
  if (own.length > 0) {
    out.push(
      "Targets not met where the floor meets them or there is none: what muxd itself costs.",
      "",
      ...own.map((t) => `${name(t)}${t.measured}`),
      "",
    );
  }
  return out;
}

/**
 * What one peer costs against another, measure by measure: 1 − with/without
 * for rates, with/without − 1 for CPU per connection.
 *
 * @param result The run.
 * @param withId The peer that does the work (`muxd`: default logging).
 * @param withoutId The same without it (`muxd-quiet`: logging off).
 * @returns One entry per measure both ran.
 */
export function costs(
  result: LoadBenchResult,
  withId: string,
  withoutId: string,
): { what: string; cost: number }[] {
  const out: { what: string; cost: number }[] = [];
  for (const measure of ["conn-rate", "udp-1", "udp-16", "tcp-32"]) {
    const on = find(result, measure, withId);
    const off = find(result, measure, withoutId);
    if (!on || !off || !Number.isFinite(on.value) || !Number.isFinite(off.value)) continue;
    out.push({ what: measure, cost: 1 - on.value / off.value });
    if (measure === "conn-rate") {
      out.push({
        what: "CPU per connection",
        cost: on.extras.cpuUsPerConn / off.extras.cpuUsPerConn - 1,
      });
    }
  }
  return out;
}

/** What logging costs: muxd with default logging against logging off. */
export function loggingCosts(result: LoadBenchResult): { what: string; cost: number }[] {
  return costs(result, "muxd", "muxd-quiet");
}

/** What a configured fault that does nothing costs: `latency=0` and `delay=0` against none. */
export function faultCosts(result: LoadBenchResult): { what: string; cost: number }[] {
  return costs(result, "muxd-faults", "muxd");
}

function cell(s: Summary | undefined, first: Summary | undefined, decimals = 0): string {
  if (!s || !Number.isFinite(s.value)) return s ? FAILED_MARK : "–";
  let text = fmt(s.value, decimals);
  if (s.clientBound) text += ` ${CLIENT_BOUND_MARK}`;
  if (!s.ok) text += ` ${FAILED_MARK}`;
  if (first && first !== s && Number.isFinite(first.value) && first.value !== 0) {
    text += ` (${(s.value / first.value).toFixed(2)}×)`;
  }
  return text;
}

function extraCell(s: Summary | undefined, show: (s: Summary) => string): string {
  return s && Number.isFinite(s.value) ? show(s) : "–";
}

/**
 * A Markdown table.
 *
 * @param header The header cells.
 * @param rows The rows' cells.
 * @returns Markdown.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * The servers of one section that were measured, in the section's order.
 *
 * @param result The run.
 * @param section The section.
 * @returns Their outcomes.
 */
export function measuredPeers(result: LoadBenchResult, section: SectionId): PeerOutcome[] {
  return result.peers.filter((p) => p.skipped === null && p.section === section);
}

function sectionMeasures(section: SectionId) {
  const ids = SECTIONS.find((s) => s.id === section)!.measures;
  return MEASURES.filter((m) => ids.includes(m.id));
}

/**
 * The results table of one section: one row per figure, one column per server.
 *
 * @param result The run.
 * @param section The section: the echo servers unless told.
 * @returns Markdown.
 */
export function resultsTable(result: LoadBenchResult, section: SectionId = "echo"): string {
  const peers = measuredPeers(result, section);
  const rows: string[][] = [];
  for (const m of sectionMeasures(section)) {
    const first = find(result, m.id, peers[0]?.id ?? "");
    const decimals = m.id === "idle-mem" ? 1 : 0;
    rows.push([
      `**${m.title}** (${m.unit})`,
      ...peers.map((p) => cell(find(result, m.id, p.id), first, decimals)),
    ]);
    const of = (p: { id: string }) => find(result, m.id, p.id);
    if (m.id === "conn-rate") {
      rows.push([
        "— latency p50 / p99 (ms)",
        ...peers.map((p) =>
          extraCell(
            of(p),
            (s) => `${(s.extras.p50Us / 1000).toFixed(2)} / ${(s.extras.p99Us / 1000).toFixed(2)}`,
          )
        ),
      ]);
      rows.push([
        "— server CPU per connection (µs)",
        ...peers.map((p) => extraCell(of(p), (s) => fmt(s.extras.cpuUsPerConn))),
      ]);
      rows.push([
        "— errors",
        ...peers.map((p) => extraCell(of(p), (s) => fmt(s.extras.errors))),
      ]);
    }
    if (m.udp) {
      rows.push([
        "— round trip p50 / p99 (µs)",
        ...peers.map((p) =>
          extraCell(of(p), (s) => `${fmt(s.extras.p50Us)} / ${fmt(s.extras.p99Us)}`)
        ),
      ]);
      rows.push([
        "— lost / bad replies",
        ...peers.map((p) =>
          extraCell(of(p), (s) => `${s.extras.lossPct.toFixed(2)} % / ${fmt(s.extras.bad)}`)
        ),
      ]);
    }
  }
  return table(["", ...peers.map((p) => p.label)], rows);
}

/**
 * The CPU shares of one section's runs: one row per measure, one column per server.
 *
 * @param result The run.
 * @param section The section: the echo servers unless told.
 * @returns Markdown.
 */
export function cpuTable(result: LoadBenchResult, section: SectionId = "echo"): string {
  const peers = measuredPeers(result, section);
  const rows = sectionMeasures(section).filter((m) => m.id !== "idle-mem").map((m) => [
    m.title,
    ...peers.map((p) => {
      const s = find(result, m.id, p.id);
      if (!s || !Number.isFinite(s.value)) return "–";
      const pct = (v: number) => Number.isFinite(v) ? `${(v * 100).toFixed(0)} %` : "–";
      const again = s.reruns > 0 ? ` (${s.reruns} rerun${s.reruns === 1 ? "" : "s"})` : "";
      return `${pct(s.clientCpu)} / ${pct(s.serverCpu)} / ${pct(s.softirqCpu)} / ` +
        `${pct(s.otherCpu)}${again}`;
    }),
  ]);
  return table(["generator / server / softirq / other", ...peers.map((p) => p.label)], rows);
}

function startupTable(startup: readonly StartupResult[]): string {
  const rows = startup.map((s) => [
    STARTUP_PROGRAMS[s.program],
    `${fmt(s.listeners)} ${s.transport.toUpperCase()}`,
    s.skipped ? `skipped: ${s.skipped}` : fmt(s.readyMs),
    s.skipped ? "–" : fmt(s.rssMiB, 1),
    s.skipped ? "–" : s.rounds.map((r) => `${fmt(r.readyMs)} ms / ${fmt(r.rssMiB, 1)} MiB`).join(
      ", ",
    ),
  ]);
  return table(
    ["program", "listeners", "spawn to ready (ms)", "RSS at ready (MiB)", "rounds"],
    rows,
  );
}

function perListener(startup: readonly StartupResult[]): string {
  const lines: string[] = [];
  for (const s of startup) {
    const t1 = startup.find((o) =>
      o.program === s.program && o.transport === "tcp" && o.listeners === 1 && !o.skipped
    );
    // Below 1,000 listeners the difference drowns in the start-up's own spread.
    if (!t1 || s.skipped || s === t1 || s.listeners < 1000) continue;
    const n = s.listeners - (s.transport === "tcp" ? 1 : 0);
    lines.push(
      `- ${STARTUP_PROGRAMS[s.program]}, ${
        fmt(s.listeners)
      } ${s.transport.toUpperCase()} listeners: ` +
        `${((s.readyMs - t1.readyMs) / n * 1000).toFixed(0)} µs and ` +
        `${fmt((s.rssMiB - t1.rssMiB) * 1024 / n, 1)} KiB per listener over the 1-listener start`,
    );
  }
  return lines.join("\n");
}

/**
 * The whole report.
 *
 * @param result The run.
 * @returns Markdown for docs/BENCHMARKS.md.
 */
export function reportMarkdown(result: LoadBenchResult): string {
  const { machine, options } = result;
  const failed = result.checks.filter((c) => c.required && !c.ok);
  const findings = result.checks.filter((c) => !c.required && !c.ok);
  const servers = (section: SectionId) => [
    ...result.peers.filter((p) => p.section === section && p.skipped === null)
      .map((p) => `- **${p.label}**: ${p.how}.`),
    ...result.peers.filter((p) => p.section === section && p.skipped !== null)
      .map((p) => `- **${p.label}**: skipped, ${p.skipped}.`),
  ];
  const targets = evaluateTargets(result);
  const logging = loggingCosts(result);
  const out: string[] = [];
  out.push(
    options.pin ? "# Load benchmark, one core each" : "# Load benchmark",
    "",
    `Written by \`deno task bench:load${options.quick ? " --quick" : ""}` +
      `${options.pin ? " --pin" : ""}` +
      `${
        options.peers !== null && !options.quick ? ` --peers ${options.peers.join(",")}` : ""
      }\` on ` +
      `${result.startedAt.slice(0, 10)} (${fmt(result.elapsedSeconds)} s), muxd at commit ` +
      `${result.commit}. Every server ran on 127.0.0.1 on this machine, started by the ` +
      "benchmark and stopped at its end.",
    "",
    "## Machine",
    "",
    table(["CPUs", "model", "memory", "kernel", "Deno", "Node"], [[
      `${machine.cpus}`,
      machine.model,
      `${machine.memoryGiB} GiB`,
      machine.kernel,
      machine.deno,
      machine.node,
    ]]),
    "",
    (options.pin
      ? `Each server that does not fork ran on CPU ${SERVER_CPU} alone, every thread of it ` +
        "(V8's and the I/O runtime's helpers too), and the load generator " +
        `(${result.client}) and the relays' upstream on CPU ${CLIENT_CPU}: what each server ` +
        "does with one core. Unpinned, on a machine of two cores, a server's main thread " +
        "lands now on the load generator's core and now on its own, and the same server " +
        "measures two ways from one run to the next. Servers that fork ran unpinned. "
      : `The load generator and the server share these ${machine.cpus} cores. The load ` +
        `generator (${result.client}) is one thread, so it uses at most one core and leaves ` +
        "the other to the server; muxd, a Deno process, also runs V8's and the I/O runtime's " +
        "helper threads on it. ") +
      "A figure for which the load generator used " +
      `${Math.round(0.9 * 100)} % or more of its core is marked ${CLIENT_BOUND_MARK}: the ` +
      "load generator was the bottleneck, so it is a lower bound for that server, not its " +
      `speed. ${FAILED_MARK} marks a figure whose checks failed (see [Checks](#checks)).`,
    "",
    "## Results",
    "",
    `Medians of ${options.rounds} round${options.rounds === 1 ? "" : "s"} of ` +
      `${options.seconds} s; every server ran once per round, in an order that rotated. ` +
      "Ratios in brackets are to the first column, muxd (higher is better for rates, lower " +
      "for memory and CPU).",
    "",
    resultsTable(result),
    "",
    `![Load benchmark chart](${options.pin ? "benchmarks-one-core" : "benchmarks"}.svg)`,
    "",
    "### CPU use during each measure",
    "",
    "Share of one core, median over the rounds: the load generator's own (getrusage), the " +
      "server's (utime + stime from /proc/PID/stat, with those of every process it forked, " +
      "live or reaped), softirq (from /proc/stat: the kernel's network stack, which " +
      "processes loopback packets; with tick-based accounting it may overlap the first " +
      "two) and everything else (busy " +
      "time from /proc/stat less the other three: other programs on the machine, the " +
      "benchmark's own process; for ncat also children it reaps late). A run of a server " +
      "that does not fork during which everything else used more than 25 % of a core was " +
      "run again, twice at most, and the reruns are counted here: this machine may be " +
      "shared.",
    "",
    cpuTable(result),
    "",
    ...sectionReports(result),
  );
  if (result.startup.length > 0) {
    out.push(
      "## muxd start-up",
      "",
      "From spawning `deno run … main.ts serve` with the serve task's flags to its ready record " +
        "on stdout, and VmRSS at that moment; listeners on 127.0.0.1 from port 10000, in ranges " +
        "of 1,000 ports (one spec may span at most 1,024), default logging (the socket table " +
        "goes to standard error, redirected to a file). The floor under it, measured the same " +
        "way: `bench/load/deno_listeners.ts`, a Deno program that only binds the listeners and " +
        "starts an accept or receive loop on each: what any Deno program pays. Then the same " +
        "program after it parses its three arguments with optique and sets up LogTape, as " +
        "muxd must (its command line and its log are built on them, from npm): what the " +
        "runtime, npm support and those two libraries cost before a line of muxd runs.",
      "",
      startupTable(result.startup),
      "",
      perListener(result.startup),
      "",
    );
  }
  if (logging.length > 0) {
    const every = costs(result, "muxd-every", "muxd-quiet");
    out.push(
      "## What logging costs",
      "",
      "muxd with default logging (one line per connection opened and closed, one per datagram, " +
        "100 a second at most per socket name and the rest counted in one line a second, to a " +
        "file) against `--log-level error`: " +
        logging.map((c) => `${c.what} ${(c.cost * 100).toFixed(1)} %`).join(", ") +
        " (positive: logging is slower or uses more CPU).",
      "",
    );
    if (every.length > 0) {
      out.push(
        "Every line written (`--log-lines 0`) against `--log-level error`: " +
          every.map((c) => `${c.what} ${(c.cost * 100).toFixed(1)} %`).join(", ") + ".",
        "",
      );
    }
  }
  const faults = faultCosts(result);
  if (faults.length > 0) {
    out.push(
      "## What a configured fault costs",
      "",
      "muxd with `latency=0` on its TCP listener and `delay=0` on its UDP one (faults that change " +
        "nothing, but put every connection and datagram through the fault machinery) against " +
        "muxd without fault options: " +
        faults.map((c) => `${c.what} ${(c.cost * 100).toFixed(1)} %`).join(", ") +
        " (positive: the faults are slower or use more CPU). A listener without fault options " +
        "takes the path muxd took before faults existed.",
      "",
    );
  }
  out.push(
    "## Targets (issue 6)",
    "",
    "The last column is what the minimal Deno server (no logging, limits or bookkeeping) " +
      "reaches on the same measure in the same run: the floor a server on Deno's APIs stands " +
      "on; for start-up, the two floor programs of the section above.",
    "",
    ...targetsTable(targets, "minimal Deno server"),
    ...issue17Report(result),
    "## Checks",
    "",
    `${result.checks.length - failed.length - findings.length} of ${result.checks.length} ` +
      `checks passed. ${failed.length} required check${failed.length === 1 ? "" : "s"} ` +
      "failed (required: muxd's, the two reference servers' and start-up's; a failure there " +
      "fails the run).",
    "",
    ...failed.map((c) => `- ${FAILED_MARK} ${c.name}: ${c.detail}`),
    ...(findings.length > 0
      ? [
        "",
        "Findings: checks that failed for other servers, and datagram loss (reported, not " +
        "required):",
        "",
        ...findings.map((c) => `- ${c.name}: ${c.detail}`),
      ]
      : []),
    "",
    "## How it was measured",
    "",
    "Echo servers:",
    "",
    ...servers("echo"),
    "",
    ...(servers("relay").length > 0
      ? [`Relays, in front of ${result.upstream}:`, "", ...servers("relay"), ""]
      : []),
    ...(servers("exec").length > 0
      ? ["Programs behind a port, each running `/bin/cat`:", "", ...servers("exec"), ""]
      : []),
    "Measures:",
    "",
    `- **TCP echo** with 1 and 32 connections: each writes 16 KiB chunks; 4 MiB at most are ` +
      "in flight over all connections (1: 4 MiB; 32: 128 KiB each); every byte that comes " +
      "back is compared with what was sent (a " +
      "pseudo-random pattern, offset per connection). The figure is bytes echoed in the " +
      "window; after it the load generator half-closes, reads the rest and checks that " +
      "nothing is missing or extra.",
    `- **TCP connection rate**: ${options.rateConcurrency} connections at a time, each ` +
      "connect, send 32 bytes, read them back, close; latency is connect to echo. Sources " +
      "rotate over 127.0.0.2–127.0.0.65 so that TIME-WAIT never runs out of ports (xinetd: " +
      "127.0.0.1 only, because its internal services resolve the client's name in every " +
      "forked child, and 127.0.0.1 is the address /etc/hosts answers without DNS). Server CPU " +
      "per connection is its CPU time over the run divided by the connections completed.",
    "- **UDP echo** with 1 and 16 requests outstanding from one socket: requests of 32 to 64 " +
      "bytes carrying a sequence number; a reply must be exactly its request's bytes (a " +
      "merged, split or changed reply is bad), and one that is not back within 200 ms is " +
      "lost and replaced.",
    `- **Memory per idle connection**: on a fresh server (started for this measure, warmed ` +
      `up with 20 connections), ${fmt(options.idleConnections)} connections opened, each ` +
      "echoes one byte and then stays idle; the server's VmRSS (summed over the processes " +
      "it forked, which counts shared pages once per process) before and with them held, " +
      "divided by their number. Kernel socket buffers are not in it.",
    "- After each TCP run against a server that forks per connection, any child still " +
      "alive is killed (ncat's relays can stall with data in flight and would stay), so " +
      "that no leftover disturbs later runs.",
    "- muxd runs with its default limits: 1,024 open connections per listener and 10,000 in " +
      "all; the per-source limits (256 open, 200 new a second) and the UDP reply rate hold " +
      "only for sources outside loopback, so none of them limits the load generator.",
    "",
    "## Reproduce",
    "",
    "```sh",
    "apt-get install -y xinetd socat ncat haproxy libnginx-mod-stream   # the peers (Debian); node and cc as well if missing",
    "deno task bench:load                   # about 12 minutes; rewrites this file but its hand-written part, and benchmarks.svg",
    "deno task bench:load --quick           # muxd alone (echo, forward, exec), ~1 s a measure, no C compiler (in deno task test)",
    "deno task bench:load --pin --peers muxd,muxd-quiet,deno,node,fwd-muxd,fwd-deno,fwd-haproxy,fwd-nginx,fwd-socat,fwd-node   # one core each: docs/BENCHMARKS-one-core.md",
    "```",
    "",
  );
  return out.join("\n");
}
