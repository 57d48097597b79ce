/**
 * What `muxd serve` tells people and scripts once it is up: the socket table
 * with a netcat command per row, and the machine-readable ready record.
 *
 * @module
 */

import { formatFaults } from "../events/format.ts";
import type { RunningServer, ShownFaults } from "../server/running_server.ts";
import { failedPortsText, groupBindFailures, groupReason } from "../bind/failure_groups.ts";
import { formatSocketName } from "../spec/socket_name.ts";
import { netcatCommand } from "./try_command.ts";
import { wildcardLines } from "./wildcard_lines.ts";

/** The ready record: one JSON object naming every bound socket. */
export interface ReadyRecord {
  /** Always `true`; lets a reader tell this line from others. */
  readonly ready: true;
  /** muxd's process id. */
  readonly pid: number;
  /** Every socket served, with its real port. */
  readonly sockets: readonly {
    /** The listener's id while it runs, such as `tcp-127.0.0.1-7007` (see `listenerId()`). */
    readonly id: string;
    readonly transport: "tcp" | "udp";
    readonly address: string;
    readonly port: number;
    readonly service: string;
    readonly spec: string;
    /**
     * For one socket of a UDP wildcard bound per address: the wildcard's
     * spec, such as `udp://0.0.0.0:7000=echo`; else `null`.
     */
    readonly wildcard: string | null;
    /**
     * Its faults now, as a spec writes them (`?drop=0.5`), and their seed;
     * `null` when it has none.
     */
    readonly faults: ShownFaults | null;
  }[];
  /** Listeners that could not be bound (with `--keep-going`). */
  readonly failed: readonly { readonly spec: string; readonly reason: string }[];
  /** The dashboard's URL, such as `http://127.0.0.1:7080/`, or `null` without one. */
  readonly dashboard: string | null;
  /**
   * The control API: its base URL (`http://127.0.0.1:7081/`) and the bearer
   * token its requests carry; `null` without `--control`.
   */
  readonly control: ControlEntry | null;
}

/** Where the control API is, in the ready record. */
export interface ControlEntry {
  /** Its base URL, with the real port. */
  readonly url: string;
  /** The bearer token. */
  readonly token: string;
}

/**
 * Builds the ready record of a running server.
 *
 * @param server The running server.
 * @param pid The process id to report.
 * @param dashboard The dashboard's URL, if one is served.
 * @param control The control API's URL and token, if it is served.
 * @returns The record.
 */
export function readyRecord(
  server: RunningServer,
  pid: number,
  dashboard: string | null = null,
  control: ControlEntry | null = null,
): ReadyRecord {
  return {
    ready: true,
    pid,
    sockets: server.sockets.map((s) => ({
      id: s.id,
      transport: s.transport,
      address: s.local.address,
      port: s.local.port,
      service: s.service,
      spec: s.spec,
      wildcard: s.wildcard,
      faults: s.faults,
    })),
    failed: server.failures.map((f) => ({ spec: f.listener.spec, reason: f.reason })),
    dashboard,
    control,
  };
}

/**
 * The socket table as text: a header that names muxd's process, one row per
 * bound socket with a netcat command to try it, then any listener that could
 * not be bound. When a socket has faults, a FAULTS column shows each one's
 * (with the seed muxd picked). The process id is the one `ss -tlnp` and
 * `muxd check` show as the sockets' holder: one process, many ports.
 *
 * @param server The running server.
 * @param pid The process id to report, such as `Deno.pid`.
 * @returns Lines of text, without a trailing newline; the first is
 *   `muxd (process 12345) is serving 12 sockets:`.
 */
export function socketTable(server: RunningServer, pid: number): string {
  const faulty = server.sockets.some((s) => s.faults !== null);
  const rows = server.sockets.map((s) => [
    s.transport,
    formatSocketName(s.local),
    s.service,
    ...(faulty ? [s.faults === null ? "-" : formatFaults(s.faults)] : []),
    netcatCommand(s.transport, s.local, s.service),
  ]);
  const header = [
    "TRANSPORT",
    "LOCAL SOCKET NAME",
    "SERVICE",
    ...(faulty ? ["FAULTS"] : []),
    "TRY IT",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    "  " + cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join("  ");
  const count = server.sockets.length;
  const muxd = `muxd (process ${pid})`;
  const out = count === 0
    // Started for the control API alone, which adds them.
    ? [`${muxd} is serving no sockets yet: add them through the control API (docs/control.md).`]
    : [
      `${muxd} is serving ${count} socket${count === 1 ? "" : "s"}:`,
      "",
      line(header),
      ...rows.map(line),
      ...wildcardLines(server.sockets),
    ];
  if (server.failures.length > 0) {
    out.push("", "Not bound:");
    // The ports of one spec that failed for one reason share a line.
    for (const group of groupBindFailures(server.failures)) {
      const what = group.length === 1 ? group[0].listener.spec : failedPortsText(group);
      out.push(`  ${what}: ${groupReason(group)}`);
    }
  }
  return out.join("\n");
}

/** Where a person finds the control API's token, for {@linkcode controlLine}. */
export interface TokenWhere {
  /** The `--control-token-file` the token came from, if given. */
  readonly tokenFile?: string;
  /** The `--ready-file`, if given. */
  readonly readyFile?: string;
  /** Whether standard output is a terminal, which gets no ready record. */
  readonly stdoutIsTerminal: boolean;
}

/**
 * The line under the socket table that names the control API and where its
 * token is. On a terminal, without `--ready-file`, the token is nowhere to
 * be read (the ready record is left out there), so the line says how to get
 * one.
 *
 * @param url The control API's base URL.
 * @param where Where the token can be read.
 * @returns One line of text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { controlLine } from "./report.ts";
 *
 * assert.equal(
 *   controlLine("http://127.0.0.1:7081/", { readyFile: "ready.json", stdoutIsTerminal: true }),
 *   "Control API: http://127.0.0.1:7081/ (token in the ready file ready.json; docs/control.md)",
 * );
 * ```
 */
export function controlLine(url: string, where: TokenWhere): string {
  const token = where.tokenFile !== undefined
    ? `token from ${where.tokenFile}`
    : where.readyFile !== undefined
    ? `token in the ready file ${where.readyFile}`
    : !where.stdoutIsTerminal
    ? "token in the ready record on standard output"
    : "its token is in the ready record, which a terminal does not get: " +
      "add --ready-file FILE, or give the token with --control-token-file FILE";
  return `Control API: ${url} (${token}; docs/control.md)`;
}
