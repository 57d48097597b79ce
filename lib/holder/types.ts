/**
 * The question "who holds this port?" and its answer, as typed values.
 *
 * @module
 */

import type { SocketName, Transport } from "../spec/mod.ts";

/** The socket name a bind asked for: who holds it is the question. */
export interface HolderQuery {
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /**
   * The address the bind asked for, IPv4 or IPv6, without brackets. A host
   * name (not an IP literal) matches sockets on every address.
   */
  readonly address: string;
  /** The port, 1–65535. */
  readonly port: number;
}

/**
 * A socket's state as `ss` names it. TCP sockets take any of them; UDP
 * sockets are `UNCONN` (not connected) or `ESTAB` (connected). `UNCONN` is
 * also a TCP socket that is bound but neither listening nor connected
 * (Linux's `TCP_CLOSE`).
 */
export type SocketState =
  | "ESTAB"
  | "SYN-SENT"
  | "SYN-RECV"
  | "FIN-WAIT-1"
  | "FIN-WAIT-2"
  | "TIME-WAIT"
  | "UNCONN"
  | "CLOSE-WAIT"
  | "LAST-ACK"
  | "LISTEN"
  | "CLOSING"
  | "UNKNOWN";

/**
 * How a socket uses the port.
 *
 * - `listening`: a TCP socket in LISTEN.
 * - `bound`: an unconnected UDP socket, or a TCP socket bound but closed.
 * - `connection`: a TCP connection in any live state, or a connected UDP
 *   socket; a client often got the port as its ephemeral port.
 * - `time-wait`: a closed TCP connection the kernel keeps for about 60 s.
 *
 * Whether a non-listening socket really blocks a bind depends on
 * `SO_REUSEADDR` on both sockets, which `ss` does not show. Seen with Deno
 * 2.9 on Linux 6.18 (`Deno.listen` sets `SO_REUSEADDR`): a connection, open
 * or in TIME-WAIT, whose socket has it too (a server's accepted connection
 * inherits it from its listener) does not block `Deno.listen`; one without
 * it (a `Deno.connect` client, or the accepted connection of a listener that
 * never set it) does. So all of them are reported.
 */
export type HolderKind = "listening" | "bound" | "connection" | "time-wait";

/** The process that has a socket open, as `ss -p` names it. */
export interface HolderProcess {
  /** The process id. */
  readonly pid: number;
  /**
   * The short name the kernel keeps for it (`/proc/PID/comm`, at most 15
   * bytes), e.g. `python3`. `ss` cuts it at the first `)`.
   */
  readonly name: string;
  /**
   * Whether this `deno` process is muxd, by its command line; absent where
   * it was not read (another program, or `ps` could not tell).
   */
  readonly muxd?: boolean;
}

/** One socket that conflicts with the query, and its owner. */
export interface Holder {
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The socket's local name. IPv4-mapped addresses stay `::ffff:a.b.c.d`. */
  readonly local: SocketName;
  /**
   * The network interface the socket is bound to, when it is: by
   * `SO_BINDTODEVICE`, or by the scope of an IPv6 link-local address
   * (`ss` shows `127.0.0.1%lo:7007`, `[fe80::1]%eth0:7007`).
   */
  readonly interface?: string;
  /**
   * For an IPv6 socket, whether it takes IPv6 only (`IPV6_V6ONLY`); `false`
   * on a `::` socket means it is dual-stack and holds the port on every IPv4
   * address too. Absent for IPv4 sockets and where `ss` does not say
   * (TIME-WAIT).
   */
  readonly v6Only?: boolean;
  /** The peer of a connection, or `null` for a listening or unconnected socket. */
  readonly remote: SocketName | null;
  /** The state, as `ss` names it: `LISTEN`, `ESTAB`, `TIME-WAIT`, `UNCONN`, … */
  readonly state: SocketState;
  /** How the socket uses the port. */
  readonly kind: HolderKind;
  /** The owner's user id (0 for TIME-WAIT, which no one owns). */
  readonly uid: number;
  /** The socket's inode; 0 when no file descriptor refers to it (TIME-WAIT). */
  readonly inode: number;
  /** The process that has it open (the lowest pid when several share it), or `null`. */
  readonly process: HolderProcess | null;
  /** Other processes with the same socket open (forked workers), when there are any. */
  readonly otherPids?: readonly number[];
  /** Why `process` is `null`. */
  readonly processUnknownReason?: string;
}

/** What {@linkcode findHolders} found. */
export interface HolderReport {
  /** `false` when the lookup cannot work here (not Linux, or no usable `ss`). */
  readonly supported: boolean;
  /** Why the lookup is not supported, with a command to try instead. */
  readonly reason?: string;
  /** The conflicting sockets: listening first, then bound, connections, TIME-WAIT. */
  readonly holders: readonly Holder[];
}

/** What one run of `ss` gave, as `Deno.Command` reports it. */
export interface SsOutput {
  /** The exit code; 0 when it worked. */
  readonly code: number;
  /** Its standard output: one socket a line. */
  readonly stdout: string;
  /** Its error output, for the message when `code` is not 0. */
  readonly stderr: string;
}

/**
 * Runs `ss` with the given arguments and gives what it printed, or `null`
 * when `ss` cannot be started here: not installed, or not permitted (Deno's
 * `--allow-run=ss`). `signal`, when aborted, ends the run: `ss` gets SIGTERM, and
 * the output has a code that is not 0.
 */
export type RunSs = (args: readonly string[], signal?: AbortSignal) => Promise<SsOutput | null>;

/** How {@linkcode findHolders} looks: where `ss` comes from, and what it cannot see. */
export interface FindHoldersOptions {
  /**
   * Runs `ss` (tests pass captured output here).
   *
   * @default {`ss` from the PATH, through Deno.Command}
   */
  readonly run?: RunSs;
  /**
   * Reads a process's command line, to tell muxd among the `deno` processes
   * that hold a port (`ss` names them all `deno`).
   *
   * @default {readCommandLine: `ps -o args= -p PID`}
   */
  readonly commandLine?: (pid: number) => Promise<string | null>;
  /**
   * Whether a `::` bind takes IPv6 only: `net.ipv6.bindv6only` (Deno never
   * sets `IPV6_V6ONLY` itself). It decides whether a query for `::` conflicts
   * with IPv4 sockets; for the sockets found, `ss` shows each one's own flag.
   *
   * @default {false}
   */
  readonly bindV6Only?: boolean;
  /**
   * This process's user id, to tell why a socket shows no process: `ss` sees
   * other users' processes only as root. `null` when unknown.
   *
   * @default {Deno.uid(), or null without --allow-sys=uid}
   */
  readonly uid?: number | null;
  /**
   * The operating system; anything but `linux` gives an unsupported report.
   *
   * @default {Deno.build.os}
   */
  readonly os?: typeof Deno.build.os;
}
