/**
 * What a running muxd is to its callers: the options of `start()`, the
 * server it returns and what each of its calls gives back. The server
 * itself is in server.ts.
 *
 * @module
 */

import type { BindError } from "../bind/bind_error.ts";
import type { ExplainBinds } from "../explain/plain.ts";
import type { EventSink, EventWanted, ListenerOrigin } from "../events/event.ts";
import type { Plan } from "../plan/plan.ts";
import type { ServiceName } from "../services/names.ts";
import type { Service } from "../services/service.ts";
import type { PortRange, SocketName, Transport } from "../spec/types.ts";
import type { LiveTraffic } from "../dispatch/live_traffic.ts";
import type { FaultsInput } from "./fault_change.ts";
import type { ListenEntry } from "./listen_entries.ts";
import type { ConnectedPeers } from "../guard/connected_peers.ts";

/** Open TCP connections at most, over every listener, unless `maxConnections` says otherwise. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Options for {@linkcode start}. */
export interface StartOptions {
  /** Receives every event. @default a sink that drops them */
  readonly sink?: EventSink;
  /**
   * Whether the sink takes events of a type now (`EventHub.wants`): the
   * events of each datagram that nothing takes are not made.
   * @default every type, as long as there is a sink
   */
  readonly wanted?: EventWanted;
  /**
   * Serve what bound even when some listeners failed. When `false`, one
   * failure closes everything and `start()` throws.
   * @default false
   */
  readonly keepGoing?: boolean;
  /** The clock services read. @default () => new Date() */
  readonly now?: () => Date;
  /**
   * The service implementations, by name; a test can swap one in.
   * @default the built-in services
   */
  readonly services?: Readonly<Record<ServiceName, Service>>;
  /**
   * Explains bind failures, here and at each `reconfigure()` and `add()`.
   * `muxd serve` passes one that knows the host's rules and who holds a port
   * (`hostExplainer()` in `lib/explain/`); the server itself runs no tool.
   * @default explainPlainly: from the OS error alone
   */
  readonly explain?: ExplainBinds;
  /**
   * Open TCP connections at most, over every listener; more are refused.
   * @default {DEFAULT_MAX_CONNECTIONS}
   */
  readonly maxConnections?: number;
  /**
   * Where the OS puts clients' sockets: on loopback, UDP replies go only to
   * source ports in this range (unless a listener says `reply-to=any`). A
   * promise lets the host's range arrive after start-up (`muxd serve` reads
   * it once ready); the default applies until it resolves. It must not reject.
   * @default the OS's default range (Linux: 32768-60999)
   */
  readonly ephemeralPorts?: PortRange | Promise<PortRange>;
  /**
   * Looks up the clients of a UDP listener's port, so that the loop rule
   * tells a client on loopback that sends the same datagram again and again
   * (from a socket connected to the port, as `nc -u` and Python's socket
   * with `connect()` have, or alone on its own port, as one that uses
   * `sendto()` has) from two servers answering each other, and keeps its
   * replies. `muxd serve` passes `connectedPeersBySs()` (`lib/holder/`); the
   * server itself runs no tool.
   * @default none: every trip of the loop rule is a loop
   */
  readonly connectedPeers?: ConnectedPeers;
  /**
   * Who made the plan's listeners: `config` (the command line or config
   * file, which each `reconfigure()` replaces) or `api` (kept by
   * `reconfigure()` like those of `add()`).
   * @default "config"
   */
  readonly origin?: ListenerOrigin;
  /**
   * `add()` may bind addresses that other hosts can reach (`--public`);
   * else such a spec is refused, as at start-up.
   * @default false
   */
  readonly allowPublic?: boolean;
  /**
   * The host's network interfaces, for specs given to `add()` whose host is
   * an interface name.
   * @default [] (every name is a host name)
   */
  readonly interfaces?: readonly Deno.NetworkInterfaceInfo[];
  /**
   * `net.ipv6.bindv6only`: whether a `[::]` listener takes IPv6 alone, so
   * that a relay given to `add()` or `reconfigure()` that leads to an IPv4
   * address on its port is no ring. A function is called once, when a
   * change first needs the setting (`muxd serve` reads it with `sysctl`
   * then, not at start-up); it must not reject.
   * @default false (dual-stack, Linux's default)
   */
  readonly bindV6Only?: boolean | Promise<boolean> | (() => Promise<boolean>);
}

/** Options for {@linkcode RunningServer.reconfigure}. */
export interface ReconfigureOptions {
  /** Explains bind failures. @default the explainer `start()` was given */
  readonly explain?: ExplainBinds;
  /**
   * Open TCP connections at most, over every listener, from now on; open
   * connections above it stay. @default unchanged
   */
  readonly maxConnections?: number;
  /**
   * Serve the new plan's listeners that bound when some failed, as long as
   * one of them serves; when `false`, one failure leaves everything as it
   * was and `reconfigure()` throws. @default the `keepGoing` `start()` was given
   */
  readonly keepGoing?: boolean;
}

