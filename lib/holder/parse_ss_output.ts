/**
 * The socket list `ss -H -n -a -p -e -t` (or `-u`) prints, parsed into typed
 * rows.
 *
 * A line has five columns, then details (as iproute2 6.1 prints them):
 *
 * ```text
 * State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process and details
 * LISTEN 0      511        127.0.0.1:7007      0.0.0.0:*    users:(("deno",pid=6295,fd=21)) ino:91024 sk:5 cgroup:/ <->
 * ```
 *
 * The local and peer names take these forms: `127.0.0.1:7007`,
 * `0.0.0.0:7007`, `[::1]:7007`, `[::ffff:127.0.0.1]:7007`; `*:7007` for a
 * dual-stack `::` and `[::]:7007` for an IPv6-only one; with the interface a
 * socket is bound to, `127.0.0.1%lo:7007` and `[fe80::1]%eth0:7007`. An
 * unconnected peer's port is `*` (`0.0.0.0:*`, `[::]:*`, `*:*`).
 *
 * @module
 */

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../spec/mod.ts";
import type { SocketName } from "../spec/mod.ts";
import type { SocketState } from "./types.ts";

/** One process that has a socket open, from `users:((…))`. */
export interface SsUser {
  /** The process's short name (`comm`), cut by `ss` at the first `)`. */
  readonly name: string;
  /** The process id. */
  readonly pid: number;
  /** The file descriptor the socket has in that process. */
  readonly fd: number;
}

/** One line of `ss` output. */
export interface SsSocket {
  /** The state, e.g. `LISTEN`, `ESTAB`, `TIME-WAIT`, `UNCONN`. */
  readonly state: SocketState;
  /** The local name; `*` becomes `::`. */
  readonly local: SocketName;
  /** The interface after `%`, or `null` when the socket is not bound to one. */
  readonly interface: string | null;
  /**
   * `IPV6_V6ONLY` of an IPv6 socket: from `v6only:` (with `-e`), else from
   * the address form (`*` is dual-stack, `[::]` IPv6-only); `null` for IPv4
   * and where `ss` does not say.
   */
  readonly v6Only: boolean | null;
  /** The peer, or `null` when its port is `*` (not connected). */
  readonly remote: SocketName | null;
  /** The owner's uid from `uid:` (`ss -e` prints it only when not 0), else 0. */
  readonly uid: number;
  /** The socket's inode from `ino:` (`ss -e`); 0 when absent or when no file refers to it. */
  readonly inode: number;
  /** The processes that have it open, as listed; empty when `ss` may not see them. */
  readonly users: readonly SsUser[];
}

/** How {@linkcode parseSsOutput} reads `ss` output. */
export interface SsOutputOptions {
  /**
   * The state of every line, for output without a state column: `ss` leaves
   * it out when asked for one state (`state established`).
   */
  readonly state?: SocketState;
}

/** Every state name `ss` prints (iproute2's `sstate_name`). */
const STATES: ReadonlySet<SocketState> = new Set<SocketState>([
  "ESTAB",
  "SYN-SENT",
  "SYN-RECV",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "TIME-WAIT",
  "UNCONN",
  "CLOSE-WAIT",
  "LAST-ACK",
  "LISTEN",
  "CLOSING",
  "UNKNOWN",
]);

/**
 * State, Recv-Q, Send-Q, local, peer, then the rest, any character included:
 * a process name may hold spaces, carriage returns and line breaks, which
 * `ss` prints as they are.
 */
const LINE = /^(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/s;

/** `address%interface:port`, the address bracketed when IPv6, or `*` for a dual-stack `::`. */
const NAME = /^(\*|\[[^\]]*\]|[^%\[\]]+?)(?:%(\S+))?:(\d+|\*)$/;

/** One `("name",pid=N,fd=N)`: `ss` cuts a name at `)`, so a name has none. */
const USER = /\("([^)]*)",pid=(\d+),fd=(\d+)\)/g;

/** The whole `users:(…)` list. */
const USERS = /(?:^|\s)users:\(((?:\("[^)]*",pid=\d+,fd=\d+\),?)*)\)(?=\s|$)/;

/**
 * Parses the output of `ss -H -n -a -p -e` for TCP or UDP sockets (with
 * `-t` or `-u`, never both: then `ss` adds a first column). Blank lines are
 * skipped; every other line must be a socket. Without `-e`, `uid` and
 * `inode` are 0; without `-p`, `users` is empty.
 *
 * @param text The whole output.
 * @param options The state of every line, where `ss` printed none.
 * @returns One entry per line, in output order.
 * @throws {SyntaxError} When a line does not have the expected columns.
 *
 * @example A listening socket and a connection in TIME-WAIT
 * ```ts
 * import { parseSsOutput } from "./parse_ss_output.ts";
 * import assert from "node:assert/strict";
 *
 * const [listener, closed] = parseSsOutput(
 *   'LISTEN    0 511 0.0.0.0:7007       0.0.0.0:*   users:(("deno",pid=6295,fd=22)) ino:91025 sk:8 cgroup:/ <->\n' +
 *     "TIME-WAIT 0 0   127.0.0.1:7007 127.0.0.1:53334 timer:(timewait,58sec,0) ino:0 sk:14\n",
 * );
 * assert.deepEqual(listener.local, { address: "0.0.0.0", port: 7007 });
 * assert.deepEqual(listener.users, [{ name: "deno", pid: 6295, fd: 22 }]);
 * assert.equal(listener.inode, 91025);
 * assert.equal(closed.state, "TIME-WAIT");
 * assert.deepEqual(closed.remote, { address: "127.0.0.1", port: 53334 });
 * assert.deepEqual(closed.users, []);
 * ```
 */
