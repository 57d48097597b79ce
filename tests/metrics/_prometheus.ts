/**
 * Reads Prometheus text with real parsers from npm, each for what it gets
 * right: `prom2javascript` for the families and values (it groups labelled
 * histograms and rejects one whose `+Inf` bucket is not its `_count`), and
 * `parse-prometheus-text-format` (a port of Prometheus' prom2json) for
 * label values, which it unescapes correctly (prom2javascript does not:
 * `\\n` becomes a newline). Both must accept the text. Then the checks
 * neither makes: every family has HELP and TYPE, names are valid, a counter
 * ends in `_total`, histogram buckets are cumulative, no series appears twice.
 */

import assert from "node:assert/strict";
// Imported here by their npm specifiers, not through deno.json's imports:
// Deno installs every package of that map on a run, and muxd uses neither.
// deno-lint-ignore no-import-prefix
import { getMetricsFromIterator, type PromHistogramData } from "npm:prom2javascript@0.2.0";
// @ts-types="./_parse_prometheus.d.ts"
// deno-lint-ignore no-import-prefix
import parsePrometheusTextFormat from "npm:parse-prometheus-text-format@1.1.1";

/** One series: its labels, and its value (for a histogram, its `_count`). */
export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** A histogram's buckets by `le`, its sum. */
  readonly buckets?: Readonly<Record<string, number>>;
  readonly sum?: number;
}

/** One metric family. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly series: readonly Series[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ["counter", "gauge", "histogram"];

/**
 * Parses and checks an exposition.
 *
 * @param text The body of `GET /metrics`.
 * @returns The families, by name, in the order of the text.
 */
export async function parseMetrics(text: string): Promise<Map<string, Family>> {
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  parsePrometheusTextFormat(text); // throws on a line it cannot read
  const parsed = await getMetricsFromIterator(text.split("\n")[Symbol.iterator]());
  const families = new Map<string, Family>();
  for (const [name, metric] of Object.entries(parsed)) {
    assert.match(name, METRIC_NAME);
    assert.notEqual(metric.help, "", `family ${name} has a HELP line`);
    assert.ok(TYPES.includes(metric.type), `family ${name} has a TYPE line: ${metric.type}`);
    if (metric.type === "counter") assert.match(name, /_total$/);
    const series: Series[] = metric.type === "histogram"
      ? (metric.data as PromHistogramData[]).map((h) => checkHistogram(name, h))
      : (metric.data as { labels: Record<string, string>; value: number }[])
        .map(({ labels, value }) => ({ labels, value }));
    const seen = new Set<string>();
    for (const { labels } of series) {
      for (const label of Object.keys(labels)) assert.match(label, LABEL_NAME);
      const key = JSON.stringify(Object.entries(labels).sort());
      assert.ok(!seen.has(key), `series ${name} ${key} appears once`);
      seen.add(key);
    }
    families.set(name, { name, help: metric.help, type: metric.type, series });
  }
  return families;
}

function checkHistogram(name: string, h: PromHistogramData): Series {
  const entries = Object.entries(h.buckets)
    .map(([le, n]) => [le === "+Inf" ? Infinity : Number(le), n] as const)
    .sort(([a], [b]) => a - b);
  assert.ok(entries.every(([le]) => !Number.isNaN(le)), `${name}: every le is a number`);
  let count = 0;
  for (const [, n] of entries) {
    assert.ok(n >= count, `${name} buckets are cumulative`);
    count = n;
  }
  assert.equal(h.sum !== undefined, true, `${name} has a _sum`);
  return { labels: h.labels, value: h.count, buckets: h.buckets, sum: h.sum };
}

/**
 * The series of a family whose labels include `labels`.
 *
 * @returns The series, or `undefined` when none matches; throws when several do.
 */
export function seriesOf(
  families: Map<string, Family>,
  name: string,
  labels: Readonly<Record<string, string>>,
): Series | undefined {
  const family = families.get(name);
  assert.ok(family, `family ${name} is in the exposition`);
  const matches = family.series.filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.ok(matches.length <= 1, `one series of ${name} matches ${JSON.stringify(labels)}`);
  return matches[0];
}

/**
 * The value of the series of a family whose labels include `labels` (a
 * histogram's `_count`), or `undefined` when none matches.
 */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Readonly<Record<string, string>>,
): number | undefined {
  return seriesOf(families, name, labels)?.value;
}

/** How many series an exposition has, over every family (a histogram series counts once). */
export function seriesCount(families: Map<string, Family>): number {
  let n = 0;
  for (const family of families.values()) n += family.series.length;
  return n;
}

/** A family's help text, unescaped by `parse-prometheus-text-format`. */
export function helpText(text: string, family: string): string | undefined {
  const families = parsePrometheusTextFormat(text) as { name: string; help: string }[];
  return families.find((f) => f.name === family)?.help;
}

/**
 * The label values of every sample of a family, read by
 * `parse-prometheus-text-format`, which unescapes them as Prometheus does.
 */
export function labelValues(text: string, family: string, label: string): (string | undefined)[] {
  const families = parsePrometheusTextFormat(text) as {
    name: string;
    metrics: { labels?: Record<string, string> }[];
  }[];
  const found = families.find((f) => f.name === family);
  assert.ok(found, `family ${family} is in the exposition`);
  return found.metrics.map((m) => m.labels?.[label]);
}
