/**
 * The connected peers of a UDP port, asked of `ss` (iproute2), which reads
 * the kernel's socket table: Deno lets a program read `/proc` only with
 * every permission. `muxd serve` gives this lookup to the running server,
 * whose UDP loop rule tells a client that repeats itself on loopback from a
 * loop by it.
 *
 * @module
 */

import { type ConnectedPeers, peerKey } from "../guard/connected_peers.ts";
import { parseSsOutput } from "./parse_ss_output.ts";
import { runSs as defaultRunSs } from "./run_ss.ts";
import type { RunSs } from "./types.ts";

/** The connected UDP sockets of the host, by the port they are connected to. */
type ConnectedTable = ReadonlyMap<number, ReadonlySet<string>>;

/**
 * The connected peers of a port, asked of `ss -H -n -u -a`: every UDP socket
 * of the host, those connected (ESTAB) kept by the port they are connected
 * to. One run answers every port, so however many listeners ask at once
 * (a flood across a port range trips them all), at most one `ss` runs and
 * one waits: an ask made while one runs waits for the next, which every
 * such ask shares, since the running one may have read the socket table
 * before the asker's client had its socket.
 *
 * @param runSs How `ss` runs. @default runSs
 * @returns The lookup.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectedPeersBySs } from "./connected_peers.ts";
 *
 * const ss = () =>
 *   Promise.resolve({
 *     code: 0,
 *     stdout: "ESTAB 0 0 127.0.0.1:39136 127.0.0.1:7007\n" +
 *       "UNCONN 0 0 127.0.0.1:7007 0.0.0.0:*\n" +
 *       "ESTAB 0 0 [::1]:49018 [::1]:7007\n" +
 *       "ESTAB 0 0 127.0.0.1:39137 127.0.0.1:7008\n",
 *     stderr: "",
 *   });
 * const peers = await connectedPeersBySs(ss)(7007);
 * assert.deepEqual([...peers!], ["127.0.0.1 39136", "::1 49018"]);
 * ```
 */
export function connectedPeersBySs(runSs: RunSs = defaultRunSs): ConnectedPeers {
  let running: Promise<ConnectedTable | null> | null = null;
  let next: Promise<ConnectedTable | null> | null = null;
  const lookUp = (): Promise<ConnectedTable | null> => {
    const run = connectedTable(runSs);
    running = run;
    const done = () => {
      if (running === run) running = null;
    };
    run.then(done, done);
    return run;
  };
  return async (port) => {
    let table: Promise<ConnectedTable | null>;
    if (running === null) {
      table = lookUp();
    } else {
      const after = () => {
        next = null;
        return lookUp();
      };
      table = next ??= running.then(after, after);
    }
    const peers = await table;
    return peers === null ? null : peers.get(port) ?? new Set();
  };
}

/** One run of `ss`: the host's connected UDP sockets by the port they are connected to. */
async function connectedTable(runSs: RunSs): Promise<ConnectedTable | null> {
  const out = await runSs(["-H", "-n", "-u", "-a"]);
  if (out === null || out.code !== 0) return null;
  let sockets;
  try {
    sockets = parseSsOutput(out.stdout);
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
  const table = new Map<number, Set<string>>();
  for (const s of sockets) {
    if (s.state !== "ESTAB" || s.remote === null) continue;
    let peers = table.get(s.remote.port);
    if (peers === undefined) table.set(s.remote.port, peers = new Set());
    peers.add(peerKey(s.local));
  }
  return table;
}
