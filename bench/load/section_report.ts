/**
 * The report's sections for muxd's `forward` and `exec`: the relays and the
 * programs behind a port side by side, and the targets of issue 17 judged
 * against the run's medians, each with the floor a server on Deno reaches.
 *
 * @module
 */

import {
  cpuTable,
  find,
  fmt,
  measuredPeers,
  resultsTable,
  type TargetRow,
  targetsTable,
} from "./report.ts";
import type { LoadBenchResult, Summary } from "./run.ts";
import type { MeasureId, Sample } from "./types.ts";

/** The relay measures, in report order. */
const RELAY_MEASURES: readonly MeasureId[] = ["tcp-1", "tcp-32", "conn-rate", "udp-1", "udp-16"];

/**
 * muxd's exec and the two Deno servers under it (on one thread and on
 * two): the exec section's servers that do not fork.
 */
const EXEC_OWN: readonly string[] = ["exec-muxd", "exec-deno", "exec-deno-threads"];

/** Whether a summary has a figure: muxd's is judged even where a check failed. */
const ok = (s: Summary | undefined): s is Summary => s !== undefined && Number.isFinite(s.value);

/**
 * Whether another server's figure is one to judge muxd against: measured,
 * and every check of every round passed. A figure marked ✗ (a relay that
 * stalled, an echo that merged datagrams) says how a server failed, not how
 * fast it is.
 */
const trusted = (s: Summary | undefined): s is Summary => ok(s) && s.ok;

/** Whether one round's figure counts: every check of that round passed. */
const passed = (s: Sample): boolean => s.checks.every((c) => c.ok);

/** `1.23×` of a to b on one measure, or `null` when either is missing or b's is not {@linkcode trusted}. */
function ratioOf(result: LoadBenchResult, measure: string, a: string, b: string): number | null {
  const x = find(result, measure, a);
  const y = find(result, measure, b);
  return ok(x) && trusted(y) && y.value > 0 ? x.value / y.value : null;
}

/**
 * The ratio of a to b taken within each round, on one measure's headline
 * figure or one of its `extras`: the two servers of a round ran minutes
 * apart at most, so these show how far a verdict stands from the noise
 * between rounds. A round in which b failed a check has none.
 */
export function roundRatios(
  result: LoadBenchResult,
  measure: string,
  a: string,
  b: string,
  extra?: string,
): number[] {
  const x = find(result, measure, a);
  const y = find(result, measure, b);
  if (x === undefined || y === undefined) return [];
  const figure = (s: Sample) => extra === undefined ? s.value : s.extras[extra];
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(x.samples.length, y.samples.length); i++) {
    if (!passed(y.samples[i])) continue;
    const r = figure(x.samples[i]) / figure(y.samples[i]);
    if (Number.isFinite(r) && r > 0) ratios.push(r);
  }
  return ratios;
}

/** `rounds 0.93–0.97×` of {@linkcode roundRatios}, or `null` for fewer than two rounds. */
export function ratioSpread(ratios: readonly number[]): string | null {
  if (ratios.length < 2) return null;
  return `rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`;
}

/** `; rounds 0.93–0.97×` to end a bracket with, or nothing for fewer than two rounds. */
function spreadOf(ratios: readonly number[]): string {
  const spread = ratioSpread(ratios);
  return spread === null ? "" : `; ${spread}`;
}

/** `1.23×`, with the rounds' spread in brackets when there is one. */
function ratioText(ratio: number, ratios: readonly number[]): string {
  const spread = ratioSpread(ratios);
  return spread === null ? `${ratio.toFixed(2)}×` : `${ratio.toFixed(2)}× (${spread})`;
}

/**
 * A relay against another on every measure both ran: the ratios, and whether
 * each is above `min`.
 */
function against(
  result: LoadBenchResult,
  relay: string,
  other: string,
  measures: readonly MeasureId[],
  min: number,
): { text: string; met: boolean | null } {
  const parts: string[] = [];
  let met: boolean | null = null;
  for (const measure of measures) {
    const r = ratioOf(result, measure, relay, other);
    if (r === null) continue;
    parts.push(`${measure} ${ratioText(r, roundRatios(result, measure, relay, other))}`);
    met = (met ?? true) && r >= min;
  }
  return { text: parts.length > 0 ? parts.join(", ") : "not measured", met };
}

