/**
 * Which UDP sockets on this host are connected to a port: clients that
 * called `connect()` towards it, as `nc -u`, socat and Python's socket with
 * `connect()` do. A connected socket takes datagrams from its peer alone, so
 * one connected to muxd is muxd's client, whatever it sends; a server that
 * answers whoever writes to it is not connected. Asked of `ss` (iproute2),
 * which reads the kernel's socket table: Deno lets a program read `/proc`
 * only with every permission.
 *
 * @module
 */

import { parseSsOutput } from "../holder/parse_ss_output.ts";
import { runSs as defaultRunSs } from "../holder/run_ss.ts";
import type { RunSs } from "../holder/types.ts";
import { unmappedIPv4 } from "../spec/ip.ts";
import type { SocketName } from "../spec/types.ts";

/**
 * Looks up the sockets connected to `port` on this host.
 *
 * @returns Their socket names as {@linkcode peerKey} gives them, or `null`
 *   when they cannot be looked up (no `ss`, not permitted, out of files).
 */
export type ConnectedPeers = (port: number) => Promise<ReadonlySet<string> | null>;

/**
 * The key of a socket name among the connected peers: an IPv4-mapped IPv6
 * address (how a dual-stack `[::]` socket sees an IPv4 client) as the IPv4
 * address the client's own socket has.
 *
 * @param name A socket name.
 * @returns `address port`.
 */
export function peerKey(name: SocketName): string {
  return `${unmappedIPv4(name.address)} ${name.port}`;
}

/**
 * The connected peers of a port, asked of `ss -H -n -u -a 'dport = :PORT'`:
 * every UDP socket whose peer's port is `port`, kept when connected (ESTAB).
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
 *       "ESTAB 0 0 [::1]:49018 [::1]:7007\n",
 *     stderr: "",
 *   });
 * const peers = await connectedPeersBySs(ss)(7007);
 * assert.deepEqual([...peers!], ["127.0.0.1 39136", "::1 49018"]);
 * ```
 */
export function connectedPeersBySs(runSs: RunSs = defaultRunSs): ConnectedPeers {
  return async (port) => {
    const out = await runSs(["-H", "-n", "-u", "-a", `dport = :${port}`]);
    if (out === null || out.code !== 0) return null;
    try {
      return new Set(
        parseSsOutput(out.stdout).filter((s) => s.state === "ESTAB").map((s) => peerKey(s.local)),
      );
    } catch (error) {
      if (error instanceof SyntaxError) return null;
      throw error;
    }
  };
}
