/**
 * muxd as a library, for tests written in Deno: start a server on port 0,
 * read its real ports, add and remove listeners, turn faults on and off,
 * and read what happened, without a config file or a signal.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { start } from "./mod.ts";
 *
 * await using server = await start({ listen: ["tcp://127.0.0.1:0=echo"] });
 * const [echo] = server.sockets;
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port: echo.local.port });
 * await conn.write(new TextEncoder().encode("hi"));
 * const reply = new Uint8Array(2);
 * assert.equal(await conn.read(reply), 2);
 * ```
 *
 * Importing it does nothing: no socket, no timer, no logging set-up. The
 * library logs nothing; give `sink` (or read `events`) and write the lines
 * where you like with {@linkcode formatEvent}. The command line is
 * `@muxd/muxd/cli`. Needs `--allow-net` and, for UDP, `--unstable-net`
 * (`"unstable": ["net"]` in deno.json).
 *
 * @module
 */

import { EventHub } from "./lib/events/hub.ts";
import type { EventSink } from "./lib/events/event.ts";
import type { ExplainBinds } from "./lib/explain/plain.ts";
import type { ConnectedPeers } from "./lib/guard/connected_peers.ts";
import { type ListenEntry, planEntries } from "./lib/server/listen_entries.ts";
import { MuxdServer } from "./lib/server/muxd_server.ts";
import { start as startServer } from "./lib/server/server.ts";

export { MuxdServer, type SubscribeOptions } from "./lib/server/muxd_server.ts";
export {
  type AddOptions,
  type CloseOptions,
  type CloseResult,
  DEFAULT_MAX_CONNECTIONS,
  type ReconfigureOptions,
  type ReconfigureResult,
  type RemoveOptions,
  type RemoveResult,
  type RunningServer,
  type ServingSocket,
  type SetFaultsOptions,
  type ShownFaults,
  StartError,
} from "./lib/server/running_server.ts";
export {
  type ListenEntry,
  type ListenObject,
  SpecError,
  type SpecProblem,
} from "./lib/server/listen_entries.ts";
export type { FaultsInput } from "./lib/server/fault_change.ts";
export { listenerId } from "./lib/server/listener_id.ts";
export { ServerClosedError, UnknownListenerError } from "./lib/server/listener_errors.ts";
export { BindError } from "./lib/bind/bind_error.ts";
export { type ExplainBinds, explainPlainly } from "./lib/explain/plain.ts";
export { hostExplainer } from "./lib/explain/host_explainer.ts";
export { connectedPeersBySs } from "./lib/holder/connected_peers.ts";
export type { ConnectedPeers, PortClients } from "./lib/guard/connected_peers.ts";
export { formatEvent } from "./lib/events/format.ts";
export { MetricsCollector, metricsText } from "./lib/metrics/mod.ts";
export {
  DEFAULT_EVENT_BUFFER,
  type EventGap,
  EventSubscription,
  type SubscribedEvent,
} from "./lib/events/subscription.ts";
export type * from "./lib/events/event.ts";
export type * from "./lib/events/exec_event.ts";
export type * from "./lib/events/relay_events.ts";
export type * from "./lib/events/fault_events.ts";
export type { PortRange, SocketName, Transport } from "./lib/spec/types.ts";
export type { ServiceName } from "./lib/services/names.ts";

