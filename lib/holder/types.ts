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
 * How a socket uses the port.
 *
 * - `listening`: a TCP socket in LISTEN.
 * - `bound`: an unconnected UDP socket, or a TCP socket bound but closed.
 * - `connection`: a TCP connection in any live state, or a connected UDP
 *   socket; a client often got the port as its ephemeral port.
 * - `time-wait`: a closed TCP connection the kernel keeps for about 60 s.
 */
export type HolderKind = "listening" | "bound" | "connection" | "time-wait";

/** The process that has a socket open. */
export interface HolderProcess {
  /** The process id. */
  readonly pid: number;
  /** The short name from `/proc/PID/comm`, e.g. `python3`. */
  readonly name: string;
  /**
   * The command line from `/proc/PID/cmdline`, arguments joined by spaces and
   * cut to about 120 characters; `[name]` when it is empty (kernel threads).
   */
  readonly command: string;
}

/** One socket that conflicts with the query, and its owner. */
export interface Holder {
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The socket's local name, as `/proc/net` shows it. */
  readonly local: SocketName;
  /** The peer of a connection, or `null` for a listening or unconnected socket. */
  readonly remote: SocketName | null;
  /** The kernel state, e.g. `LISTEN`, `TIME_WAIT`, `UNCONNECTED` (see {@linkcode ProcSocket}). */
  readonly state: string;
  /** How the socket uses the port. */
  readonly kind: HolderKind;
  /** The owner's user id (0 for TIME_WAIT, which no one owns). */
  readonly uid: number;
  /** The socket's inode; 0 when no file descriptor refers to it. */
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
  /** `false` when this host has no readable `/proc/net` (not Linux, or not allowed). */
  readonly supported: boolean;
  /** Why the lookup is not supported, with a command to try instead. */
  readonly reason?: string;
  /** The conflicting sockets: listening first, then bound, connections, TIME_WAIT. */
  readonly holders: readonly Holder[];
}

/**
 * Where {@linkcode findHolders} reads `/proc` from. Every function gets an
 * absolute path and fails as Deno's own do (`Deno.errors.NotFound`,
 * `Deno.errors.PermissionDenied`, `Deno.errors.NotCapable`).
 */
export interface FindHoldersOptions {
  /**
   * Reads a whole text file.
   *
   * @default {Deno.readTextFile}
   */
  readonly readFile?: (path: string) => Promise<string>;
  /**
   * Lists the names in a directory.
   *
   * @default {the names from Deno.readDir}
   */
  readonly readDir?: (path: string) => Promise<string[]>;
  /**
   * Reads a symbolic link's target.
   *
   * @default {Deno.readLink}
   */
  readonly readLink?: (path: string) => Promise<string>;
  /**
   * The operating system; anything but `linux` gives an unsupported report.
   *
   * @default {Deno.build.os}
   */
  readonly os?: typeof Deno.build.os;
}
