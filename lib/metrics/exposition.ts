/**
 * The Prometheus text exposition format, version 0.0.4: `# HELP` and
 * `# TYPE` lines, then one line per sample, `name{label="value"} number`.
 * Label values escape `\`, `"` and newline; help text escapes `\` and
 * newline.
 *
 * @module
 */

/** The `Content-Type` of the text format 0.0.4. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A metric family's type. */
export type MetricType = "counter" | "gauge" | "histogram";

/** Label names and values, in the order they are written. */
export type Labels = readonly (readonly [name: string, value: string])[];

/**
 * Escapes a label value: `\` as `\\`, `"` as `\"`, a newline as `\n`.
 *
 * @param value The value.
 * @returns The text to put between the quotes.
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from "./exposition.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

/**
 * Escapes help text: `\` as `\\`, a newline as `\n`.
 *
 * @param text The help text.
 * @returns The text for a `# HELP` line.
 */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/**
 * Writes a sample's value as the format wants it: `+Inf`, `-Inf`, `NaN`,
 * or the number.
 *
 * @param value The value.
 * @returns Its text.
 *
 * @example
 * ```ts
 * import { formatValue } from "./exposition.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatValue(Infinity), "+Inf");
 * assert.equal(formatValue(0.25), "0.25");
 * ```
 */
export function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

/**
 * Collects the lines of an exposition, one family after another.
 *
 * @example
 * ```ts
 * import { Exposition } from "./exposition.ts";
 * import assert from "node:assert/strict";
 *
 * const out = new Exposition();
 * out.family("muxd_demo_total", "counter", "Demo events.");
 * out.sample("muxd_demo_total", [["transport", "tcp"]], 3);
 * assert.equal(
 *   out.text(),
 *   '# HELP muxd_demo_total Demo events.\n# TYPE muxd_demo_total counter\n' +
 *     'muxd_demo_total{transport="tcp"} 3\n',
 * );
 * ```
 */
export class Exposition {
  #lines: string[] = [];

  /**
   * Starts a family: its `# HELP` and `# TYPE` lines. Its samples follow.
   *
   * @param name The family's name, such as `muxd_connections_opened_total`.
   * @param type Its type.
   * @param help What it counts, in one sentence.
   */
  family(name: string, type: MetricType, help: string): void {
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  /**
   * Writes one sample.
   *
   * @param name The sample's name: the family's, or with `_bucket`, `_sum` or `_count`.
   * @param labels Its labels, in order; none writes no braces.
   * @param value Its value.
   */
  sample(name: string, labels: Labels, value: number): void {
    const inner = labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
    this.#lines.push(`${inner === "" ? name : `${name}{${inner}}`} ${formatValue(value)}`);
  }

  /**
   * The exposition so far.
   *
   * @returns Its lines, each ended by a newline.
   */
  text(): string {
    return this.#lines.length === 0 ? "" : this.#lines.join("\n") + "\n";
  }
}
