/**
 * A running muxd: bind every planned listener, run one loop per socket, and
 * shut down gracefully. All state lives in the object `start()` returns.
 *
 * @module
 */

import { bindAll, type BoundSocket, type FailedBind, startFaults } from "../bind/bind.ts";
import { BindError } from "../bind/bind_error.ts";
import { type ExplainBinds, explainPlainly } from "../explain/plain.ts";
import type { EventSink } from "../events/event.ts";
import {
  type Plan,
  type PlannedListener,
  sameFaults,
  sameListener,
  sameSocketName,
} from "../plan/plan.ts";
import { wildcardGroup } from "../plan/udp_wildcard.ts";
import { Admission } from "../guard/admission.ts";
import { UdpGuard } from "../guard/udp_guard.ts";
import type { ServiceName } from "../services/names.ts";
import { SERVICES } from "../services/registry.ts";
import type { Service } from "../services/service.ts";
import type { PortRange, SocketName, Transport } from "../spec/types.ts";
import { acceptLoop } from "../dispatch/tcp.ts";
import { MAX_DATAGRAM, receiveLoop } from "../dispatch/udp.ts";
import { ConnectionTable } from "../dispatch/connections.ts";
import type { DispatchContext } from "../dispatch/context.ts";
import type { LiveTraffic } from "../dispatch/live_traffic.ts";
import { BufferPool } from "../services/buffer_pool.ts";
import { processKey, ProcessTable } from "../services/process_table.ts";
import { TimeoutSignals } from "../services/timeout_signals.ts";

/** Open TCP connections at most, over every listener, unless `maxConnections` says otherwise. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Options for {@linkcode start}. */
export interface StartOptions {
  /** Receives every event. @default a sink that drops them */
  readonly sink?: EventSink;
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
   * Explains bind failures, here and at each `reconfigure()`. `muxd serve`
   * passes one that knows the host's rules and who holds a port
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
}

/** What a reconfiguration changed. */
export interface ReconfigureResult {
  /** Listeners newly bound. */
  readonly added: number;
  /** Listeners closed because the new plan no longer has them. */
  readonly removed: number;
  /** Listeners that kept their sockets and connections (`faultsChanged` among them). */
  readonly kept: number;
  /**
   * Kept listeners whose faults changed: the new faults (with a new seed)
   * apply to the connections and datagrams that arrive from now on.
   */
  readonly faultsChanged: readonly ServingSocket[];
  /** New listeners that took over a removed one's socket name and failed to bind. */
  readonly failures: number;
  /** The sockets newly bound, port 0 resolved: `added` of them, in plan order. */
  readonly opened: readonly ServingSocket[];
  /** The sockets closed: `removed` of them, in the order they were served. */
  readonly closed: readonly ServingSocket[];
}

/** A socket a running server holds. */
export interface ServingSocket {
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The bound socket name, port 0 resolved to the real port. */
  readonly local: SocketName;
  /** The service that answers on it. */
  readonly service: ServiceName;
  /** The canonical spec of the listener, as planned (port 0 stays 0). */
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
}

/** What a shutdown did. */
export interface CloseResult {
  /** Connections still open when the grace period ended, closed by muxd. */
  readonly forced: number;
}

