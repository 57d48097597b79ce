/**
 * A running muxd: bind every planned listener, run one loop per socket, and
 * shut down gracefully. All state lives in the object `start()` returns.
 *
 * @module
 */

import { bindAll, type BoundSocket } from "../bind/bind.ts";
import type { BindError } from "../bind/bind_error.ts";
import type { EventSink } from "../events/event.ts";
import { type Plan, type PlannedListener, sameListener, sameSocketName } from "../plan/plan.ts";
import { Admission } from "../guard/admission.ts";
import { UdpGuard } from "../guard/udp_guard.ts";
import type { ServiceName } from "../services/names.ts";
import { SERVICES } from "../services/registry.ts";
import { type DescribeHolders, explainBindFailure } from "../check/explain.ts";
import { type HostFacts, readHostFacts } from "../check/host_facts.ts";
import { describeHolders, findHolders } from "../holder/mod.ts";
import type { Service } from "../services/service.ts";
import type { PortRange, SocketName, Transport } from "../spec/types.ts";
import { acceptLoop } from "../dispatch/tcp.ts";
import { MAX_DATAGRAM, receiveLoop } from "../dispatch/udp.ts";
import { ConnectionTable } from "../dispatch/connections.ts";
import type { DispatchContext } from "../dispatch/context.ts";
import { BufferPool } from "../services/buffer_pool.ts";

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
   * The host facts used to explain bind failures.
   * @default read from the host when a bind fails
   */
  readonly facts?: HostFacts;
  /**
   * Names who holds a port, for "address in use".
   * @default a lookup in the OS's socket tables
   */
  readonly holders?: DescribeHolders;
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
  /**
   * Open TCP connections at most, over every listener, from now on; open
   * connections above it stay. @default unchanged
   */
  readonly maxConnections?: number;
  /** The host facts used to explain bind failures. @default read from the host */
  readonly facts?: HostFacts;
  /** Names who holds a port. @default a lookup in the OS's socket tables */
  readonly holders?: DescribeHolders;
}

