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
