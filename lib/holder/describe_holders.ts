/**
 * A holder report in plain words, for the message after "address already in
 * use".
 *
 * @module
 */

import { formatSocketName } from "../spec/mod.ts";
import type { Holder, HolderProcess, HolderQuery, HolderReport } from "./types.ts";

/** How many holders are described before "and N more". */
const SHOWN = 3;

/**
 * Describes who holds a port in one line of plain words: up to three holders,
 * each with its socket names and its process, then "and N more".
 *
 * @param report What {@linkcode findHolders} found.
 * @param query The query it answered (for the port when nothing was found).
 * @returns A phrase that completes "Cannot bind tcp 127.0.0.1:7007: address
 *   already in use; …", e.g. `held by a listening socket tcp 0.0.0.0:7007 of
 *   process 1234 (python3)`; the report's reason when the lookup is not
 *   supported here.
 *
 * @example A listening socket
 * ```ts
 * import { describeHolders } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const text = describeHolders({
 *   supported: true,
 *   holders: [{
 *     transport: "tcp",
 *     local: { address: "0.0.0.0", port: 7007 },
 *     remote: null,
 *     state: "LISTEN",
 *     kind: "listening",
 *     uid: 1000,
 *     inode: 52133,
 *     process: { pid: 1234, name: "python3" },
 *   }],
 * }, { transport: "tcp", address: "127.0.0.1", port: 7007 });
 * assert.equal(text, "held by a listening socket tcp 0.0.0.0:7007 of process 1234 (python3)");
 * ```
 */
export function describeHolders(report: HolderReport, query: HolderQuery): string {
  if (!report.supported) return report.reason ?? "holder lookup is not supported here";
  const { holders } = report;
  if (holders.length === 0) {
    return `no ${query.transport} socket on port ${query.port} was found by ss: it may have ` +
      `closed since, or be a socket bound without listening (a program that called bind() ` +
      `and not yet listen() or connect()), which ss does not list`;
  }
  const parts = holders.slice(0, SHOWN).map(describeHolder);
  if (holders.length > SHOWN) parts.push(`and ${holders.length - SHOWN} more`);
  return `held by ${parts.join("; ")}`;
}

/**
 * What to do about the holders of a port, for the "Fix:" of a bind failure:
 * wait out connections that only the kernel holds (TIME-WAIT), else stop
 * the program that holds the port; either way, or choose another port.
 * Closed connections on a port in the ephemeral range are a client's, which
 * a port below that range never meets; on any other port they are a
 * server's, which every server port can have.
 *
 * @param report What {@linkcode findHolders} found.
 * @param ephemeralPorts The host's ephemeral port range, where it is known.
 * @returns The fix, one sentence.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { holdersFix } from "./describe_holders.ts";
 *
 * assert.equal(holdersFix({ supported: true, holders: [] }), "stop the program that holds it, or choose another port.");
 * ```
 */
export function holdersFix(
  report: HolderReport,
  ephemeralPorts?: { readonly first: number; readonly last: number },
): string {
  const { holders } = report;
  const kernelOnly = report.supported && holders.length > 0 &&
    holders.every((h) => h.process === null && h.inode === 0);
  if (!kernelOnly) return "stop the program that holds it, or choose another port.";
  const wait = "wait about 60 s, until the kernel forgets the closed connections, or choose " +
    "another port";
  const clients = ephemeralPorts !== undefined &&
    holders.every((h) =>
      h.local.port >= ephemeralPorts.first && h.local.port <= ephemeralPorts.last
    );
  return clients
    ? `${wait}: one below ${ephemeralPorts.first}, outside the range the OS gives clients, ` +
      `meets none.`
    : `${wait}.`;
}

/** One holder: what kind of socket, its names, and who owns it. */
function describeHolder(holder: Holder): string {
  const local = `${holder.transport} ${formatLocal(holder)}`;
  const names = holder.remote === null ? local : `${local} -> ${formatSocketName(holder.remote)}`;
  const socket = {
    listening: `a listening socket ${names}`,
    bound: `a bound socket ${names}`,
    connection: holder.transport === "tcp"
      ? `a connection ${names} in ${holder.state}`
      : `a connected socket ${names}`,
    "time-wait": `a connection ${names} in ${holder.state}`,
  }[holder.kind];
  return `${socket} ${describeOwner(holder)}`;
}

/**
 * The local name as `ss` shows it, with the interface it is bound to
 * (`127.0.0.1%lo:7007`), and a dual-stack `::` marked as such.
 */
function formatLocal(holder: Holder): string {
  const text = formatSocketName(holder.local);
  const colon = text.lastIndexOf(":");
  const name = holder.interface === undefined
    ? text
    : `${text.slice(0, colon)}%${holder.interface}${text.slice(colon)}`;
  return holder.local.address === "::" && holder.v6Only === false ? `${name} (dual-stack)` : name;
}

/** `of process 1234 (name)`, or why the owner is unknown. */
function describeOwner(holder: Holder): string {
  if (holder.process === null) {
    return `(${holder.processUnknownReason ?? "no process found"})`;
  }
  const others = holder.otherPids?.length ?? 0;
  const shared = others === 0 ? "" : ` and ${others} other process${others === 1 ? "" : "es"}`;
  return `of ${describeProcess(holder.process)}${shared}`;
}

/**
 * A process that holds a socket, as every explanation names it: its pid and
 * its name, and a `deno` that runs muxd as muxd.
 *
 * @param process The process, as {@linkcode findHolders} found it.
 * @returns `process 1234 (python3)`, or `process 1234 (muxd, run by deno)`.
 *
 * @example
 * ```ts
 * import { describeProcess } from "./describe_holders.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describeProcess({ pid: 1234, name: "deno", muxd: true }), "process 1234 (muxd, run by deno)");
 * assert.equal(describeProcess({ pid: 99, name: "nc" }), "process 99 (nc)");
 * ```
 */
export function describeProcess(process: HolderProcess): string {
  const { pid, name, muxd } = process;
  return `process ${pid} (${muxd && name !== "muxd" ? `muxd, run by ${name}` : name})`;
}
