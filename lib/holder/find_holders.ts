/**
 * Who holds a port: the sockets in `/proc/net` that conflict with a bind,
 * and the processes that have them open.
 *
 * @module
 */

import { addressesConflict } from "./conflicts.ts";
import { parseProcNet, type ProcSocket } from "./proc_net.ts";
import {
  isExpected,
  type OwnerScan,
  type ProcFs,
  readOrNull,
  readProcess,
  scanSocketOwners,
} from "./socket_owners.ts";
import type {
  FindHoldersOptions,
  Holder,
  HolderKind,
  HolderProcess,
  HolderQuery,
  HolderReport,
} from "./types.ts";

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
 * each open. It reads `/proc/net/{tcp,tcp6}` or `/proc/net/{udp,udp6}`,
 * `/proc/sys/net/ipv6/bindv6only`, and scans `/proc/PID/fd` once.
 *
 * It never throws for what a host may lack: off Linux, or without a readable
 * `/proc/net`, the report says `supported: false` and why; a process whose
 * descriptors may not be read leaves its sockets with `process: null` and a
 * reason. The answer is a snapshot: sockets come and go while it is read.
 *
 * @param query The transport, address and port a bind asked for.
 * @param options Where to read `/proc` from (for tests); the real `/proc` by default.
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
  if (os !== "linux") return { supported: false, reason: notLinux(os, query), holders: [] };
  const fs: ProcFs = {
    readFile: options.readFile ?? Deno.readTextFile,
    readDir: options.readDir ?? readDirNames,
    readLink: options.readLink ?? Deno.readLink,
  };

  let sockets: ProcSocket[];
  try {
    sockets = await readSockets(query, fs);
  } catch (error) {
    if (!(isExpected(error) || error instanceof SyntaxError)) throw error;
    return { supported: false, reason: unreadable(error, query), holders: [] };
  }
  const bindV6Only = (await readOrNull(fs, "/proc/sys/net/ipv6/bindv6only"))?.trim() === "1";
  const conflicting = sockets.filter((socket) =>
    socket.local.port === query.port &&
    addressesConflict(query.address, socket.local.address, bindV6Only)
  );

  const inodes = new Set(conflicting.map((s) => s.inode).filter((inode) => inode !== 0));
  const scan = await scanSocketOwners(inodes, fs);
  const firstPids = new Set([...scan.owners.values()].map((pids) => pids[0]));
  const processes = new Map<number, HolderProcess>();
  await Promise.all([...firstPids].map(async (pid) => {
    processes.set(pid, await readProcess(pid, fs));
  }));

  const holders = conflicting.map((socket): Holder => {
    const base = {
      transport: socket.transport,
      local: socket.local,
      remote: socket.remote,
      state: socket.state,
      kind: kindOf(socket),
      uid: socket.uid,
      inode: socket.inode,
    };
    const pids = scan.owners.get(socket.inode);
    if (pids === undefined) {
      return { ...base, process: null, processUnknownReason: whyUnknown(socket, scan, query) };
    }
    const others = pids.slice(1);
    return {
      ...base,
      process: processes.get(pids[0]) ?? null,
      ...(others.length > 0 ? { otherPids: others } : {}),
    };
  });
  holders.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return { supported: true, holders };
}

/** Reads and parses both families' tables of the query's transport. */
async function readSockets(query: HolderQuery, fs: ProcFs): Promise<ProcSocket[]> {
  const v4 = await fs.readFile(`/proc/net/${query.transport}`);
  // Without IPv6 in the kernel (ipv6.disable=1) the "6" table does not exist.
  const v6 = await readOrNull(fs, `/proc/net/${query.transport}6`);
  return [
    ...parseProcNet(v4, query.transport, 4),
    ...(v6 === null ? [] : parseProcNet(v6, query.transport, 6)),
  ];
}

/** How a socket uses its port, from its transport and state. */
function kindOf(socket: ProcSocket): HolderKind {
  if (socket.transport === "udp") return socket.state === "CONNECTED" ? "connection" : "bound";
  switch (socket.state) {
    case "LISTEN":
      return "listening";
    case "TIME_WAIT":
      return "time-wait";
    case "CLOSE":
      return "bound";
    default:
      return "connection";
  }
}

/** Why no process could be named for a socket. */
function whyUnknown(socket: ProcSocket, scan: OwnerScan, query: HolderQuery): string {
  if (socket.inode === 0) {
    if (socket.state === "TIME_WAIT") {
      return "no process owns it; the kernel keeps it for about 60 s after close";
    }
    if (socket.state === "SYN_RECV") {
      return "no process owns it yet; the connection is still being set up and " +
        "belongs to its listening socket until it is accepted";
    }
    return `no process owns it; it was closed and the kernel is finishing the TCP shutdown`;
  }
  if (scan.failure !== null) return scan.failure;
  const ss = `sudo ss -${query.transport[0]}anp 'sport = :${query.port}'`;
  if (scan.denied.length > 0) {
    return `owner not visible: the socket belongs to uid ${socket.uid}, and this user may not ` +
      `inspect ${scan.denied.length} processes; try: ${ss}`;
  }
  return "no process has it open any more (it may have closed since, or its process is " +
    "in another PID namespace)";
}

/** The reason off Linux, with the command that answers the question there. */
function notLinux(os: string, query: HolderQuery): string {
  if (os === "windows") {
    return `holder lookup needs Linux's /proc; on Windows run: netstat -ano | findstr :${query.port}`;
  }
  const where = os === "darwin" ? "macOS" : os;
  return `holder lookup needs Linux's /proc; on ${where} run: ` +
    `lsof -nP -i${query.transport.toUpperCase()}:${query.port}`;
}

/** The reason when `/proc/net` could not be read or parsed. */
function unreadable(error: Error, query: HolderQuery): string {
  const ss = `ss -${query.transport[0]}anp 'sport = :${query.port}'`;
  if (error instanceof Deno.errors.NotCapable) {
    // Deno (since 1.43) guards all of /proc behind --allow-all, whatever --allow-read says.
    return `holder lookup needs Deno's --allow-all (-A): Deno lets no program read /proc ` +
      `without it, even with --allow-read; instead run: ${ss}`;
  }
  return `holder lookup needs a readable /proc/net/${query.transport} (${error.message}); ` +
    `instead run: ${ss}`;
}

/** The names in a directory, from `Deno.readDir`. */
async function readDirNames(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(path)) names.push(entry.name);
  return names;
}
