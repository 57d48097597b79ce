/**
 * From the sockets `ss` listed to the holders of one socket name: those on
 * its port whose address conflicts with it, each with its kind and owner.
 *
 * @module
 */

import { addressesConflict } from "./conflicts.ts";
import { ssCommand } from "./look_up_sockets.ts";
import type { SsSocket } from "./parse_ss_output.ts";
import type { FindHoldersOptions, Holder, HolderKind, HolderQuery } from "./types.ts";
import { visible } from "../spec/visible.ts";

/** The order holders are listed in: the likeliest culprit first. */
const KIND_ORDER = {
  listening: 0,
  bound: 1,
  connection: 2,
  "time-wait": 3,
} as const satisfies Record<HolderKind, number>;

/**
 * Picks the sockets that keep `query` from being bound: same port, and a
 * local address that conflicts by Linux's rules (the same address, a
 * wildcard of the same family, or a dual-stack `::`). Listening sockets come
 * first, then bound ones, connections, and TIME-WAIT.
 *
 * @param sockets What `ss` listed for the query's transport.
 * @param query The transport, address and port a bind asks for.
 * @param options `bindV6Only` and `uid`, as for {@linkcode findHolders}.
 * @returns The holders, possibly none.
 */
export function holdersAt(
  sockets: readonly SsSocket[],
  query: HolderQuery,
  options: FindHoldersOptions = {},
): Holder[] {
  const wanted = { address: query.address, v6Only: options.bindV6Only ?? false };
  const conflicting = sockets.filter((socket) =>
    socket.local.port === query.port &&
    addressesConflict(wanted, { address: socket.local.address, v6Only: socket.v6Only ?? false })
  );
  const hidden = conflicting.some((socket) => socket.users.length === 0 && socket.inode !== 0);
  const ownUid = options.uid !== undefined ? options.uid : hidden ? currentUid() : null;
  const holders = conflicting.map((socket) => toHolder(socket, query, ownUid));
  holders.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return holders;
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
    // Any local program names itself: shown as it is, a name could clear
    // the terminal or write over the line that shows it.
    process: { pid: first.pid, name: visible(first.name) },
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
    `other users' processes: sudo ${ssCommand(query.transport, `sport = :${query.port}`)}`;
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
