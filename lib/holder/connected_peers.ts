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
import type { SocketName } from "../spec/types.ts";
import { parseSsOutput } from "./parse_ss_output.ts";
import { runSs as defaultRunSs } from "./run_ss.ts";
import type { RunSs } from "./types.ts";

/** The host's UDP sockets, as one run of `ss` lists them. */
interface SocketTable {
  /** The connected ones ({@linkcode peerKey}s), by the port they are connected to. */
  readonly connected: ReadonlyMap<number, ReadonlySet<string>>;
  /** The local name of every one, by its port. */
  readonly bound: ReadonlyMap<number, readonly BoundAddress[]>;
}

/** Where one socket of the table receives. */
interface BoundAddress {
  /** Its local address, an IPv4-mapped one as IPv4; `::` for `*` and `[::]`. */
  readonly address: string;
  /** For `::`: whether it takes IPv6 alone (`[::]`) rather than IPv4 too (`*`). */
  readonly v6Only: boolean;
}

/** How long one run of `ss` may take, in ms, before it is ended and answers nothing. */
export const SS_MAX_MS = 2000;

/**
 * The clients of a port, asked of `ss -H -n -u -a`: the host's UDP sockets,
 * the connected ones kept by the port they are connected to, and every one
 * by its own port, to tell one alone there; and whether such a one lets
 * another socket share its name, found by trying ({@linkcode mayBeShared}).
 * One run answers every port, so however
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
 * @param shareable Whether another socket may share a socket name now. @default mayBeShared
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
 * // Port 41000's socket did not set SO_REUSEADDR: no one may share it.
 * const shareable = () => false;
 * const lookUp = connectedPeersBySs(ss, () => true, shareable);
 * const clients = await lookUp(7007, new AbortController().signal, false);
 * assert.equal(clients!.has("127.0.0.1 39136"), true);
 * assert.equal(clients!.has("127.0.0.1 41000"), true);
 * assert.equal(clients!.has("127.0.0.1 42000"), false);
 * // Beside a listener with ?reuse=true, only a connected socket is a client.
 * const shared = await lookUp(7007, new AbortController().signal, true);
 * assert.equal(shared!.has("127.0.0.1 39136"), true);
 * assert.equal(shared!.has("127.0.0.1 41000"), false);
 * ```
 */
export function connectedPeersBySs(
  runSs: RunSs = defaultRunSs,
  mayRun: () => boolean = () => runPermitted("ss"),
  shareable: (name: SocketName) => boolean = mayBeShared,
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
  return async (port, signal, listenerShared) => {
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
    return sockets === null ? null : clientsOf(sockets, port, listenerShared, shareable);
  };
}

/** Whether Deno lets this process run `program` without asking. */
function runPermitted(program: string): boolean {
  return Deno.permissions.querySync({ name: "run", command: program }).state === "granted";
}

/**
 * The clients of `port` in the table: connected to it, or, beside a
 * listener no one shares, alone on their own port, which no one may share.
 */
function clientsOf(
  sockets: SocketTable,
  port: number,
  listenerShared: boolean,
  shareable: (name: SocketName) => boolean,
): PortClients {
  const connected = sockets.connected.get(port);
  return {
    has(key) {
      if (connected?.has(key)) return true;
      // Another socket may have sent in the listener's name to the source,
      // which answered, and closed since.
      if (listenerShared) return false;
      const space = key.lastIndexOf(" ");
      const address = key.slice(0, space);
      const sourcePort = Number(key.slice(space + 1));
      // The sockets that receive at the source's name: its address, or a
      // wildcard of its family (IPv6's `*` takes IPv4 too, its `[::]` not).
      const v4 = address.includes(".");
      let receivers = 0;
      for (const bound of sockets.bound.get(sourcePort) ?? []) {
        if (
          bound.address === address ||
          (v4
            ? bound.address === "0.0.0.0" || (bound.address === "::" && !bound.v6Only)
            : bound.address === "::")
        ) receivers++;
      }
      // Alone now, and no one could have been beside it before.
      return receivers === 1 && !shareable({ address, port: sourcePort });
    },
  };
}

/**
 * Whether another socket may share `name` now: it tries, binding a UDP
 * socket there with `SO_REUSEADDR` and closing it at once. The bind fails
 * with `AddrInUse` where a socket without `SO_REUSEADDR` holds the name (a
 * client's), and succeeds where the socket there set it, or where there is
 * none any more. For the moment it is bound, the trial socket takes the
 * datagrams to that name (Linux hands them to the one bound last): only a
 * socket that lets others in, and just tripped the loop rule, loses any.
 * Any other error (no right to bind there) answers `true`: not known to be
 * unshared.
 *
 * @param name The socket name, an IPv4 or IPv6 address and a port.
 * @returns `false` when a socket holds it and lets no other in.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mayBeShared } from "./connected_peers.ts";
 *
 * const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * const { port } = client.addr as Deno.NetAddr;
 * assert.equal(mayBeShared({ address: "127.0.0.1", port }), false);
 * client.close();
 * ```
 */
export function mayBeShared(name: SocketName): boolean {
  let trial: Deno.DatagramConn;
  try {
    trial = Deno.listenDatagram({
      transport: "udp",
      hostname: name.address,
      port: name.port,
      reuseAddress: true,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    if (error instanceof Error) return true;
    throw error;
  }
  trial.close();
  return true;
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
  const bound = new Map<number, BoundAddress[]>();
  for (const s of sockets) {
    const at = { address: unmappedIPv4(s.local.address), v6Only: s.v6Only === true };
    const here = bound.get(s.local.port);
    if (here === undefined) bound.set(s.local.port, [at]);
    else here.push(at);
    if (s.remote === null) continue;
    let peers = connected.get(s.remote.port);
    if (peers === undefined) connected.set(s.remote.port, peers = new Set());
    peers.add(peerKey(s.local));
  }
  return { connected, bound };
}