export function parseSsOutput(text: string, options: SsOutputOptions = {}): SsSocket[] {
  const sockets: SsSocket[] = [];
  // Without a state column, every line starts with its state as ss would
  // print it, before lines are told apart by that state (a process name
  // may hold a line break). Asked for one state, ss prints no process names.
  const { state } = options;
  const full = state === undefined
    ? text
    : text.split("\n").map((l) => l.trim() === "" ? l : `${state} ${l.trim()}`).join("\n");
  for (const { number, text: raw } of socketLines(full)) {
    const line = raw.trim();
    if (line === "") continue;
    const fail = (what: string) =>
      new SyntaxError(`Cannot parse ss output line ${number}: ${what}: ${line}`);
    const columns = LINE.exec(line);
    if (columns === null) throw fail("expected state, Recv-Q, Send-Q, local and peer columns");
    const [, state, , , localText, remoteText, rest = ""] = columns;
    if (!isState(state)) throw fail(`unknown state "${state}"`);
    const local = parseName(localText);
    if (local === null || local.port === null) throw fail(`bad local address "${localText}"`);
    const remote = parseName(remoteText);
    if (remote === null) throw fail(`bad peer address "${remoteText}"`);
    const users = USERS.exec(rest);
    const details = users === null ? rest : rest.replace(users[0], " ");
    const v6OnlyText = /(?:^|\s)v6only:([01])(?=\s|$)/.exec(details)?.[1];
    sockets.push({
      state,
      local: { address: local.address, port: local.port },
      interface: local.interface,
      v6Only: v6OnlyText === undefined ? local.v6Only : v6OnlyText === "1",
      remote: remote.port === null ? null : { address: remote.address, port: remote.port },
      uid: detail(details, "uid"),
      inode: detail(details, "ino"),
      users: users === null ? [] : [...users[1].matchAll(USER)].map(([, name, pid, fd]) => ({
        name,
        pid: Number(pid),
        fd: Number(fd),
      })),
    });
  }
  return sockets;
}

/**
 * Splits `ss` output into one text per socket, with the number of the line
 * it starts on. A line that does not start as a socket's does (a state, two
 * numbers, a local and a peer socket name) goes on the one before: a
 * process may name itself with a line break in it (`comm` is any 15 bytes),
 * and `ss` prints it as it is, so one local program could otherwise make
 * every lookup fail. The shortest start of a socket's line (`ESTAB 0 0 *:1
 * *:*`) is longer than what such a name holds after its line break.
 */
function socketLines(text: string): { number: number; text: string }[] {
  const sockets: { number: number; text: string }[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    const last = sockets.at(-1);
    if (last !== undefined && !startsSocket(line)) {
      last.text += `\n${line}`;
    } else {
      sockets.push({ number: index + 1, text: line });
    }
  }
  return sockets;
}

/** Whether a line starts as a socket's does: a state, Recv-Q, Send-Q, a local and a peer name. */
function startsSocket(line: string): boolean {
  const columns = LINE.exec(line.trim());
  return columns !== null && isState(columns[1]) && parseName(columns[4]) !== null &&
    parseName(columns[5]) !== null;
}

/** Tells whether `text` is a state name `ss` prints. */
function isState(text: string): text is SocketState {
  return (STATES as ReadonlySet<string>).has(text);
}

/** A socket name as `ss` prints it, with what its form tells. */
interface PrintedName {
  readonly address: string;
  /** `null` for `*`. */
  readonly port: number | null;
  readonly interface: string | null;
  /** `false` for `*`, `true` for `[::]`, else `null`. */
  readonly v6Only: boolean | null;
}

/** Parses `127.0.0.1:7007`, `[::1]:7007`, `*:7007`, `127.0.0.1%lo:7007`, `0.0.0.0:*`, … */
function parseName(text: string): PrintedName | null {
  const match = NAME.exec(text);
  if (match === null) return null;
  const [, host, iface, portText] = match;
  const port = portText === "*" ? null : Number(portText);
  if (port !== null && port > 65535) return null;
  const common = { port, interface: iface ?? null };
  if (host === "*") return { ...common, address: "::", v6Only: false };
  if (host.startsWith("[")) {
    const bytes = parseIPv6(host.slice(1, -1));
    if (bytes === null) return null;
    const address = formatIPv6(bytes);
    return { ...common, address, v6Only: address === "::" ? true : null };
  }
  const bytes = parseIPv4(host);
  return bytes === null ? null : { ...common, address: formatIPv4(bytes), v6Only: null };
}

/** A `name:NUMBER` detail such as `ino:91024`, or 0 when absent. */
function detail(details: string, name: string): number {
  const match = new RegExp(`(?:^|\\s)${name}:(\\d+)(?=\\s|$)`).exec(details);
  return match === null ? 0 : Number(match[1]);
}