/** Options for {@linkcode start}. */
export interface MuxdOptions {
  /**
   * The listeners to bind, all or nothing: specs as on the command line
   * (`udp://127.0.0.1:0=echo?drop=0.5`), or the config file's object form.
   * @default [] (a server with none, for `add()`)
   */
  readonly listen?: readonly ListenEntry[];
  /**
   * Receives every event from the start, start-up's included (`events`
   * starts when it is read). It is called synchronously: keep it quick.
   * @default none
   */
  readonly sink?: EventSink;
  /**
   * Open TCP connections at most, over every listener; more are refused.
   * @default {DEFAULT_MAX_CONNECTIONS}
   */
  readonly maxConnections?: number;
  /**
   * Allow addresses other hosts can reach (as `--public`); else a spec
   * that binds one is refused, at start and in `add()`.
   * @default false
   */
  readonly public?: boolean;
  /**
   * Explains bind failures. {@linkcode hostExplainer} names who holds a
   * port, as `muxd serve` does, by running `ss` and `sysctl` (so it needs
   * `--allow-run=ss,sysctl`).
   * @default explainPlainly: from the OS error alone
   */
  readonly explain?: ExplainBinds;
  /**
   * Looks up the clients of a UDP port. {@linkcode connectedPeersBySs}
   * lets the UDP loop rule tell a client on loopback that sends the same
   * datagram again and again (from a socket connected to the port, or alone
   * on its own port) from a loop, and keep its replies, as `muxd serve`
   * does, by running `ss` (so it needs `--allow-run=ss`).
   * @default none: 100 identical datagrams within 1 s from one socket name are a loop
   */
  readonly connectedPeers?: ConnectedPeers;
  /**
   * How many events each subscription to `events` holds for a slow reader.
   * @default {DEFAULT_EVENT_BUFFER}
   */
  readonly eventBuffer?: number;
}

/**
 * Starts muxd in this process: plans the listeners as the command line
 * does (the same checks and one-line errors), binds them all or none, and
 * serves them until closed. `await using` closes it at the end of the
 * scope, with no grace period.
 *
 * @param options The listeners and how to serve them.
 * @returns The running server.
 * @throws {SpecError} When a spec cannot be used (`spec 2 of start()`); nothing is bound.
 * @throws {StartError} When a listener cannot be bound; nothing stays bound.
 * @throws {RangeError} When `eventBuffer` is not a whole number of at least 1; nothing is bound.
 *
 * @example A UDP listener that drops every datagram, then none
 * ```ts
 * import assert from "node:assert/strict";
 * import { start } from "./mod.ts";
 *
 * await using server = await start({ listen: ["udp://127.0.0.1:0=echo"] });
 * const [udp] = server.sockets;
 * const events = server.events; // from now on
 * await server.setFaults(udp.id, "drop=1&seed=1");
 * await server.setFaults(udp.id, null);
 * for await (const event of events) {
 *   if (event.type !== "faults-changed") continue;
 *   if (event.after === "") break;
 *   assert.equal(event.after, "?drop=1&seed=1");
 * }
 * ```
 *
 * @example A listener added, then removed
 * ```ts
 * import assert from "node:assert/strict";
 * import { start } from "./mod.ts";
 *
 * await using server = await start();
 * const [tcp] = await server.add("tcp://127.0.0.1:0=whoami");
 * assert.match(tcp.id, /^tcp-127\.0\.0\.1-\d+$/);
 * await server.remove(tcp.id);
 * await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: tcp.local.port }));
 * ```
 */
export async function start(options: MuxdOptions = {}): Promise<MuxdServer> {
  // Checked before anything is bound: each subscription would throw it later.
  const { eventBuffer } = options;
  if (eventBuffer !== undefined && !(Number.isInteger(eventBuffer) && eventBuffer >= 1)) {
    throw new RangeError(`eventBuffer holds at least 1 event, not ${eventBuffer}`);
  }
  const allowPublic = options.public ?? false;
  const { plan } = planEntries(options.listen ?? [], { caller: "start()", allowPublic });
  const hub = new EventHub();
  if (options.sink !== undefined) hub.subscribe(options.sink);
  const server = await startServer(plan, {
    sink: hub.emit,
    // A datagram's events are made while a sink or a subscription takes them.
    wanted: hub.wants,
    maxConnections: options.maxConnections,
    explain: options.explain,
    connectedPeers: options.connectedPeers,
    allowPublic,
  });
  return new MuxdServer(server, hub, options.eventBuffer);
}