/** What a reconfiguration changed. */
export interface ReconfigureResult {
  /** Listeners newly bound. */
  readonly added: number;
  /** Listeners closed because the new plan no longer has them (`replaced` among them). */
  readonly removed: number;
  /** Listeners that kept their sockets and connections (`faultsChanged` among them). */
  readonly kept: number;
  /**
   * Kept listeners whose faults changed: the new faults (with a new seed)
   * apply to the connections and datagrams that arrive from now on.
   */
  readonly faultsChanged: readonly ServingSocket[];
  /**
   * Of `faultsChanged`, the TCP listeners bound anew on their port, since
   * reset-after was added or removed (resets need another kind of socket):
   * their open connections stay, but a connection attempted in that
   * instant was refused, and one waiting to be accepted was reset.
   */
  readonly rebound: readonly ServingSocket[];
  /**
   * Kept config listeners that keep the faults the API set: the new plan
   * left their fault options as they were.
   */
  readonly apiFaultsKept: readonly ServingSocket[];
  /** Listeners added through the API that the new plan's replaced: it binds their socket names. */
  readonly replaced: readonly ServingSocket[];
  /**
   * New listeners that failed to bind: with `keepGoing`, any; else those
   * that took over a removed one's socket name (bound after it closed).
   */
  readonly failures: number;
  /** The sockets newly bound, port 0 resolved: `added` of them, in plan order. */
  readonly opened: readonly ServingSocket[];
  /** The sockets closed: `removed` of them, in the order they were served. */
  readonly closed: readonly ServingSocket[];
}

/** A socket a running server holds. */
export interface ServingSocket {
  /**
   * Its id while it runs, from its transport and bound socket name:
   * `tcp-127.0.0.1-7007`, `udp-__1-53` (see {@linkcode listenerId}).
   */
  readonly id: string;
  /** Who made it: the command line or config file (`config`), or `add()` (`api`). */
  readonly origin: ListenerOrigin;
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The bound socket name, port 0 resolved to the real port. */
  readonly local: SocketName;
  /** The service that answers on it. */
  readonly service: ServiceName;
  /** The canonical spec of the listener, as planned (port 0 stays 0), its faults now included. */
  readonly spec: string;
  /**
   * For one socket of a UDP wildcard bound per address: the wildcard's spec,
   * such as `udp://0.0.0.0:7000=echo`. `null` for every other socket.
   */
  readonly wildcard: string | null;
  /**
   * The faults it applies now, as a spec writes them (`?drop=0.5`), and
   * their seed; `null` when it has none.
   */
  readonly faults: ShownFaults | null;
  /** Who set the faults in force (or left it without): its spec (`config`), or `setFaults()` (`api`). */
  readonly faultsBy: ListenerOrigin;
}

/** A listener's faults as muxd shows them: the options as a spec writes them, and their seed. */
export interface ShownFaults {
  /** The fault options, sorted, as a spec writes them: `?drop=0.5&seed=1`. */
  readonly text: string;
  /** The seed of their random choices: the spec's, or the one muxd picked. */
  readonly seed: number;
}

/** Options for {@linkcode RunningServer.close}. */
export interface CloseOptions {
  /** How long open connections may go on before they are closed. @default 5000 */
  readonly graceMs?: number;
  /**
   * Called once every socket the server served is closed, its port free for
   * another program to bind: at once, before the grace period's connections
   * end; or, with a UDP socket whose replies are on their way, once they are
   * sent or the grace period ends. A test harness that starts the next
   * server on the same ports waits for this (muxd serve removes its ready
   * file then). What it throws does not stop the shutdown: `close()` rejects
   * with it once everything is closed.
   */
  readonly onUnbound?: () => void;
}

/** What a shutdown did. */
export interface CloseResult {
  /** Connections still open when the grace period ended, closed by muxd. */
  readonly forced: number;
}

/** Options for {@linkcode RunningServer.add}. */
export interface AddOptions {
  /** What the call is, for positions in messages (`spec 2 of add()`). @default "add()" */
  readonly caller?: string;
}

/** Options for {@linkcode RunningServer.setFaults}. */
export interface SetFaultsOptions {
  /** What the call is, for messages (`spec 1 of setFaults()`). @default "setFaults()" */
  readonly caller?: string;
}

/** Options for {@linkcode RunningServer.remove}. */
export interface RemoveOptions {
  /**
   * How long its open TCP connections may go on before muxd closes them
   * (their close reason is then `shutdown`). The socket stops accepting at
   * once either way.
   * @default 0: they close at once, as a test suite expects of a deleted listener
   */
  readonly drainMs?: number;
  /** What the call is, for messages (`remove(): the server is closing`). @default "remove()" */
  readonly caller?: string;
}

/** What {@linkcode RunningServer.remove} did. */
export interface RemoveResult {
  /** The socket it closed, as it was. */
  readonly socket: ServingSocket;
  /** Its TCP connections open when it stopped accepting. */
  readonly open: number;
  /** Those still open when `drainMs` ended, which muxd closed. */
  readonly forced: number;
}