function label(result: LoadBenchResult, id: string): string {
  return result.peers.find((p) => p.id === id)?.label ?? id;
}

/**
 * Judges the targets of issue 17 against a run's medians.
 *
 * @param result The run.
 * @returns One row per target; the last column is the minimal Deno server or relay.
 */
export function evaluateIssue17(result: LoadBenchResult): TargetRow[] {
  const rows: TargetRow[] = [];
  const relayRow = (other: string, measures: readonly MeasureId[], min: number, words: string) => {
    if (!measuredPeers(result, "relay").some((p) => p.id === other)) return;
    const muxd = against(result, "fwd-muxd", other, measures, min);
    const floor = against(result, "fwd-deno", other, measures, min);
    rows.push({
      target: words,
      measured: muxd.text,
      met: muxd.met,
      floor: floor.met === null ? "–" : floor.text,
      floorMet: floor.met,
    });
  };
  for (const other of ["fwd-socat", "fwd-ncat", "fwd-node"]) {
    relayRow(
      other,
      RELAY_MEASURES,
      1,
      `forward ahead of ${label(result, other)} on every measure (ratio > 1)`,
    );
  }
  relayRow(
    "fwd-haproxy",
    ["tcp-1", "tcp-32", "conn-rate"],
    0.7,
    "forward at 0.7× HAProxy or more: throughput and connection rate",
  );

  const exec = find(result, "conn-rate", "exec-muxd");
  const forking = measuredPeers(result, "exec").filter((p) => !EXEC_OWN.includes(p.id))
    .map((p) => find(result, "conn-rate", p.id)).filter(trusted);
  if (ok(exec) && forking.length > 0) {
    const best = forking.reduce((a, b) => a.value >= b.value ? a : b);
    const floor = find(result, "conn-rate", "exec-deno");
    const threads = find(result, "conn-rate", "exec-deno-threads");
    const onThreads = trusted(threads)
      ? `; on 2 threads ${
        ratioText(
          threads.value / best.value,
          roundRatios(result, "conn-rate", "exec-deno-threads", best.peer),
        )
      }`
      : "";
    const reaches = (s: Summary | undefined) => trusted(s) && s.value >= 0.95 * best.value;
    rows.push({
      target: "exec's connection rate on a par with the forking servers' (≥ 0.95× the fastest)",
      measured: `${(exec.value / best.value).toFixed(2)}× ${label(result, best.peer)} ` +
        `(${fmt(exec.value)} against ${fmt(best.value)}/s${
          spreadOf(roundRatios(result, "conn-rate", "exec-muxd", best.peer))
        })`,
      met: exec.value >= 0.95 * best.value,
      floor: (trusted(floor)
        ? ratioText(
          floor.value / best.value,
          roundRatios(result, "conn-rate", "exec-deno", best.peer),
        )
        : "–") + onThreads,
      // Within reach on Deno when either floor, one thread or two, gets there.
      floorMet: trusted(floor) || trusted(threads) ? reaches(floor) || reaches(threads) : null,
    });
  }

  for (const measure of ["udp-1", "udp-16"] as const) {
    const r = ratioOf(result, measure, "muxd", "node");
    if (r === null) continue;
    const floor = ratioOf(result, measure, "deno", "node");
    rows.push({
      target: `UDP echo, ${measure === "udp-1" ? 1 : 16} outstanding, ahead of Node`,
      measured: `${r.toFixed(2)}× (${fmt(find(result, measure, "muxd")!.value)} against ` +
        `${fmt(find(result, measure, "node")!.value)}/s${
          spreadOf(roundRatios(result, measure, "muxd", "node"))
        })`,
      met: r > 1,
      floor: floor === null ? "–" : ratioText(floor, roundRatios(result, measure, "deno", "node")),
      floorMet: floor === null ? null : floor > 1,
    });
  }
  const p99 = find(result, "udp-16", "muxd");
  const p99Floor = find(result, "udp-16", "deno");
  if (ok(p99) && trusted(p99Floor)) {
    const r = p99.extras.p99Us / p99Floor.extras.p99Us;
    rows.push({
      target: "UDP echo p99 at 16 outstanding within 2× the minimal Deno server's",
      measured: `${r.toFixed(2)}× (${fmt(p99.extras.p99Us)} against ${
        fmt(p99Floor.extras.p99Us)
      } µs)`,
      met: r <= 2,
      floor: `${fmt(p99Floor.extras.p99Us)} µs`,
    });
  }
  const cpu = find(result, "conn-rate", "muxd");
  const cpuFloor = find(result, "conn-rate", "deno");
  if (ok(cpu) && trusted(cpuFloor)) {
    const r = cpu.extras.cpuUsPerConn / cpuFloor.extras.cpuUsPerConn;
    rows.push({
      target: "CPU per connection, default logging, within 1.1× the minimal Deno server's",
      measured: `${r.toFixed(2)}× (${fmt(cpu.extras.cpuUsPerConn)} against ${
        fmt(cpuFloor.extras.cpuUsPerConn)
      } µs${spreadOf(roundRatios(result, "conn-rate", "muxd", "deno", "cpuUsPerConn"))})`,
      met: r <= 1.1,
      floor: `${fmt(cpuFloor.extras.cpuUsPerConn)} µs`,
    });
  }
  const udp1 = ratioOf(result, "udp-1", "muxd", "deno");
  if (udp1 !== null) {
    rows.push({
      target: "UDP echo, 1 outstanding, within 1.1× the minimal Deno server (≥ 0.91× its rate)",
      measured: `${udp1.toFixed(2)}× (${fmt(find(result, "udp-1", "muxd")!.value)} against ` +
        `${fmt(find(result, "udp-1", "deno")!.value)}/s${
          spreadOf(roundRatios(result, "udp-1", "muxd", "deno"))
        })`,
      met: udp1 >= 1 / 1.1,
      floor: `${fmt(find(result, "udp-1", "deno")!.value)}/s`,
    });
  }
  return rows;
}

