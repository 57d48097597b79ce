/**
 * From socket inodes to the processes that have them open: one pass over
 * every `/proc/PID/fd/N`, where each open socket is a link to `socket:[INODE]`.
 *
 * @module
 */

import type { FindHoldersOptions, HolderProcess } from "./types.ts";

/** The three readers, all present. */
export type ProcFs = Required<Pick<FindHoldersOptions, "readFile" | "readDir" | "readLink">>;

/** What one pass over `/proc` found. */
export interface OwnerScan {
  /** Inode → the pids that have it open, ascending. Only the inodes asked for. */
  readonly owners: ReadonlyMap<number, readonly number[]>;
  /** Processes whose descriptors could not be read (another user's, without root). */
  readonly denied: readonly number[];
  /** Why `/proc` itself could not be listed, or `null`. */
  readonly failure: string | null;
}

/** The longest command line shown, in characters. */
const COMMAND_LIMIT = 120;

/**
 * Finds which processes have the given socket inodes open. Processes that
 * exit during the pass are skipped; processes whose descriptors may not be
 * read are counted in `denied`; neither throws.
 *
 * @param inodes The socket inodes to look for (0 is never found).
 * @param fs How to read `/proc`.
 * @returns The owners found, and what could not be looked at.
 */
export async function scanSocketOwners(
  inodes: ReadonlySet<number>,
  fs: ProcFs,
): Promise<OwnerScan> {
  const owners = new Map<number, number[]>();
  const denied: number[] = [];
  if (inodes.size === 0) return { owners, denied, failure: null };
  let entries: string[];
  try {
    entries = await fs.readDir("/proc");
  } catch (error) {
    if (!isExpected(error)) throw error;
    return { owners, denied, failure: `cannot list /proc: ${error.message}` };
  }
  const pids = entries.filter((name) => /^[0-9]+$/.test(name)).map(Number);
  await Promise.all(pids.map(async (pid) => {
    let fds: string[];
    try {
      fds = await fs.readDir(`/proc/${pid}/fd`);
    } catch (error) {
      if (!isExpected(error)) throw error;
      if (!(error instanceof Deno.errors.NotFound)) denied.push(pid);
      return;
    }
    await Promise.all(fds.map(async (fd) => {
      let target: string;
      try {
        target = await fs.readLink(`/proc/${pid}/fd/${fd}`);
      } catch (error) {
        if (!isExpected(error)) throw error;
        return; // the descriptor closed, or the process exited, since the listing
      }
      const match = /^socket:\[([0-9]+)\]$/.exec(target);
      if (match === null) return;
      const inode = Number(match[1]);
      if (!inodes.has(inode)) return;
      const pidsOfInode = owners.get(inode) ?? [];
      if (!pidsOfInode.includes(pid)) pidsOfInode.push(pid);
      owners.set(inode, pidsOfInode);
    }));
  }));
  for (const list of owners.values()) list.sort((a, b) => a - b);
  denied.sort((a, b) => a - b);
  return { owners, denied, failure: null };
}

/**
 * Reads a process's short name and command line. A process that exited
 * meanwhile gets `?` for what could not be read.
 *
 * @param pid The process id.
 * @param fs How to read `/proc`.
 * @returns Its pid, name and command line (cut to about 120 characters).
 */
export async function readProcess(pid: number, fs: ProcFs): Promise<HolderProcess> {
  const [comm, cmdline] = await Promise.all([
    readOrNull(fs, `/proc/${pid}/comm`),
    readOrNull(fs, `/proc/${pid}/cmdline`),
  ]);
  const name = comm?.trimEnd() || "?";
  const args = (cmdline ?? "").split("\0").filter((arg) => arg !== "");
  const command = args.length === 0 ? `[${name}]` : args.join(" ");
  return {
    pid,
    name,
    command: command.length > COMMAND_LIMIT ? `${command.slice(0, COMMAND_LIMIT - 1)}…` : command,
  };
}

/** Reads a file, or gives `null` when it is gone or may not be read. */
export async function readOrNull(fs: ProcFs, path: string): Promise<string | null> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    if (!isExpected(error)) throw error;
    return null;
  }
}

/** The errors reading `/proc` is expected to give: gone, denied, not allowed by Deno. */
export function isExpected(error: unknown): error is Error {
  return error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable;
}