/** A server that `start()` returned. */
export interface RunningServer {
  /** Every socket it serves, in plan order. */
  readonly sockets: readonly ServingSocket[];
  /** Listeners that could not be bound (only with `keepGoing`, or at a reconfiguration). */
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
   * once (a second Ctrl-C).
   */
  close(options?: CloseOptions): Promise<CloseResult>;
  /**
   * Switches to a new plan: listeners that did not change (the same socket
   * name, service, options and limits) keep their sockets and connections, removed ones stop accepting, new ones bind.
   * A kept listener whose faults changed takes the new ones for the
   * connections and datagrams that arrive next, and says so in a
   * `faults-changed` event.
   * New socket names are bound before anything is closed; if one fails,
   * nothing changes and it throws.
   *
   * @throws {StartError} When a new listener cannot be bound; the old set keeps serving.
   */
  reconfigure(plan: Plan, options?: ReconfigureOptions): Promise<ReconfigureResult>;
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

/**
 * Binds every listener of the plan and starts serving.
 *
 * @param plan What to bind.
 * @param options The event sink, the binding policy and the clock.
 * @returns The running server.
 * @throws {StartError} When a listener fails to bind and `keepGoing` is off,
 *   or when nothing at all could be bound. Everything bound is closed first.
 *
 * @example
 * ```ts
 * import { buildPlan } from "../plan/mod.ts";
 * import { start } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * const { plan } = buildPlan([
 *   { text: "tcp://127.0.0.1:0=echo", source: { kind: "argument", index: 1 } },
 * ]);
 * const server = await start(plan);
 * const { port } = server.sockets[0].local; // the port the OS picked
 * using conn = await Deno.connect({ hostname: "127.0.0.1", port });
 * await conn.write(new TextEncoder().encode("hi"));
 * const reply = new Uint8Array(2);
 * assert.equal(await conn.read(reply), 2);
 * assert.equal(new TextDecoder().decode(reply), "hi");
 * await server.close();
 * ```
 */
export async function start(plan: Plan, options: StartOptions = {}): Promise<RunningServer> {
  const emit = options.sink ?? (() => {});
  const explain = options.explain ?? explainPlainly;
  const { bound, failures: failed } = bindAll(plan.listeners);
  const failures = await explained(failed, bound.map((b) => b.listener), explain);
  for (const failure of failures) emitBindFailed(emit, failure);
  if ((failures.length > 0 && !options.keepGoing) || bound.length === 0) {
    for (const b of bound) b.socket.close();
    throw new StartError(failures);
  }
  const range = options.ephemeralPorts;
  const udpGuard = new UdpGuard([], range instanceof Promise ? undefined : range);
  if (range instanceof Promise) void range.then((r) => udpGuard.setEphemeralPorts(r));
  return new Server(bound, failures, emit, explain, {
    now: options.now ?? (() => new Date()),
    services: options.services ?? SERVICES,
    udpGuard,
  }, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
}

/**
 * Turns failed binds into errors, each with its explanation.
 *
 * @param failures What `bindAll()` could not bind.
 * @param held The listeners this muxd holds besides them.
 * @param explain The explainer.
 * @returns One error per failure, in order.
 */
async function explained(
  failures: readonly FailedBind[],
  held: readonly PlannedListener[],
  explain: ExplainBinds,
): Promise<BindError[]> {
  if (failures.length === 0) return [];
  const reasons = await explain(failures, held);
  return failures.map((f, i) => new BindError(f.listener, f.cause, reasons[i]));
}

function emitBindFailed(emit: EventSink, failure: BindError): void {
  const l = failure.listener;
  emit({
    type: "bind-failed",
    time: Date.now(),
    transport: l.transport,
    listener: l.spec,
    service: l.service,
    local: { address: l.hostname, port: l.port },
    code: failure.code,
    reason: failure.reason,
  });
}

/** What a bound socket is, as the server reports it. */
function servingSocket(b: BoundSocket): ServingSocket {
  return {
    transport: b.transport,
    local: b.local,
    service: b.listener.service,
    spec: b.listener.spec,
    wildcard: b.listener.wildcard === null ? null : b.listener.origin,
    faults: shownFaults(b),
  };
}

/** A bound socket's faults now, as events and reports show them, or `null`. */
function shownFaults(b: BoundSocket): ShownFaults | null {
  return b.faults === null ? null : { text: b.faults.faults.text, seed: b.faults.seed };
}

/** One bound socket and the loop that serves it. */
interface Running {
  readonly bound: BoundSocket;
  readonly loop: Promise<void>;
}

class Server implements RunningServer {
  failures: readonly BindError[];
  readonly traffic: LiveTraffic;
  #running: Running[] = [];
  #emit: EventSink;
  #explain: ExplainBinds;
  #ctx: DispatchContext;
  #abort = new AbortController();
  #connections = new ConnectionTable();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #force = new AbortController();
  #closing: Promise<CloseResult> | null = null;

  constructor(
    bound: readonly BoundSocket[],
    failures: readonly BindError[],
    emit: EventSink,
    explain: ExplainBinds,
    parts: Pick<DispatchContext, "now" | "services" | "udpGuard">,
    maxConnections: number,
  ) {
    this.failures = failures;
    this.#emit = emit;
    this.#explain = explain;
    let lastId = 0;
    this.#ctx = {
      ...parts,
      emit,
      signal: this.#abort.signal,
      connections: this.#connections,
      nextId: () => ++lastId,
      admission: new Admission(maxConnections),
      buffers: new BufferPool(),
      processes: new ProcessTable(),
      timeouts: new TimeoutSignals(this.#abort.signal),
      relays: new Set(),
    };
    const { relays } = this.#ctx;
    this.traffic = {
      eachConnection: (visit) => this.#connections.each(visit),
      eachSession: (visit) => {
        for (const { local, relay } of relays) {
          relay.eachSession?.((client, counts) => visit(local, client, counts));
        }
      },
    };
    this.#run(bound);
  }

  get sockets(): readonly ServingSocket[] {
    return this.#running.map(({ bound }) => servingSocket(bound));
  }

  get openConnections(): number {
    return this.#connections.size;
  }

  /** Starts serving newly bound sockets. */
  #run(bound: readonly BoundSocket[]): void {
    // One allocation for every UDP socket's receive buffer: its pages stay
    // untouched, costing no memory, until datagrams arrive.
    const udp = bound.filter((b) => b.transport === "udp").length;
    const slab = new Uint8Array(udp * MAX_DATAGRAM);
    let next = 0;
    for (const b of bound) {
      const faults = shownFaults(b);
      this.#emit({
        type: "listening",
        time: Date.now(),
        transport: b.transport,
        listener: b.listener.spec,
        service: b.listener.service,
        local: b.local,
        ...(faults === null ? {} : { faults }),
      });
      const loop = b.transport === "tcp"
        ? acceptLoop(b, this.#ctx)
        : receiveLoop(b, this.#ctx, slab.subarray(next * MAX_DATAGRAM, ++next * MAX_DATAGRAM));
      this.#running.push({ bound: b, loop });
    }
    this.#ownSocketsChanged();
  }

  /** Tells the UDP guard which socket names are muxd's own, and times the idle sweep. */
  #ownSocketsChanged(): void {
    this.#ctx.udpGuard.setOwn(
      this.#running.filter((r) => r.bound.transport === "udp").map((r) => r.bound.local),
    );
    clearInterval(this.#sweeper);
    const idle = this.#running
      .filter((r) => r.bound.transport === "tcp")
      .map((r) => r.bound.listener.limits.idleMs);
    if (idle.length === 0) return;
    // A quarter of the shortest idle time, so a connection closes at most 25 % late.
    const every = Math.min(5000, Math.max(50, Math.min(...idle) / 4));
    this.#sweeper = setInterval(() => this.#connections.sweep(), every);
  }

