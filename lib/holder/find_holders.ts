/**
 * Who holds a port: the sockets `ss` lists that conflict with a bind, and
 * the processes that have them open.
 *
 * @module
 */

import { markMuxdHolders } from "./muxd_holders.ts";
import { holdersAt } from "./holders_at.ts";
import { lookUpSockets } from "./look_up_sockets.ts";
import type { FindHoldersOptions, HolderQuery, HolderReport } from "./types.ts";

/**
 * Finds the sockets on this host that keep `query` from being bound: every
 * socket of the same transport on the same port whose local address
 * conflicts by Linux's rules (the same address, a wildcard of the same
 * family, or a dual-stack `::`), listening or not, and the process that has
 * each open. It runs `ss -H -n -a -p -e -t 'sport = :PORT'` (`-u` for UDP)
 * once: Deno lets no program read `/proc` without `--allow-all`, but it may
 * run `ss` with `--allow-run=ss`.
 *
 * It never throws for what a host may lack: off Linux, without `ss`, or when
 * `ss` fails, the report says `supported: false` and why. A socket whose
 * process `ss` cannot see (another user's, when not root) or that no process
 * owns (TIME-WAIT) has `process: null` and a reason. The answer is a
 * snapshot: sockets come and go while `ss` looks.
 *
 * @param query The transport, address and port a bind asked for.
 * @param options How to run `ss` (for tests), and what `ss` cannot tell.
 * @returns The report: whether the lookup works here, and the holders found.
 *
 * @example Who holds the port of a listener we opened ourselves
 * ```ts
 * import { findHolders } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const report = await findHolders({ transport: "tcp", address: "127.0.0.1", port: listener.addr.port });
 * if (report.supported) {
 *   const [holder] = report.holders;
 *   assert.equal(holder.kind, "listening");
 *   assert.equal(holder.process?.pid, Deno.pid);
 * }
 * ```
 */
export async function findHolders(
  query: HolderQuery,
  options: FindHoldersOptions = {},
): Promise<HolderReport> {
  const ports = { first: query.port, last: query.port };
  const lookup = await lookUpSockets(query.transport, ports, options);
  if (!lookup.supported) return { supported: false, reason: lookup.reason, holders: [] };
  const report = { supported: true, holders: holdersAt(lookup.sockets, query, options) };
  const [marked] = await markMuxdHolders([report], options.commandLine);
  return marked;
}