/** A server that `start()` returned. */
export interface RunningServer extends AsyncDisposable {
  /** Every socket it serves, in the order they were bound. */
  readonly sockets: readonly ServingSocket[];
  /**
   * The listeners of the config in effect that could not be bound: at
   * start-up (only with `keepGoing`), then as the latest `reconfigure()`
   * left them.
   */
  readonly failures: readonly BindError[];
  /** How many TCP connections are open now. */
  readonly openConnections: number;
  /**
   * The byte counts of the open TCP connections and UDP relay sessions,
   * read when asked (the dashboard reads them while a page is open).
   */
  readonly traffic: LiveTraffic;
  /**
   * Stops accepting, lets open connections finish for the grace period, then
   * closes the rest. Calling it again while it runs ends the grace period at
   * once (a second Ctrl-C). Disposing the server (`await using`) closes it
   * with no grace period.
   */
  close(options?: CloseOptions): Promise<CloseResult>;
  /**
   * Switches to a new plan of the config: listeners that did not change (the
   * same socket name, service, options and limits) keep their sockets and
   * connections, removed ones stop accepting, new ones bind.
   * A kept listener whose faults changed takes the new ones for the
   * connections and datagrams that arrive next, and says so in a
   * `faults-changed` event; one whose fault options the plan leaves as they
   * were keeps the faults `setFaults()` gave it.
   * Listeners added by `add()` stay, unless the plan binds one's socket
   * name: the plan's listener replaces it (a `listener-replaced` event).
   * New socket names are bound before anything is closed; if one fails,
   * nothing changes and it throws.
   *
   * @throws {StartError} When a new listener cannot be bound; the old set keeps serving.
   * @throws {SpecError} When a relay of the plan leads back to itself through
   *   a listener added with `add()`, which it keeps; the old set keeps serving.
   * @throws {ServerClosedError} When the server is closing.
   */
  reconfigure(plan: Plan, options?: ReconfigureOptions): Promise<ReconfigureResult>;
  /**
   * Binds more listeners, all or nothing: the specs are planned and checked
   * as at start-up (the same one-line errors, each naming its spec as
   * `spec N of add()`), and if one fails to bind, the others are closed
   * again and the failure is explained as at start-up. Listeners added so
   * survive reloads of the config (see {@linkcode RunningServer.reconfigure}).
   *
   * @param specs One spec or many: text as on the command line
   *   (`tcp://127.0.0.1:0=echo`), or the config file's object form.
   * @param options What the call is, for messages.
   * @returns The new sockets, port 0 resolved, each with its id.
   * @throws {SpecError} When a spec cannot be used; nothing is bound.
   * @throws {StartError} When a listener cannot be bound; nothing stays bound.
   * @throws {ServerClosedError} When the server is closing.
   */
  add(
    specs: ListenEntry | readonly ListenEntry[],
    options?: AddOptions,
  ): Promise<readonly ServingSocket[]>;
  /**
   * Closes one listener, whoever made it: it stops accepting at once, and
   * its open TCP connections close after `drainMs` (at once by default).
   * A listener of the config comes back at the next reload that has it.
   *
   * @param id The listener's id, from {@linkcode ServingSocket.id}.
   * @param options How long its connections may go on.
   * @returns What it closed.
   * @throws {UnknownListenerError} When no running listener has the id.
   * @throws {ServerClosedError} When the server is closing.
   */
  remove(id: string, options?: RemoveOptions): Promise<RemoveResult>;
  /**
   * Sets one listener's faults, or clears them (`null`), as a reload that
   * changes only its faults would: the socket and its connections stay, and
   * the new faults (with a new seed, unless they give one) apply to the
   * connections and datagrams that arrive from now on (a `faults-changed`
   * event says so). The faults are checked as a spec's options are.
   * Adding or removing `reset-after` on a TCP listener binds its socket
   * anew on the same port (resets need another kind of socket): open
   * connections stay, and a connection attempted in that instant is
   * refused. A reload keeps these faults unless it changes that listener's
   * fault options.
   *
   * @param id The listener's id, from {@linkcode ServingSocket.id}.
   * @param faults Option text (`"drop=1&seed=1"`), a record
   *   (`{ drop: 1, seed: 1 }`), or `null` for none.
   * @param options What the call is, for messages.
   * @returns The socket with its faults now.
   * @throws {UnknownListenerError} When no running listener has the id.
   * @throws {SpecError} When the faults cannot be used on this listener.
   * @throws {StartError} When the socket cannot be bound anew (`reset-after`).
   * @throws {ServerClosedError} When the server is closing.
   */
  setFaults(id: string, faults: FaultsInput, options?: SetFaultsOptions): Promise<ServingSocket>;
}

/** `start()` could not bind one or more listeners; nothing is left bound. */
export class StartError extends Error {
  /** One error per listener that failed. */
  readonly failures: readonly BindError[];

  /**
   * Creates the error from every bind failure.
   *
   * @param failures The bind failures.
   */
  constructor(failures: readonly BindError[]) {
    super(failures.map((f) => f.message).join("\n"));
    this.name = "StartError";
    this.failures = failures;
  }
}