  /** Closes sockets and waits for their loops to end. */
  async #stop(running: readonly Running[]): Promise<void> {
    for (const r of running) r.bound.socket.close();
    await Promise.all(running.map((r) => r.loop));
    for (const { bound: b } of running) {
      this.#emit({
        type: "listener-closed",
        time: Date.now(),
        transport: b.transport,
        listener: b.listener.spec,
        service: b.listener.service,
        local: b.local,
      });
    }
  }

  async reconfigure(plan: Plan, options: ReconfigureOptions = {}): Promise<ReconfigureResult> {
    if (this.#closing) throw new Error("the server is closing");
    // Match each planned listener to a running one that is the same: socket
    // name, service, options and limits; one with the same faults first.
    const unmatched = [...this.#running];
    const added: PlannedListener[] = [];
    const refaulted: [Running, PlannedListener][] = [];
    for (const l of plan.listeners) {
      let i = unmatched.findIndex((r) =>
        sameListener(r.bound.listener, l) && sameFaults(r.bound.listener, l)
      );
      if (i === -1) {
        i = unmatched.findIndex((r) => sameListener(r.bound.listener, l));
        if (i !== -1) refaulted.push([unmatched[i], l]);
      }
      if (i === -1) added.push(l);
      else unmatched.splice(i, 1);
    }
    const removed = unmatched;
    // New socket names bind first, while everything old still serves; those
    // that take over a removed one's socket name bind after it is closed.
    const first = added.filter((l) => !removed.some((r) => sameSocketName(r.bound.listener, l)));
    const later = added.filter((l) => !first.includes(l));
    const explain = options.explain ?? this.#explain;
    // A new address of a running port-0 wildcard binds on the port its sockets have.
    const groupPorts = new Map<string, number>();
    for (const { bound: b } of this.#running) {
      const key = b.listener.port === 0 ? wildcardGroup(b.listener) : null;
      if (key !== null) groupPorts.set(key, b.local.port);
    }
    const { bound, failures } = bindAll(first, groupPorts);
    if (failures.length > 0) {
      for (const b of bound) b.socket.close();
      throw new StartError(await explained(failures, this.#listeners(), explain));
    }
    for (const [{ bound: b }, l] of refaulted) this.#changeFaults(b, l);
    await this.#stop(removed);
    // exec's programs end with their listener, not with their connections.
    await this.#ctx.processes.endAll(
      "reload",
      new Set(removed.map((r) => processKey(r.bound.transport, r.bound.local))),
    );
    this.#running = this.#running.filter((r) => !removed.includes(r));
    if (options.maxConnections !== undefined) {
      this.#ctx.admission.maxTotal = options.maxConnections;
    }
    const second = bindAll(later, groupPorts);
    this.#run([...bound, ...second.bound]);
    if (second.failures.length > 0) {
      const errors = await explained(second.failures, this.#listeners(), explain);
      this.failures = [...this.failures, ...errors];
      for (const f of errors) emitBindFailed(this.#emit, f);
    }
    return {
      added: bound.length + second.bound.length,
      removed: removed.length,
      kept: this.#running.length - bound.length - second.bound.length,
      faultsChanged: refaulted.map(([r]) => servingSocket(r.bound)),
      failures: second.failures.length,
      opened: [...bound, ...second.bound].map(servingSocket),
      closed: removed.map((r) => servingSocket(r.bound)),
    };
  }

  /**
   * Gives a running socket a listener that differs only in its faults: the
   * socket and its connections stay; the new faults, with a new seed (the
   * spec's, or a new random one), apply to what arrives from now on, since
   * dispatch reads `bound.faults` per connection and per datagram.
   */
  #changeFaults(b: BoundSocket, listener: PlannedListener): void {
    const before = b.listener.faults?.text ?? "";
    b.listener = listener;
    b.faults = startFaults(listener);
    this.#emit({
      type: "faults-changed",
      time: Date.now(),
      transport: b.transport,
      listener: listener.spec,
      service: listener.service,
      local: b.local,
      before,
      after: listener.faults?.text ?? "",
      seed: b.faults?.seed ?? null,
    });
  }

  /** The listeners of every socket it serves. */
  #listeners(): PlannedListener[] {
    return this.#running.map((r) => r.bound.listener);
  }

  close(options: CloseOptions = {}): Promise<CloseResult> {
    if (this.#closing) {
      this.#force.abort();
      return this.#closing;
    }
    this.#closing = this.#shutdown(options.graceMs ?? 5000);
    return this.#closing;
  }

  async #shutdown(graceMs: number): Promise<CloseResult> {
    this.#abort.abort();
    await this.#stop(this.#running);
    await this.#connections.drain(graceMs, this.#force.signal);
    const forced = this.#connections.size;
    // No program exec started outlives muxd: those still running after the
    // grace period (UDP's too) are ended, with their process groups, and
    // waited for. They are ended first, so that each says muxd's shutdown
    // ended it, not its connection's close.
    const ending = this.#ctx.processes.endAll("shutdown");
    this.#connections.closeAll();
    await ending;
    await this.#connections.drain(1000);
    clearInterval(this.#sweeper);
    this.#ctx.timeouts.close();
    return { forced };
  }
}
