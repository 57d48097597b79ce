/**
 * Who holds a port: when a bind fails with "address already in use", name
 * the sockets on this Linux host that conflict with it and the processes
 * that own them, as the `ss` tool of iproute2 lists them.
 *
 * Deno lets no program read `/proc` without `--allow-all`, so the lookup
 * runs `ss -H -n -a -p -e -t 'sport = :PORT'` (`-u` for UDP), which needs
 * only `--allow-run=ss`.
 *
 * ```ts
 * import { describeHolders, findHolders } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const query = { transport: "tcp", address: "127.0.0.1", port: listener.addr.port } as const;
 * const report = await findHolders(query);
 * if (report.supported) {
 *   assert.match(describeHolders(report, query), /^held by a listening socket tcp 127\.0\.0\.1:/);
 * }
 * ```
 *
 * Off Linux, or without `ss`, the report says so and names a command to use
 * instead (`lsof -nP -iTCP:7007` on macOS).
 *
 * @module
 */

export type {
  FindHoldersOptions,
  Holder,
  HolderKind,
  HolderProcess,
  HolderQuery,
  HolderReport,
  RunSs,
  SocketState,
  SsOutput,
} from "./types.ts";
export type { SocketName, Transport } from "../spec/mod.ts";
export { findHolders } from "./find_holders.ts";
export { findHoldersOfEach } from "./find_holders_of_each.ts";
export { describeHolders, describeProcess, holdersFix } from "./describe_holders.ts";
export { isMuxdCommandLine, readCommandLine } from "./command_line.ts";
export { connectedPeersBySs } from "./connected_peers.ts";
