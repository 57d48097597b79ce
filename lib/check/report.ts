/**
 * The findings of `check`, as text for people and as JSON for scripts.
 *
 * @module
 */

import type { Holder, HolderKind, SocketState } from "../holder/mod.ts";
import type { PlannedListener } from "../plan/plan.ts";
import { formatSocketName, formatSource } from "../spec/mod.ts";
import { formatPortList } from "../spec/port_range.ts";
import { reasonForPorts, reasonShape } from "../bind/failure_groups.ts";
import type { HostFacts } from "./host_facts.ts";
import type { LiveCheck } from "./live_check.ts";
import { heldByText } from "./live_rules.ts";
import { visible } from "../spec/visible.ts";
import type { Finding, RuleId, Severity } from "./rules.ts";

/** Rules whose findings name a UDP wildcard's spec rather than one of its sockets. */
const BY_SPEC: readonly RuleId[] = ["udp-wildcard", "public-address"];

/** A socket another program holds, as the JSON report gives it. */
export interface ReportedHolder {
  /** `tcp` or `udp`. */
  readonly transport: "tcp" | "udp";
  /** Its local name, such as `127.0.0.1:7777` or `[::]:7777`. */
  readonly local: string;
  /** Its peer, for a connection; else `null`. */
  readonly remote: string | null;
  /** Its state as `ss` names it: `LISTEN`, `UNCONN`, `ESTAB`, `TIME-WAIT`, … */
  readonly state: SocketState;
  /** How it uses the port. */
  readonly kind: HolderKind;
  /** The process that has it open, or `null` when `ss` names none. */
  readonly pid: number | null;
  /** That process's short name, such as `nc`, or `null`. */
  readonly program: string | null;
}

/** The JSON form of a `check` run. */
export interface CheckReport {
  /**
   * `true` when `serve` would bind every listener: no rule fails, and no
   * other socket holds a planned name. `false` when one does, and when who
   * holds them could not be looked up.
   */
  readonly ok: boolean;
  /** Whether the sockets that exist now were looked up, and if not, why. */
  readonly live: { readonly checked: true } | { readonly checked: false; readonly reason: string };
  /** The facts the rules were applied with. */
  readonly host: {
    readonly os: string;
    readonly bindV6Only: boolean;
    readonly unprivilegedPortStart: number;
    readonly canBindPrivileged: boolean;
    readonly ephemeralPorts: { readonly first: number; readonly last: number };
    /** The open-files limit (`ulimit -n`), or `null` where it could not be read. */
    readonly openFiles: number | null;
    readonly assumed: readonly string[];
  };
  /** How many listeners were checked. */
  readonly listeners: number;
  /** Every finding, in plan order. */
  readonly findings: readonly {
    readonly rule: RuleId;
    readonly severity: Severity;
    readonly specs: readonly {
      readonly spec: string;
      readonly source: string;
      /** The spec as written: a port range's or an interface's, for one of its sockets. */
      readonly origin: string;
      /** The port of `spec`. */
      readonly port: number;
    }[];
    readonly explanation: string;
    readonly fix: string;
    /** For `in-use` and `time-wait`: the sockets that hold the name, in plain words. */
    readonly held?: string;
    /** The same sockets, one object each. */
    readonly holders?: readonly ReportedHolder[];
  }[];
}

/**
 * Builds the JSON report.
 *
 * @param listeners The planned listeners.
 * @param findings What {@linkcode predict} found.
 * @param facts The host facts.
 * @param live What {@linkcode checkLive} found; its findings follow `findings`.
 * @param openFiles The open-files limit, or `null` where it could not be read.
 * @returns The report.
 */
export function checkReport(
  listeners: readonly PlannedListener[],
  findings: readonly Finding[],
  facts: HostFacts,
  live: LiveCheck,
  openFiles: number | null = null,
): CheckReport {
  const all = live.checked ? [...findings, ...live.findings] : findings;
  return {
    ok: live.checked && !all.some((f) => f.severity === "error"),
    live: live.checked ? { checked: true } : { checked: false, reason: live.reason },
    host: {
      os: facts.os,
      bindV6Only: facts.bindV6Only,
      unprivilegedPortStart: facts.unprivilegedPortStart,
      canBindPrivileged: facts.canBindPrivileged,
      ephemeralPorts: facts.ephemeralPorts,
      openFiles,
      assumed: facts.assumed,
    },
    listeners: listeners.length,
    findings: all.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      // These findings about a UDP wildcard bound per address are about its
      // spec, not the one socket they are attached to.
      specs: f.listeners.map((l) => ({
        spec: l.wildcard !== null && BY_SPEC.includes(f.rule) ? l.origin : l.spec,
        source: formatSource(l.source),
        origin: l.origin,
        port: l.port,
      })),
      explanation: f.explanation,
      fix: f.fix,
      ...(f.holders === undefined ? {} : {
        held: heldByText(f.listeners[0], f.holders),
        holders: f.holders.map(reportedHolder),
      }),
    })),
  };
}

