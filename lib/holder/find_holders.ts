/**
 * Who holds a port: the sockets `ss` lists that conflict with a bind, and
 * the processes that have them open.
 *
 * @module
 */

import { addressesConflict } from "./conflicts.ts";
import { parseSsOutput, type SsSocket } from "./parse_ss_output.ts";
import { runSs } from "./run_ss.ts";
import type { FindHoldersOptions, Holder, HolderKind, HolderQuery, HolderReport } from "./types.ts";

/** The order holders are listed in: the likeliest culprit first. */
const KIND_ORDER = {
  listening: 0,
  bound: 1,
  connection: 2,
  "time-wait": 3,
} as const satisfies Record<HolderKind, number>;

/**
 * Finds the sockets on this host that keep `query` from being bound: every
 * socket of the same transport on the same port whose local address
 * conflicts by Linux's rules (the same address, a wildcard of the same
 * family, or a dual-stack `::`), listening or not, and the process that has
 * each open. It runs `ss -H -n -a -p -e -t 'sport = :PORT'` (`-u` for UDP)
 * once: Deno lets no program read `/proc` without `--allow-all`, but it may
 * run `ss` with `--allow-run=ss`.
 *
 * It never throws for what a host may lack: off Linux, without `ss`, or when
 * `ss` fails, the report says `supported: false` and why. A socket whose
 * process `ss` cannot see (another user's, when not root) or that no process
 * owns (TIME-WAIT) has `process: null` and a reason. The answer is a
 * snapshot: sockets come and go while `ss` looks.
 *
 * @param query The transport, address and port a bind asked for.
 * @param options How to run `ss` (for tests), and what `ss` cannot tell.
 * @returns The report: whether the lookup works here, and the holders found.
 *
 * @example Who holds the port of a listener we opened ourselves
 * ```ts
 * import { findHolders } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const report = await findHolders({ transport: "tcp", address: "127.0.0.1", port: listener.addr.port });
 * if (report.supported) {
 *   const [holder] = report.holders;
 *   assert.equal(holder.kind, "listening");
 *   assert.equal(holder.process?.pid, Deno.pid);
 * }
 * ```
 */
export async function findHolders(
  query: HolderQuery,
  options: FindHoldersOptions = {},
): Promise<HolderReport> {
  const os = options.os ?? Deno.build.os;
  if (os !== "linux") return unsupported(notLinux(os, query));
  const args = ["-H", "-n", "-a", "-p", "-e", `-${query.transport[0]}`, `sport = :${query.port}`];
  const output = await (options.run ?? runSs)(args);
  if (output === null) {
    return unsupported(
      "holder lookup needs the ss tool from iproute2 (apt-get install iproute2), " +
        "which Deno must be allowed to run (--allow-run=ss)",
    );
  }
  if (output.code !== 0) {
    const said = output.stderr.trim().replaceAll(/\s*\n\s*/g, "; ");
    return unsupported(
      `holder lookup failed: ss exited with code ${output.code}` +
        `${said === "" ? "" : ` (${said})`}; instead run: ${ssCommand(query)}`,
    );
  }
  let sockets: SsSocket[];
  try {
    sockets = parseSsOutput(output.stdout);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return unsupported(`holder lookup failed: ${error.message}; instead run: ${ssCommand(query)}`);
  }

  const wanted = { address: query.address, v6Only: options.bindV6Only ?? false };
  const conflicting = sockets.filter((socket) =>
    socket.local.port === query.port &&
    addressesConflict(wanted, { address: socket.local.address, v6Only: socket.v6Only ?? false })
  );
  const hidden = conflicting.some((socket) => socket.users.length === 0 && socket.inode !== 0);
  const ownUid = options.uid !== undefined ? options.uid : hidden ? currentUid() : null;
  const holders = conflicting.map((socket) => toHolder(socket, query, ownUid));
  holders.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return { supported: true, holders };
}

/** A report that the lookup cannot work here, and why. */
function unsupported(reason: string): HolderReport {
  return { supported: false, reason, holders: [] };
}

/** A socket as a holder: its kind, and its process or why there is none. */
function toHolder(socket: SsSocket, query: HolderQuery, ownUid: number | null): Holder {
  const base = {
    transport: query.transport,
    local: socket.local,
    ...(socket.interface === null ? {} : { interface: socket.interface }),
    ...(socket.v6Only === null ? {} : { v6Only: socket.v6Only }),
    remote: socket.remote,
    state: socket.state,
    kind: kindOf(query.transport, socket),
    uid: socket.uid,
    inode: socket.inode,
  };
  if (socket.users.length === 0) {
    return { ...base, process: null, processUnknownReason: whyUnknown(socket, query, ownUid) };
  }
  const [first, ...others] = [...socket.users].sort((a, b) => a.pid - b.pid);
  const otherPids = [...new Set(others.map((user) => user.pid))].filter((pid) => pid !== first.pid);
  return {
    ...base,
    process: { pid: first.pid, name: first.name },
    ...(otherPids.length > 0 ? { otherPids } : {}),
  };
}

/** How a socket uses its port, from its transport and state. */
function kindOf(transport: HolderQuery["transport"], socket: SsSocket): HolderKind {
  if (transport === "udp") return socket.state === "ESTAB" ? "connection" : "bound";
  switch (socket.state) {
    case "LISTEN":
      return "listening";
    case "TIME-WAIT":
      return "time-wait";
    case "UNCONN":
      return "bound";
    default:
      return "connection";
  }
}

/** Why `ss` named no process for a socket. */
function whyUnknown(socket: SsSocket, query: HolderQuery, ownUid: number | null): string {
  if (socket.inode === 0) {
    if (socket.state === "TIME-WAIT") {
      return "no process owns it; the kernel keeps it for about 60 s after close";
    }
    if (socket.state === "SYN-RECV") {
      return "no process owns it yet; the connection is still being set up and " +
        "belongs to its listening socket until it is accepted";
    }
    return "no process owns it; it was closed and the kernel is finishing the TCP shutdown";
  }
  if (ownUid === 0 || ownUid === socket.uid) {
    return "no process has it open any more (it may have closed since, or its process is " +
      "in another PID namespace)";
  }
  return `owner not visible: the socket belongs to uid ${socket.uid}; run as root to see ` +
    `other users' processes: sudo ${ssCommand(query)}`;
}

/** The `ss` command a person would type for the query. */
function ssCommand(query: HolderQuery): string {
  return `ss -${query.transport[0]}anp 'sport = :${query.port}'`;
}

/** This process's user id, or `null` without `--allow-sys=uid` (or off Unix). */
function currentUid(): number | null {
  try {
    return Deno.uid();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
    return null;
  }
}

/** The reason off Linux, with the command that answers the question there. */
function notLinux(os: string, query: HolderQuery): string {
  if (os === "windows") {
    return `holder lookup works on Linux only; on Windows run: netstat -ano | findstr :${query.port}`;
  }
  const where = os === "darwin" ? "macOS" : os;
  return `holder lookup works on Linux only; on ${where} run: ` +
    `lsof -nP -i${query.transport.toUpperCase()}:${query.port}`;
}
