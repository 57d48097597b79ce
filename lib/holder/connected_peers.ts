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

/** How long one run of `ss` may take, in ms, before it is ended and answers nothing. */
export const SS_MAX_MS = 2000;

/**
 * The connected peers of a port, asked of `ss -H -n -u state established`:
 * the host's connected UDP sockets (the kernel leaves the others out), kept
 * by the port they are connected to. One run answers every port, so however
 * many listeners ask at once (a flood across a port range trips them all),
 * at most one `ss` runs and one waits: an ask made while one runs waits for
 * the next, which every such ask shares, since the running one may have
 * read the socket table before the asker's client had its socket. A run
 * ends after {@linkcode SS_MAX_MS}, or when the asker's signal is aborted,
 * answering nothing; without the right to run `ss` nothing is run (Deno
 * would stop everything to prompt on a terminal). Make one per server: a
 * run started for one server's ask ends when that server closes.
 *
 * @param runSs How `ss` runs. @default runSs
 * @param mayRun Whether `ss` may run. @default the `--allow-run` permission for `ss`
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
 *     stdout: "0 0 127.0.0.1:39136 127.0.0.1:7007\n" +
 *       "0 0 [::1]:49018 [::1]:7007\n" +
 *       "0 0 127.0.0.1:39137 127.0.0.1:7008\n",
 *     stderr: "",
 *   });
 * const peers = await connectedPeersBySs(ss, () => true)(7007, new AbortController().signal);
 * assert.deepEqual([...peers!], ["127.0.0.1 39136", "::1 49018"]);
 * ```
 */
export function connectedPeersBySs(
  runSs: RunSs = defaultRunSs,
  mayRun: () => boolean = () => runPermitted("ss"),
): ConnectedPeers {
  let permitted: boolean | null = null;
  let running: Promise<ConnectedTable | null> | null = null;
  let next: Promise<ConnectedTable | null> | null = null;
  const lookUp = (signal: AbortSignal): Promise<ConnectedTable | null> => {
    const run = connectedTable(runSs, signal);
    running = run;
    const done = () => {
      if (running === run) running = null;
    };
    run.then(done, done);
    return run;
  };
  return async (port, signal) => {
    permitted ??= mayRun();
    if (!permitted) return null;
    let table: Promise<ConnectedTable | null>;
    if (running === null) {
      table = lookUp(signal);
    } else {
      const after = () => {
        next = null;
        return lookUp(signal);
      };
      table = next ??= running.then(after, after);
    }
    const peers = await table;
    return peers === null ? null : peers.get(port) ?? new Set();
  };
}

/** Whether Deno lets this process run `program` without asking. */
function runPermitted(program: string): boolean {
  return Deno.permissions.querySync({ name: "run", command: program }).state === "granted";
}

/**
 * One run of `ss`: the host's connected UDP sockets by the port they are
 * connected to, or `null` when it failed, took too long or was ended.
 */
async function connectedTable(runSs: RunSs, signal: AbortSignal): Promise<ConnectedTable | null> {
  if (signal.aborted) return null;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), SS_MAX_MS);
  let out;
  try {
    out = await runSs(
      ["-H", "-n", "-u", "state", "established"],
      AbortSignal.any([signal, timeout.signal]),
    );
  } catch (error) {
    // It could not start (out of files, say: runSs answers null for the
    // rest): whatever the cause, there is no answer.
    if (error instanceof Error) return null;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (out === null || out.code !== 0) return null;
  let sockets;
  try {
    sockets = parseSsOutput(out.stdout, { state: "ESTAB" });
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
  const table = new Map<number, Set<string>>();
  for (const s of sockets) {
    if (s.remote === null) continue;
    let peers = table.get(s.remote.port);
    if (peers === undefined) table.set(s.remote.port, peers = new Set());
    peers.add(peerKey(s.local));
  }
  return table;
}