/**
 * The Relays and Programs behind a port sections, each with its results and
 * CPU tables; none for a section that did not run.
 *
 * @param result The run.
 * @returns Markdown lines.
 */
export function sectionReports(result: LoadBenchResult): string[] {
  const out: string[] = [];
  if (measuredPeers(result, "relay").length > 0) {
    out.push(
      "## Relays",
      "",
      `Each relay listens on 127.0.0.1 and forwards to one upstream, ${result.upstream}, on ` +
        "another port: the same measures and checks as above, through the relay (every byte " +
        "and datagram still comes back and is compared). The server CPU is the relay's " +
        "alone, not the upstream's. Ratios are to muxd's forward. Same rounds and seconds as " +
        "above.",
      "",
      resultsTable(result, "relay"),
      "",
      "generator / server / softirq / other, as above:",
      "",
      cpuTable(result, "relay"),
      "",
    );
  }
  if (measuredPeers(result, "exec").length > 0) {
    out.push(
      "## Programs behind a port",
      "",
      "Servers that run a program per TCP connection, each the same one, `/bin/cat`: the " +
        "connection-rate measure above (connect, 32 bytes, read them back, close), which is " +
        "here a fork and exec per connection. The server CPU includes every `cat` it ran. " +
        "Ratios are to muxd's exec.",
      "",
      resultsTable(result, "exec"),
      "",
      "generator / server / softirq / other, as above:",
      "",
      cpuTable(result, "exec"),
      "",
    );
  }
  return out;
}

/**
 * The targets of issue 17, as a table and the reasons for any not met.
 *
 * @param result The run.
 * @returns Markdown lines, none when nothing they judge was measured.
 */
export function issue17Report(result: LoadBenchResult): string[] {
  const targets = evaluateIssue17(result);
  if (targets.length === 0) return [];
  return [
    "## Targets (issue 17)",
    "",
    "muxd's forward and exec against the relays and forking servers, and muxd's echo against " +
    "Node and the minimal Deno server. The last column is the floor on Deno: for the relay " +
    "targets the minimal Deno relay's ratios to the same server, for the rest the minimal " +
    "Deno echo server's figure. A ratio's `rounds` are the same ratio taken within each " +
    "round, whose servers ran one after another: a verdict whose rounds fall on both sides " +
    "of its target stands within the noise of this machine.",
    "",
    ...targetsTable(targets, "floor on Deno"),
  ];
}