type ReportedFinding = CheckReport["findings"][number];
type Spec = ReportedFinding["specs"][number];

/**
 * Findings told together: one rule about sockets of the same specs (port
 * ranges), on the same addresses, the same distance apart in port, in the
 * place of the first; those that name other programs' sockets only where
 * the same sockets but for the port hold them (one program holds part of a
 * range). Two ranges of 1,000 ports on one port span are 1,000 findings
 * alike: one block, not 5,000 lines. The addresses of an interface's spec
 * (`tcp://lo:7000`) are told apart: they are not ports.
 */
function alikeFindings(findings: readonly ReportedFinding[]): ReportedFinding[][] {
  const groups = Map.groupBy(findings, (f, i) => {
    const port = f.specs[0].port;
    const fromRanges = f.specs.every((s) => s.origin !== s.spec);
    return fromRanges
      ? JSON.stringify([
        f.rule,
        f.severity,
        f.specs.map((s) => [s.origin, s.source, address(s), s.port - port]),
        f.held === undefined ? null : reasonShape(`${f.held}\n${f.explanation}\n${f.fix}`, port),
      ])
      : `${i}`;
  });
  return [...groups.values()];
}

/** The address of a spec of one socket, as written: `[::1]` of `tcp://[::1]:7000=echo`. */
function address(s: Spec): string {
  const name = s.spec.slice(0, s.spec.indexOf("="));
  return name.slice(0, name.lastIndexOf(":"));
}

function reportedHolder(h: Holder): ReportedHolder {
  return {
    transport: h.transport,
    local: formatSocketName(h.local),
    remote: h.remote === null ? null : formatSocketName(h.remote),
    state: h.state,
    kind: h.kind,
    pid: h.process?.pid ?? null,
    program: h.process?.name ?? null,
  };
}

/**
 * The report as text: the host's rules, then each finding with its specs,
 * why, and the fix, then a one-line verdict. Each line has its control
 * characters escaped ({@linkcode visible}): a config file's path is printed
 * as it was typed, and an escape code in it must not reach the terminal.
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
    `ephemeral ports ${h.ephemeralPorts.first}-${h.ephemeralPorts.last}` +
    (h.openFiles === null ? "" : `, open files ${h.openFiles}`) + ")",
    ...h.assumed.map((a) => `  assumed: ${a}`),
    ...(report.live.checked ? [] : [
      `  not checked: the sockets that exist now (another program may hold a planned name): ` +
      report.live.reason,
    ]),
  ];
  for (const group of alikeFindings(report.findings)) {
    const f = group[0];
    const [first, second] = f.specs;
    const many = group.length > 1;
    const spec = (s: Spec) => `${many ? s.origin : s.spec} (${s.source})`;
    out.push(
      "",
      `${f.severity}: ${f.rule}` +
        (many
          ? `, on ${group.length} ports: ${formatPortList(group.map((g) => g.specs[0].port))}`
          : ""),
      `  ${spec(first)}`,
    );
    if (second) {
      out.push(`  ${f.rule === "tcp-udp-separate" ? "and" : "conflicts with"} ${spec(second)}`);
    }
    if (f.held !== undefined) {
      const ports = group.map((g) => g.specs[0].port);
      out.push(`  ${many ? reasonForPorts(f.held, first.port, ports) : f.held}`);
    }
    const each = many ? ` (port ${first.port}, and alike for each)` : "";
    out.push(`  why${each}: ${f.explanation}`);
    if (f.severity !== "note") out.push(`  fix${each}: ${f.fix}`);
  }
  const count = (s: Severity) => report.findings.filter((f) => f.severity === s).length;
  const parts = [
    `${count("error")} error${count("error") === 1 ? "" : "s"}`,
    `${count("warning")} warning${count("warning") === 1 ? "" : "s"}`,
    `${count("note")} note${count("note") === 1 ? "" : "s"}`,
  ];
  const verdict = count("error") > 0
    ? "muxd serve would fail."
    : report.ok && count("warning") > 0
    ? "muxd serve would bind every listener, unless a warning above comes true."
    : report.ok
    ? "muxd serve would bind every listener."
    : "no rule fails, but muxd serve may still fail: who holds these socket names now " +
      "could not be looked up.";
  out.push("", `${parts.join(", ")}: ${verdict}`);
  return out.map(visible).join("\n");
}