/** What a reconfiguration changed. */
export interface ReconfigureResult {
  /** Listeners newly bound. */
  readonly added: number;
  /** Listeners closed because the new plan no longer has them. */
  readonly removed: number;
  /** Listeners that kept their sockets and connections. */
  readonly kept: number;
  /** New listeners that took over a removed one's socket name and failed to bind. */
  readonly failures: number;
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
   * Stops accepting, lets open connections finish for the grace period, then
   * closes the rest. Calling it again while it runs ends the grace period at
   * once (a second Ctrl-C).
   */
  close(options?: CloseOptions): Promise<CloseResult>;
  /**
   * Switches to a new plan: listeners that did not change (the same socket
   * name, service, options and limits) keep their sockets and connections, removed ones stop accepting, new ones bind.
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
 * const { plan } = buildPlan([
 *   { text: "tcp://127.0.0.1:0=echo", source: { kind: "argument", index: 1 } },
 * ]);
 * const server = await start(plan);
 * console.log(server.sockets[0].local.port); // the port the OS picked
 * await server.close();
 * ```
 */
export async function start(plan: Plan, options: StartOptions = {}): Promise<RunningServer> {
  const emit = options.sink ?? (() => {});
  const result = bindAll(plan.listeners);
  const { bound } = result;
  let failures = result.failures;
  if (failures.length > 0) {
    const facts = options.facts ?? await readHostFacts();
    const earlier = bound.map((b) => b.listener);
    const holders = options.holders ?? holdersOn(facts);
    failures = await Promise.all(
      failures.map((f) => explainBindFailure(f, { earlier, facts, holders })),
    );
  }
  for (const failure of failures) emitBindFailed(emit, failure);
  if ((failures.length > 0 && !options.keepGoing) || bound.length === 0) {
    for (const b of bound) b.socket.close();
    throw new StartError(failures);
  }
  const range = options.ephemeralPorts;
  const udpGuard = new UdpGuard([], range instanceof Promise ? undefined : range);
  if (range instanceof Promise) void range.then((r) => udpGuard.setEphemeralPorts(r));
  return new Server(bound, failures, emit, {
    now: options.now ?? (() => new Date()),
    services: options.services ?? SERVICES,
    udpGuard,
  }, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
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

/** The default holder lookup: who holds a port, from the OS's socket tables (`ss`). */
function holdersOn(facts: HostFacts): DescribeHolders {
  return async (query) =>
    describeHolders(await findHolders(query, { bindV6Only: facts.bindV6Only }), query);
}

/** One bound socket and the loop that serves it. */
interface Running {
  readonly bound: BoundSocket;
  readonly loop: Promise<void>;
}

class Server implements RunningServer {
  failures: readonly BindError[];
  #running: Running[] = [];
  #emit: EventSink;
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
    parts: Pick<DispatchContext, "now" | "services" | "udpGuard">,
    maxConnections: number,
  ) {
    this.failures = failures;
    this.#emit = emit;
    let lastId = 0;
    this.#ctx = {
      ...parts,
      emit,
      signal: this.#abort.signal,
      connections: this.#connections,
      nextId: () => ++lastId,
      admission: new Admission(maxConnections),
      buffers: new BufferPool(),
    };
    this.#run(bound);
  }

  get sockets(): readonly ServingSocket[] {
    return this.#running.map(({ bound: b }) => ({
      transport: b.transport,
      local: b.local,
      service: b.listener.service,
      spec: b.listener.spec,
    }));
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
      this.#emit({
        type: "listening",
        time: Date.now(),
        transport: b.transport,
        listener: b.listener.spec,
        service: b.listener.service,
        local: b.local,
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
    // name, service, options and limits.
    const unmatched = [...this.#running];
    const added: PlannedListener[] = [];
    for (const l of plan.listeners) {
      const i = unmatched.findIndex((r) => sameListener(r.bound.listener, l));
      if (i === -1) added.push(l);
      else unmatched.splice(i, 1);
    }
    const removed = unmatched;
    // New socket names bind first, while everything old still serves; those
    // that take over a removed one's socket name bind after it is closed.
    const first = added.filter((l) => !removed.some((r) => sameSocketName(r.bound.listener, l)));
    const later = added.filter((l) => !first.includes(l));
    const { bound, failures } = bindAll(first);
    if (failures.length > 0) {
      for (const b of bound) b.socket.close();
      throw new StartError(await this.#explain(failures, options));
    }
    await this.#stop(removed);
    this.#running = this.#running.filter((r) => !removed.includes(r));
    if (options.maxConnections !== undefined) {
      this.#ctx.admission.maxTotal = options.maxConnections;
    }
    const second = bindAll(later);
    this.#run([...bound, ...second.bound]);
    if (second.failures.length > 0) {
      const explained = await this.#explain(second.failures, options);
      this.failures = [...this.failures, ...explained];
      for (const f of explained) this.#emitBindFailed(f);
    }
    return {
      added: bound.length + second.bound.length,
      removed: removed.length,
      kept: this.#running.length - bound.length - second.bound.length,
      failures: second.failures.length,
    };
  }

  async #explain(
    failures: readonly BindError[],
    options: ReconfigureOptions,
  ): Promise<BindError[]> {
    const facts = options.facts ?? await readHostFacts();
    const earlier = this.#running.map((r) => r.bound.listener);
    const holders = options.holders ?? holdersOn(facts);
    return await Promise.all(
      failures.map((f) => explainBindFailure(f, { earlier, facts, holders })),
    );
  }

  #emitBindFailed(failure: BindError): void {
    emitBindFailed(this.#emit, failure);
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
    this.#connections.closeAll();
    await this.#connections.drain(1000);
    clearInterval(this.#sweeper);
    return { forced };
  }
}
