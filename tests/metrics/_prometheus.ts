/**
 * Reads Prometheus text with a real parser from npm
 * (`parse-prometheus-text-format`, a port of Prometheus' prom2json), then
 * checks what that parser lets pass: every family has its HELP and TYPE,
 * names and label names are valid, a counter ends in `_total`, histogram
 * buckets are cumulative and end at `+Inf`, no series appears twice.
 */

import assert from "node:assert/strict";
// Imported here by its npm specifier, not through deno.json's imports: Deno
// installs every package of that map on a run, and muxd does not use this one.
// @ts-types="./_parse_prometheus.d.ts"
// deno-lint-ignore no-import-prefix
import parsePrometheusTextFormat from "npm:parse-prometheus-text-format@1.1.1";

/** One sample of a counter or gauge. */
export interface PlainSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: string;
}

/** One histogram series. */
export interface HistogramSample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly buckets: Readonly<Record<string, string>>;
  readonly count: string;
  readonly sum: string;
}

/** One metric family as the parser returns it. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  readonly metrics: readonly (PlainSample | HistogramSample)[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Parses and checks an exposition.
 *
 * @param text The body of `GET /metrics`.
 * @returns The families, by name.
 */
export function parseMetrics(text: string): Map<string, Family> {
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  const families = parsePrometheusTextFormat(text) as Family[];
  const byName = new Map<string, Family>();
  for (const family of families) {
    assert.ok(!byName.has(family.name), `family ${family.name} appears once`);
    byName.set(family.name, family);
    assert.match(family.name, METRIC_NAME);
    assert.notEqual(family.help, "", `family ${family.name} has a HELP line`);
    assert.notEqual(family.type, "UNTYPED", `family ${family.name} has a TYPE line`);
    if (family.type === "COUNTER") assert.match(family.name, /_total$/);
    const seen = new Set<string>();
    for (const sample of family.metrics) {
      const labels = sample.labels ?? {};
      for (const name of Object.keys(labels)) assert.match(name, LABEL_NAME);
      const key = JSON.stringify(Object.entries(labels).sort());
      assert.ok(!seen.has(key), `series ${family.name} ${key} appears once`);
      seen.add(key);
      if (family.type === "HISTOGRAM") checkHistogram(family.name, sample as HistogramSample);
      else assert.ok(Number.isFinite(Number((sample as PlainSample).value)), family.name);
    }
  }
  return byName;
}

function checkHistogram(name: string, h: HistogramSample): void {
  const entries = Object.entries(h.buckets);
  assert.equal(entries.at(-1)?.[0], "+Inf", `${name} ends at +Inf`);
  let previous = -Infinity;
  let count = 0;
  for (const [le, n] of entries) {
    const bound = le === "+Inf" ? Infinity : Number(le);
    assert.ok(bound > previous, `${name} buckets ascend`);
    assert.ok(Number(n) >= count, `${name} buckets are cumulative`);
    previous = bound;
    count = Number(n);
  }
  assert.equal(count, Number(h.count), `${name} +Inf bucket equals _count`);
}

/**
 * The value of the series of a family whose labels include `labels`.
 *
 * @returns The value, or `undefined` when no series matches; throws when several do.
 */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Readonly<Record<string, string>>,
): number | undefined {
  const family = families.get(name);
  assert.ok(family, `family ${name} is in the exposition`);
  const matches = family.metrics.filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels?.[k] === v)
  );
  assert.ok(matches.length <= 1, `one series of ${name} matches ${JSON.stringify(labels)}`);
  if (matches.length === 0) return undefined;
  const sample = matches[0];
  return Number("value" in sample ? sample.value : sample.count);
}

/**
 * How many series an exposition has, over every family (a histogram series counts once).
 */
export function seriesCount(families: Map<string, Family>): number {
  let n = 0;
  for (const family of families.values()) n += family.metrics.length;
  return n;
}
