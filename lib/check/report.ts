/**
 * The findings of `check`, as text for people and as JSON for scripts.
 *
 * @module
 */

import type { PlannedListener } from "../plan/plan.ts";
import { formatSource } from "../spec/mod.ts";
import type { HostFacts } from "./host_facts.ts";
import type { Finding, RuleId, Severity } from "./rules.ts";

/** The JSON form of a `check` run. */
export interface CheckReport {
  /** `true` when `serve` would bind every listener. */
  readonly ok: boolean;
  /** The facts the rules were applied with. */
  readonly host: {
    readonly os: string;
    readonly bindV6Only: boolean;
    readonly unprivilegedPortStart: number;
    readonly canBindPrivileged: boolean;
    readonly ephemeralPorts: { readonly first: number; readonly last: number };
    readonly assumed: readonly string[];
  };
  /** How many listeners were checked. */
  readonly listeners: number;
  /** Every finding, in plan order. */
  readonly findings: readonly {
    readonly rule: RuleId;
    readonly severity: Severity;
    readonly specs: readonly { readonly spec: string; readonly source: string }[];
    readonly explanation: string;
    readonly fix: string;
  }[];
}

/**
 * Builds the JSON report.
 *
 * @param listeners The planned listeners.
 * @param findings What {@linkcode predict} found.
 * @param facts The host facts.
 * @returns The report.
 */
export function checkReport(
  listeners: readonly PlannedListener[],
  findings: readonly Finding[],
  facts: HostFacts,
): CheckReport {
  return {
    ok: !findings.some((f) => f.severity === "error"),
    host: {
      os: facts.os,
      bindV6Only: facts.bindV6Only,
      unprivilegedPortStart: facts.unprivilegedPortStart,
      canBindPrivileged: facts.canBindPrivileged,
      ephemeralPorts: facts.ephemeralPorts,
      assumed: facts.assumed,
    },
    listeners: listeners.length,
    findings: findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      specs: f.listeners.map((l) => ({ spec: l.spec, source: formatSource(l.source) })),
      explanation: f.explanation,
      fix: f.fix,
    })),
  };
}

/**
 * The report as text: the host's rules, then each finding with its specs,
 * why, and the fix, then a one-line verdict.
 *
 * @param report The report from {@linkcode checkReport}.
 * @returns Lines of text, without a trailing newline.
 */
export function formatCheckReport(report: CheckReport): string {
  const h = report.host;
  const out = [
    `muxd check: ${report.listeners} listener${report.listeners === 1 ? "" : "s"} on ${h.os} ` +
    `(net.ipv6.bindv6only=${h.bindV6Only ? 1 : 0}, privileged ports below ` +
    `${h.unprivilegedPortStart}${h.canBindPrivileged ? " but this process may bind them" : ""}, ` +
    `ephemeral ports ${h.ephemeralPorts.first}-${h.ephemeralPorts.last})`,
    ...h.assumed.map((a) => `  assumed: ${a}`),
  ];
  for (const f of report.findings) {
    const [first, second] = f.specs;
    out.push("", `${f.severity}: ${f.rule}`, `  ${first.spec} (${first.source})`);
    if (second) {
      out.push(
        `  ${
          f.rule === "tcp-udp-separate" ? "and" : "conflicts with"
        } ${second.spec} (${second.source})`,
      );
    }
    out.push(`  why: ${f.explanation}`);
    if (f.severity !== "note") out.push(`  fix: ${f.fix}`);
  }
  const count = (s: Severity) => report.findings.filter((f) => f.severity === s).length;
  const parts = [
    `${count("error")} error${count("error") === 1 ? "" : "s"}`,
    `${count("warning")} warning${count("warning") === 1 ? "" : "s"}`,
    `${count("note")} note${count("note") === 1 ? "" : "s"}`,
  ];
  out.push(
    "",
    `${parts.join(", ")}: ${
      report.ok ? "muxd serve would bind every listener." : "muxd serve would fail."
    }`,
  );
  return out.join("\n");
}
