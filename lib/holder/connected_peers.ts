/**
 * The clients of a UDP port, asked of `ss` (iproute2), which reads the
 * kernel's socket table: Deno lets a program read `/proc` only with every
 * permission. `muxd serve` gives this lookup to the running server, whose
 * UDP loop rule tells a client that repeats itself on loopback from a loop
 * by it (see `lib/guard/connected_peers.ts` for who is a client).
 *
 * @module
 */

import { type ConnectedPeers, peerKey, type PortClients } from "../guard/connected_peers.ts";
import { unmappedIPv4 } from "../spec/ip.ts";
import { parseSsOutput } from "./parse_ss_output.ts";
import { runSs as defaultRunSs } from "./run_ss.ts";
import type { RunSs } from "./types.ts";

/** The host's UDP sockets, as one run of `ss` lists them. */
interface SocketTable {
  /** The connected ones ({@linkcode peerKey}s), by the port they are connected to. */
  readonly connected: ReadonlyMap<number, ReadonlySet<string>>;
  /** The local address of every one, by its port (IPv4-mapped ones as IPv4). */
  readonly bound: ReadonlyMap<number, readonly string[]>;
}

/** How long one run of `ss` may take, in ms, before it is ended and answers nothing. */
export const SS_MAX_MS = 2000;

/**
 * The clients of a port, asked of `ss -H -n -u -a`: the host's UDP sockets,
 * the connected ones kept by the port they are connected to, and every one
 * by its own port, to tell one alone there. One run answers every port, so however
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
 *     stdout: "UNCONN 0 0 127.0.0.1:7007 0.0.0.0:*\n" +
 *       "ESTAB 0 0 127.0.0.1:39136 127.0.0.1:7007\n" + // connected: nc -u
 *       "UNCONN 0 0 0.0.0.0:41000 0.0.0.0:*\n" + // alone on its port: Python's sendto()
 *       "UNCONN 0 0 127.0.0.1:42000 0.0.0.0:*\n" + // two on one port: one may
 *       "UNCONN 0 0 127.0.0.1:42000 0.0.0.0:*\n", //   send in the other's name
 *     stderr: "",
 *   });
 * const clients = await connectedPeersBySs(ss, () => true)(7007, new AbortController().signal);
 * assert.equal(clients!.has("127.0.0.1 39136"), true);
 * assert.equal(clients!.has("127.0.0.1 41000"), true);
 * assert.equal(clients!.has("127.0.0.1 42000"), false);
 * ```
 */
export function connectedPeersBySs(
  runSs: RunSs = defaultRunSs,
  mayRun: () => boolean = () => runPermitted("ss"),
): ConnectedPeers {
  let permitted: boolean | null = null;
  let running: Promise<SocketTable | null> | null = null;
  let next: Promise<SocketTable | null> | null = null;
  const lookUp = (signal: AbortSignal): Promise<SocketTable | null> => {
    const run = socketTable(runSs, signal);
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
    let table: Promise<SocketTable | null>;
    if (running === null) {
      table = lookUp(signal);
    } else {
      const after = () => {
        next = null;
        return lookUp(signal);
      };
      table = next ??= running.then(after, after);
    }
    const sockets = await table;
    return sockets === null ? null : clientsOf(sockets, port);
  };
}

/** Whether Deno lets this process run `program` without asking. */
function runPermitted(program: string): boolean {
  return Deno.permissions.querySync({ name: "run", command: program }).state === "granted";
}

/** The clients of `port` in the table: connected to it, or alone on their own port. */
function clientsOf(sockets: SocketTable, port: number): PortClients {
  const connected = sockets.connected.get(port);
  return {
    has(key) {
      if (connected?.has(key)) return true;
      const space = key.lastIndexOf(" ");
      const address = key.slice(0, space);
      // The sockets that receive at the source's name: its address, or a wildcard.
      let receivers = 0;
      for (const bound of sockets.bound.get(Number(key.slice(space + 1))) ?? []) {
        if (bound === address || bound === "0.0.0.0" || bound === "::") receivers++;
      }
      return receivers === 1;
    },
  };
}

/**
 * One run of `ss`: the host's UDP sockets, or `null` when it failed, took
 * too long or was ended.
 */
async function socketTable(runSs: RunSs, signal: AbortSignal): Promise<SocketTable | null> {
  if (signal.aborted) return null;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), SS_MAX_MS);
  let out;
  try {
    out = await runSs(
      ["-H", "-n", "-u", "-a"],
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
    sockets = parseSsOutput(out.stdout);
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
  const connected = new Map<number, Set<string>>();
  const bound = new Map<number, string[]>();
  for (const s of sockets) {
    const here = bound.get(s.local.port);
    if (here === undefined) bound.set(s.local.port, [unmappedIPv4(s.local.address)]);
    else here.push(unmappedIPv4(s.local.address));
    if (s.remote === null) continue;
    let peers = connected.get(s.remote.port);
    if (peers === undefined) connected.set(s.remote.port, peers = new Set());
    peers.add(peerKey(s.local));
  }
  return { connected, bound };
}
