/**
 * Who holds each of many socket names, with one run of `ss` per transport:
 * what `muxd check` asks for a whole plan.
 *
 * @module
 */

import { markMuxdHolders } from "./muxd_holders.ts";
import type { Transport } from "../spec/mod.ts";
import { holdersAt } from "./holders_at.ts";
import { lookUpSockets, type SocketLookup } from "./look_up_sockets.ts";
import type { FindHoldersOptions, HolderQuery, HolderReport } from "./types.ts";

/**
 * Finds the holders of every query, as {@linkcode findHolders} finds those
 * of one, but runs `ss` once per transport, for the span of ports the
 * queries ask about, however many there are (a port range of 1,000 specs is
 * two runs, not 1,000). A query for port 0 needs no lookup: the kernel picks
 * a free port, so it has no holders.
 *
 * It never throws for what a host may lack: where `ss` cannot answer, every
 * query of that transport gets `supported: false` and the reason.
 *
 * @param queries The socket names.
 * @param options How to run `ss`, and what `ss` cannot tell.
 * @returns One report per query, in the same order.
 *
 * @example Two listeners of our own, one lookup
 * ```ts
 * import { findHoldersOfEach } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * using a = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using b = Deno.listen({ hostname: "127.0.0.2", port: 0 });
 * const reports = await findHoldersOfEach([
 *   { transport: "tcp", address: "127.0.0.1", port: a.addr.port },
 *   { transport: "tcp", address: "127.0.0.2", port: b.addr.port },
 *   { transport: "tcp", address: "127.0.0.1", port: 0 },
 * ]);
 * if (reports[0].supported) {
 *   assert.equal(reports[0].holders[0].process?.pid, Deno.pid);
 *   assert.equal(reports[1].holders[0].process?.pid, Deno.pid);
 * }
 * assert.deepEqual(reports[2], { supported: true, holders: [] });
 * ```
 */
export async function findHoldersOfEach(
  queries: readonly HolderQuery[],
  options: FindHoldersOptions = {},
): Promise<HolderReport[]> {
  const lookups = new Map<Transport, Promise<SocketLookup>>();
  for (const transport of ["tcp", "udp"] as const) {
    let span: { first: number; last: number } | null = null;
    for (const { transport: t, port } of queries) {
      if (t !== transport || port === 0) continue;
      span = span === null
        ? { first: port, last: port }
        : { first: Math.min(span.first, port), last: Math.max(span.last, port) };
    }
    if (span !== null) lookups.set(transport, lookUpSockets(transport, span, options));
  }
  // Both lookups run at once; awaited together, so neither's failure goes unobserved.
  const done = new Map<Transport, SocketLookup>(
    await Promise.all([...lookups].map(async ([t, lookup]) => [t, await lookup] as const)),
  );
  const reports = queries.map((query): HolderReport => {
    const lookup = done.get(query.transport);
    if (query.port === 0 || lookup === undefined) return { supported: true, holders: [] };
    if (!lookup.supported) return { supported: false, reason: lookup.reason, holders: [] };
    return { supported: true, holders: holdersAt(lookup.sockets, query, options) };
  });
  return await markMuxdHolders(reports, options.commandLine);
}
