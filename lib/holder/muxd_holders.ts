/**
 * muxd among the holders of a port: `ss` names a muxd run by Deno `deno`,
 * like every other Deno program, so its command line tells.
 *
 * @module
 */

import { isMuxdCommandLine, readCommandLine } from "./command_line.ts";
import type { HolderReport } from "./types.ts";

/**
 * Marks the holders whose process is muxd, reading the command line of
 * each `deno` process among them once.
 *
 * @param reports What the lookup found.
 * @param commandLine Reads a process's command line. @default readCommandLine
 * @returns The same reports, each `deno` process whose command line was read
 *   marked `muxd: true` or `false`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markMuxdHolders } from "./muxd_holders.ts";
 *
 * const holder = {
 *   transport: "tcp", local: { address: "127.0.0.1", port: 7007 }, remote: null,
 *   state: "LISTEN", kind: "listening", uid: 0, inode: 1, process: { pid: 42, name: "deno" },
 * } as const;
 * const [report] = await markMuxdHolders(
 *   [{ supported: true, holders: [holder] }],
 *   () => Promise.resolve("deno run --allow-net main.ts serve"),
 * );
 * assert.equal(report.holders[0].process?.muxd, true);
 * ```
 */
export async function markMuxdHolders(
  reports: readonly HolderReport[],
  commandLine: (pid: number) => Promise<string | null> = readCommandLine,
): Promise<HolderReport[]> {
  const pids = new Set<number>();
  for (const r of reports) {
    for (const h of r.holders) if (h.process?.name === "deno") pids.add(h.process.pid);
  }
  if (pids.size === 0) return [...reports];
  // Whether each is muxd, for those whose command line could be read.
  const muxd = new Map<number, boolean>();
  await Promise.all([...pids].map(async (pid) => {
    const line = await commandLine(pid);
    if (line !== null) muxd.set(pid, isMuxdCommandLine(line));
  }));
  return reports.map((r) => ({
    ...r,
    holders: r.holders.map((h) => {
      const is = h.process === null ? undefined : muxd.get(h.process.pid);
      return is === undefined ? h : { ...h, process: { ...h.process!, muxd: is } };
    }),
  }));
}
