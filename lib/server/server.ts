/**
 * A running muxd: bind every planned listener, run one loop per socket, and
 * shut down gracefully. All state lives in the object `start()` returns.
 *
 * @module
 */

import { bindAll, bindOne, type BoundSocket, type FailedBind, startFaults } from "../bind/bind.ts";
import { BindError } from "../bind/bind_error.ts";
import { keepFilesFree } from "../bind/files_kept_free.ts";
import { type ExplainBinds, explainPlainly } from "../explain/plain.ts";
import type { EventSink, ListenerOrigin } from "../events/event.ts";
import {
  needsReset,
  type Plan,
  type PlannedListener,
  sameFaults,
  sameSocketName,
} from "../plan/plan.ts";
import { wildcardGroup } from "../plan/udp_wildcard.ts";
import { Admission } from "../guard/admission.ts";
import { UdpGuard } from "../guard/udp_guard.ts";
import { SERVICES } from "../services/registry.ts";
import { acceptLoop } from "../dispatch/tcp.ts";
import { MAX_DATAGRAM, receiveLoop } from "../dispatch/udp.ts";
import { RepliesOnTheWay } from "../dispatch/replies_on_the_way.ts";
import { ConnectionTable } from "../dispatch/connections.ts";
import { RelayLineage } from "../dispatch/relay_lineage.ts";
import { ReceiveBuffers } from "../dispatch/receive_buffers.ts";
import type { DispatchContext } from "../dispatch/context.ts";
import type { LiveTraffic } from "../dispatch/live_traffic.ts";
import { BufferPool } from "../services/buffer_pool.ts";
import { processKey, ProcessTable } from "../services/process_table.ts";
import { TimeoutSignals } from "../services/timeout_signals.ts";
import { type ListenEntry, planEntries, SpecError } from "./listen_entries.ts";
import { checkRelayLoops } from "../plan/relay_loop.ts";
import { type FaultsInput, withFaults } from "./fault_change.ts";
import { listenerId } from "./listener_id.ts";
import { reconcile } from "./reconcile.ts";
import { ServerClosedError, UnknownListenerError } from "./listener_errors.ts";
import {
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
  type StartOptions,
} from "./running_server.ts";

/**
 * Binds every listener of the plan and starts serving. An empty plan starts
 * a server with no listeners, for `add()` to give it some.
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
  const all = bindAll(plan.listeners);
  const { bound, failures: failed } = options.keepGoing ? keepFilesFree(all, plan.listeners) : all;
  const stops = failed.length > 0 && (!options.keepGoing || bound.length === 0);
  // Closed before the failures are explained: the explanation opens files
  // of its own (ss, the host's interfaces), and a bind that failed for want
  // of file descriptors (EMFILE) left none for it.
  if (stops) { for (const b of bound) b.socket.close(); }
  const failures = await explained(failed, bound.map((b) => b.listener), explain);
  for (const failure of failures) emitBindFailed(emit, failure);
  if (stops) throw new StartError(failures);
  const range = options.ephemeralPorts;
  const udpGuard = new UdpGuard(
    [],
    range instanceof Promise ? undefined : range,
    options.connectedPeers ?? null,
  );
  if (range instanceof Promise) void range.then((r) => udpGuard.setEphemeralPorts(r));
  return new Server(bound, failures, emit, explain, {
    now: options.now ?? (() => new Date()),
    services: options.services ?? SERVICES,
    udpGuard,
    // Without a sink, nothing is wanted.
    wanted: options.sink === undefined ? () => false : options.wanted ?? (() => true),
  }, {
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    origin: options.origin ?? "config",
    allowPublic: options.allowPublic ?? false,
    interfaces: options.interfaces ?? [],
    bindV6Only: once(options.bindV6Only ?? false),
    keepGoing: options.keepGoing ?? false,
  });
}

/** A setting given as a value, a promise or a function, as a function that asks at most once. */
function once<T>(given: T | Promise<T> | (() => Promise<T>)): () => Promise<T> {
  let asked: Promise<T> | null = null;
  return () =>
    asked ??= typeof given === "function" ? (given as () => Promise<T>)() : Promise.resolve(given);
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
    origin: l.origin,
  });
}

/** What a running listener is, as the server reports it. */
function servingSocket(r: Running): ServingSocket {
  const b = r.bound;
  return {
    id: r.id,
    origin: r.origin,
    transport: b.transport,
    local: b.local,
    service: b.listener.service,
    spec: b.listener.spec,
    wildcard: b.listener.wildcard === null ? null : b.listener.origin,
    faults: shownFaults(b),
    faultsBy: r.faultsBy,
  };
}

/** A bound socket's faults now, as events and reports show them, or `null`. */
function shownFaults(b: BoundSocket): ShownFaults | null {
  return b.faults === null ? null : { text: b.faults.faults.text, seed: b.faults.seed };
}

/** One running listener: its socket, the loop that serves it, and who made it. */
interface Running {
  /** The socket; a new one when `setFaults()` binds it anew. */
  bound: BoundSocket;
  /** The loop that serves `bound`. */
  loop: Promise<void>;
  readonly id: string;
  readonly origin: ListenerOrigin;
  /** For `config`: the listener as the config planned it; `null` for `api`. */
  config: PlannedListener | null;
  /** Who set the faults in force. */
  faultsBy: ListenerOrigin;
  /** Its open TCP connections, so that removing it can close them. */
  readonly connections: ConnectionTable;
  /** What its loop is given: the server's parts, with its own connection table. */
  readonly ctx: DispatchContext;
}

/** What {@linkcode Server} needs besides its sockets and parts. */
interface ServerPolicy {
  readonly maxConnections: number;
  readonly origin: ListenerOrigin;
  readonly allowPublic: boolean;
  readonly interfaces: readonly Deno.NetworkInterfaceInfo[];
  /** `net.ipv6.bindv6only`, for the ring check of new relays, asked once; it must not reject. */
  readonly bindV6Only: () => Promise<boolean>;
  /** Whether a reconfiguration serves what bound, as `start()` did (its `keepGoing`). */
  readonly keepGoing: boolean;
}

class Server implements RunningServer {
  failures: readonly BindError[];
  readonly traffic: LiveTraffic;
  #running: Running[] = [];
  #emit: EventSink;
  #explain: ExplainBinds;
  #policy: ServerPolicy;
  /** What every listener's loop shares; each gets its own connection table and UDP replies. */
  #ctx: Omit<DispatchContext, "connections" | "udpReplies">;
  #abort = new AbortController();
  /** Every connection table with connections that may be open, live listeners' and closed ones'. */
  #tables = new Set<ConnectionTable>();
  /** Tables that `remove()` drains and closes, and shutdown waits for. */
  #removals = new Map<ConnectionTable, Promise<unknown>>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  /** Every UDP socket's receive buffer, cut from slabs that cost no memory until datagrams arrive. */
  #receiveBuffers = new ReceiveBuffers();
  #force = new AbortController();
  #closing: Promise<CloseResult> | null = null;
  /** Changes to the set of listeners, one at a time. */
  #changes: Promise<unknown> = Promise.resolve();

  constructor(
    bound: readonly BoundSocket[],
    failures: readonly BindError[],
    emit: EventSink,
    explain: ExplainBinds,
    parts: Pick<DispatchContext, "now" | "services" | "udpGuard" | "wanted">,
    policy: ServerPolicy,
  ) {
    this.failures = failures;
    this.#emit = emit;
    this.#explain = explain;
    this.#policy = policy;
    let lastId = 0;
    this.#ctx = {
      ...parts,
      emit,
      signal: this.#abort.signal,
      nextId: () => ++lastId,
      admission: new Admission(policy.maxConnections),
      buffers: new BufferPool(),
      processes: new ProcessTable(),
      timeouts: new TimeoutSignals(this.#abort.signal),
      relays: new Set(),
      relayLineage: new RelayLineage(),
    };
    const { relays } = this.#ctx;
    parts.udpGuard.spareRelaySockets(this.#ctx.relayLineage);
    this.traffic = {
      eachConnection: (visit) => {
        for (const table of this.#tables) table.each(visit);
      },
      eachSession: (visit) => {
        for (const { local, relay } of relays) {
          relay.eachSession?.((client, counts) => visit(local, client, counts));
        }
      },
    };
    this.#run(bound, policy.origin);
  }

  get sockets(): readonly ServingSocket[] {
    return this.#running.map(servingSocket);
  }

  get openConnections(): number {
    let open = 0;
    for (const table of this.#tables) open += table.size;
    return open;
  }

  /** Starts serving newly bound sockets, made by `origin`. */
  #run(bound: readonly BoundSocket[], origin: ListenerOrigin): Running[] {
    const ids = new Set(this.#running.map((r) => r.id));
    const started: Running[] = [];
    for (const b of bound) {
      const id = listenerId(b.transport, b.local, ids);
      ids.add(id);
      const connections = new ConnectionTable();
      this.#tables.add(connections);
      const r: Running = {
        bound: b,
        loop: Promise.resolve(),
        id,
        origin,
        config: origin === "config" ? b.listener : null,
        faultsBy: origin,
        connections,
        ctx: { ...this.#ctx, connections, udpReplies: new RepliesOnTheWay() },
      };
      if (b.transport === "udp") {
        // The slot goes back once the loop has ended: no receive holds it then.
        const buffer = this.#receiveBuffers.take();
        r.loop = this.#serve(r, buffer).finally(() => this.#receiveBuffers.give(buffer));
      } else r.loop = this.#serve(r, null);
      this.#running.push(r);
      started.push(r);
    }
    this.#ownSocketsChanged();
    return started;
  }

  /** Says a socket is listening and runs its loop. */
  #serve(r: Running, buffer: Uint8Array | null): Promise<void> {
    const b = r.bound;
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
    return b.transport === "tcp"
      ? acceptLoop(b, r.ctx)
      : receiveLoop(b, r.ctx, buffer ?? new Uint8Array(MAX_DATAGRAM));
  }

  /** Tells the UDP guard which socket names are muxd's own, and times the idle sweep. */
  #ownSocketsChanged(): void {
    this.#ctx.udpGuard.setOwn(
      this.#running.filter((r) => r.bound.transport === "udp").map((r) => r.bound.local),
    );
    // Tables of closed listeners whose connections have all ended are forgotten.
    const live = new Set(this.#running.map((r) => r.connections));
    for (const table of this.#tables) {
      if (table.size === 0 && !live.has(table) && !this.#removals.has(table)) {
        this.#tables.delete(table);
      }
    }
    clearInterval(this.#sweeper);
    const idle = this.#running
      .filter((r) => r.bound.transport === "tcp")
      .map((r) => r.bound.listener.limits.idleMs);
    if (idle.length === 0) return;
    // A quarter of the shortest idle time, so a connection closes at most 25 % late.
    const every = Math.min(5000, Math.max(50, Math.min(...idle) / 4));
    this.#sweeper = setInterval(() => {
      for (const table of this.#tables) table.sweep();
    }, every);
  }

  /** Closes sockets and waits for their loops to end. */
  async #stop(running: readonly Running[]): Promise<void> {
    for (const r of running) {
      r.ctx.udpReplies.close();
      r.bound.socket.close();
    }
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

  /** Runs a change of the set of listeners after those before it. */
  #change<T>(operation: string, change: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (this.#closing) throw new ServerClosedError(operation);
      return await change();
    };
    const done = this.#changes.then(run, run);
    this.#changes = done.catch(() => {});
    return done;
  }

  /** The running listener with this id. */
  #find(id: string): Running {
    const r = this.#running.find((r) => r.id === id);
    if (r === undefined) throw new UnknownListenerError(id);
    return r;
  }

  reconfigure(plan: Plan, options: ReconfigureOptions = {}): Promise<ReconfigureResult> {
    return this.#change("reconfigure()", () => this.#reconfigure(plan, options));
  }

  async #reconfigure(plan: Plan, options: ReconfigureOptions): Promise<ReconfigureResult> {
    const bindV6Only = await this.#policy.bindV6Only();
    const { kept, refaulted, added, removed, takenOver } = reconcile(
      this.#running.map((r) => ({
        ...r,
        current: r.bound.listener,
        port: r.bound.local.port,
        running: r,
      })),
      plan,
    );
    const of = (r: { running: Running }) => r.running;
    // A relay of the new config may lead back to itself through a listener
    // added by the API, which stays.
    const leaving = new Set(removed.map(of));
    const staying = this.#running.filter((r) => r.origin === "api" && !leaving.has(r));
    const rings = checkRelayLoops(
      [...staying.map(asBound), ...plan.listeners],
      { interfaces: this.#policy.interfaces, bindV6Only },
      new Set(plan.listeners),
    );
    if (rings.length > 0) throw new SpecError(rings);
    // New socket names bind first, while everything old still serves; those
    // that take over a removed one's socket name bind after it is closed.
    const first = added.filter((l) =>
      !removed.some((r) => sameSocketName(r.running.bound.listener, l))
    );
    const later = added.filter((l) => !first.includes(l));
    const explain = options.explain ?? this.#explain;
    // A new address of a running port-0 wildcard binds on the port its sockets have.
    const groupPorts = new Map<string, number>();
    for (const { bound: b } of this.#running) {
      const key = b.listener.port === 0 ? wildcardGroup(b.listener) : null;
      if (key !== null) groupPorts.set(key, b.local.port);
    }
    const goOn = options.keepGoing ?? this.#policy.keepGoing;
    const firstBound = bindAll(first, groupPorts);
    // Everything running serves while these bind.
    const { bound, failures } = goOn
      ? keepFilesFree(firstBound, first, this.#running.length)
      : firstBound;
    // Failures of the new names: explained, then the reload is refused, or
    // (keepGoing, as at start-up) the rest of it goes on without them,
    // unless nothing of the new config would serve.
    let unbound: BindError[] = [];
    if (failures.length > 0) {
      const keepGoing = goOn && bound.length + kept.length + refaulted.length + later.length > 0;
      if (!keepGoing) { for (const b of bound) b.socket.close(); }
      // Explained against the set as the new config has it: a kept listener
      // by its new entry (its position in the file now), and the new ones
      // that did bind, which a later one may clash with.
      const next = new Map([...kept, ...refaulted].map(([r, l]) => [of(r), l]));
      const earlier = [
        ...this.#running.map((r) => next.get(r) ?? r.bound.listener),
        ...bound.map((b) => b.listener),
      ];
      unbound = await explained(failures, earlier, explain);
      // A stop that came while they were explained (ss, sysctl: the slow
      // part) ends the change here, before anything of it is applied: no
      // listener is added to a server that is closing.
      if (this.#abort.signal.aborted) {
        if (keepGoing) { for (const b of bound) b.socket.close(); }
        throw new ServerClosedError("reconfigure()");
      }
      if (!keepGoing) throw new StartError(unbound);
    }
    // Faults that add or remove resets bind those sockets anew, before any
    // other change: when one cannot be bound, the reload stops there, and
    // that listener keeps its old faults (and config) on its old kind of socket.
    const rebound = new Set<Running>();
    for (const [r, l] of refaulted) {
      if (needsReset(l) === needsReset(of(r).bound.listener)) continue;
      try {
        await this.#rebind(of(r), l, "config");
      } catch (error) {
        for (const b of bound) b.socket.close();
        throw error;
      }
      of(r).config = l;
      rebound.add(of(r));
    }
    for (const [r, l] of kept) of(r).config = l;
    for (const [r, l] of refaulted) {
      if (rebound.has(of(r))) continue;
      of(r).config = l;
      this.#changeFaults(of(r), l, "config");
    }
    for (const [r, l] of takenOver) {
      const b = of(r).bound;
      this.#emit({
        type: "listener-replaced",
        time: Date.now(),
        transport: b.transport,
        listener: l.spec,
        service: l.service,
        local: b.local,
        replaced: b.listener.spec,
      });
    }
    const closed = removed.map(of);
    await this.#stop(closed);
    // exec's programs end with their listener, not with their connections.
    // Those running now are ended; the socket names that the new config
    // binds again do not wait for their exit (up to the 1 s before SIGKILL),
    // for which they would refuse every connection.
    const ending = this.#ctx.processes.endAll(
      "reload",
      new Set(closed.map((r) => processKey(r.bound.transport, r.bound.local))),
    );
    this.#running = this.#running.filter((r) => !closed.includes(r));
    if (options.maxConnections !== undefined) {
      this.#ctx.admission.maxTotal = options.maxConnections;
    }
    const secondBound = bindAll(later, groupPorts);
    const second = goOn
      ? keepFilesFree(secondBound, later, this.#running.length + bound.length)
      : secondBound;
    const opened = this.#run([...bound, ...second.bound], "config");
    // A stop ends this wait: the shutdown, which waits for this change, closes
    // the listeners at once and waits for every program itself.
    await untilAborted(ending, this.#abort.signal);
    // Every other entry of the new config serves now: the earlier failures
    // bound this time, or left the config, or failed again above.
    if (second.failures.length > 0) {
      unbound = [...unbound, ...await explained(second.failures, this.#listeners(), explain)];
    }
    // A stop that came while the old programs ended (1 s for one that
    // ignores SIGTERM) or these failures were explained closes what this
    // change opened: the change reports nothing added to a closing server.
    if (this.#abort.signal.aborted) throw new ServerClosedError("reconfigure()");
    this.failures = unbound;
    for (const f of unbound) emitBindFailed(this.#emit, f);
    return {
      added: opened.length,
      removed: closed.length,
      kept: this.#running.length - opened.length,
      faultsChanged: refaulted.map(([r]) => servingSocket(of(r))),
      rebound: [...rebound].map(servingSocket),
      apiFaultsKept: kept.filter(([r]) => of(r).faultsBy === "api").map(([r]) =>
        servingSocket(of(r))
      ),
      replaced: takenOver.map(([r]) => servingSocket(of(r))),
      failures: unbound.length,
      opened: opened.map(servingSocket),
      closed: closed.map(servingSocket),
    };
  }

  add(
    specs: ListenEntry | readonly ListenEntry[],
    options: AddOptions = {},
  ): Promise<readonly ServingSocket[]> {
    const caller = options.caller ?? "add()";
    return this.#change(caller, async () => {
      const entries = (Array.isArray(specs) ? specs : [specs]) as readonly ListenEntry[];
      const { plan } = planEntries(entries, {
        caller,
        allowPublic: this.#policy.allowPublic,
        interfaces: this.#policy.interfaces,
        bindV6Only: await this.#policy.bindV6Only(),
        running: this.#running.map(asBound),
      });
      const { bound, failures } = bindAll(plan.listeners);
      if (failures.length > 0) {
        for (const b of bound) b.socket.close();
        // A spec may clash with another of the same call, which did bind.
        const earlier = [...this.#listeners(), ...bound.map((b) => b.listener)];
        const errors = await explained(failures, earlier, this.#explain);
        for (const f of errors) emitBindFailed(this.#emit, f);
        throw new StartError(errors);
      }
      return this.#run(bound, "api").map(servingSocket);
    });
  }

  async remove(id: string, options: RemoveOptions = {}): Promise<RemoveResult> {
    // The socket closes in the line of changes; the drain, which may take
    // long and concerns this listener only, runs beside it.
    const { r, open, drained } = await this.#change(options.caller ?? "remove()", async () => {
      const r = this.#find(id);
      this.#running = this.#running.filter((x) => x !== r);
      await this.#stop([r]);
      // exec's programs end with their listener, not with their connections.
      await this.#ctx.processes.endAll(
        "removed",
        new Set([processKey(r.bound.transport, r.bound.local)]),
      );
      this.#ownSocketsChanged();
      const open = r.connections.size;
      const drained = this.#drain(r.connections, options.drainMs ?? 0);
      this.#removals.set(r.connections, drained);
      return { r, open, drained };
    });
    return { socket: servingSocket(r), open, forced: await drained };
  }

  /**
   * Lets a removed listener's connections go on for `drainMs` (less if the
   * server starts closing), then closes those left and waits for them to end.
   *
   * @returns How many it closed.
   */
  async #drain(table: ConnectionTable, drainMs: number): Promise<number> {
    if (drainMs > 0) await table.drain(drainMs, this.#abort.signal);
    const forced = table.size;
    table.closeAll();
    await table.drain(1000);
    this.#removals.delete(table);
    this.#tables.delete(table);
    return forced;
  }

  setFaults(
    id: string,
    faults: FaultsInput,
    options: SetFaultsOptions = {},
  ): Promise<ServingSocket> {
    const caller = options.caller ?? "setFaults()";
    return this.#change(caller, async () => {
      const r = this.#find(id);
      const current = r.bound.listener;
      const listener = withFaults(current, faults, caller);
      if (needsReset(listener) !== needsReset(current)) await this.#rebind(r, listener, "api");
      else if (!sameFaults(current, listener)) this.#changeFaults(r, listener, "api");
      // The same faults again change nothing, but they are the API's now.
      else r.faultsBy = "api";
      return servingSocket(r);
    });
  }

  /**
   * Binds a running TCP listener's socket anew, on the port it has, for
   * faults that need the other kind of socket (see {@linkcode needsReset}).
   * Its open connections stay. If the new socket cannot be bound, the old
   * kind is bound again; if even that fails, the listener is gone.
   *
   * @param r The listener.
   * @param listener Its new plan.
   * @param by Who changed its faults.
   * @throws {StartError} When the new socket cannot be bound.
   */
  async #rebind(r: Running, listener: PlannedListener, by: ListenerOrigin): Promise<void> {
    const before = r.bound.listener;
    const was = r.faultsBy;
    const port = r.bound.local.port;
    await this.#stop([r]);
    let fresh: BoundSocket;
    try {
      fresh = bindOne({ ...listener, port });
    } catch (cause) {
      const [error] = await explained([{ listener, cause }], this.#listeners(), this.#explain);
      try {
        r.bound = { ...bindOne({ ...before, port }), listener: before } as BoundSocket;
        r.loop = this.#serve(r, null);
      } catch (lost) {
        // Not even the old kind binds again: the listener is gone, and says why.
        this.#running = this.#running.filter((x) => x !== r);
        const [gone] = await explained(
          [{ listener: before, cause: lost }],
          this.#listeners(),
          this.#explain,
        );
        emitBindFailed(this.#emit, gone);
        this.#ownSocketsChanged();
      }
      throw new StartError([error]);
    }
    fresh.listener = listener;
    r.bound = fresh;
    r.faultsBy = by;
    r.loop = this.#serve(r, null);
    this.#emitFaultsChanged(r, before, by, was);
  }

  /**
   * Gives a running socket a listener that differs only in its faults: the
   * socket and its connections stay; the new faults, with a new seed (the
   * spec's, or a new random one), apply to what arrives from now on, since
   * dispatch reads `bound.faults` per connection and per datagram.
   */
  #changeFaults(r: Running, listener: PlannedListener, by: ListenerOrigin): void {
    const b = r.bound;
    const before = b.listener;
    const was = r.faultsBy;
    b.listener = listener;
    b.faults = startFaults(listener);
    r.faultsBy = by;
    this.#emitFaultsChanged(r, before, by, was);
  }

  #emitFaultsChanged(
    r: Running,
    before: PlannedListener,
    by: ListenerOrigin,
    was: ListenerOrigin,
  ): void {
    const b = r.bound;
    this.#emit({
      type: "faults-changed",
      time: Date.now(),
      transport: b.transport,
      listener: b.listener.spec,
      service: b.listener.service,
      local: b.local,
      before: before.faults?.text ?? "",
      after: b.listener.faults?.text ?? "",
      seed: b.faults?.seed ?? null,
      by,
      was,
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
    this.#closing = this.#shutdown(options.graceMs ?? 5000, options.onUnbound);
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ graceMs: 0 });
  }

  async #shutdown(graceMs: number, onUnbound?: () => void): Promise<CloseResult> {
    this.#abort.abort();
    // The UDP loop rule's lookups (ss) end now; waited for at the end.
    const lookups = this.#ctx.udpGuard.close();
    // A change under way finishes first (removals end their drains at once).
    await this.#changes;
    // A UDP socket with replies on their way (a program exec runs for a
    // datagram) stays open for them within the grace period, as open TCP
    // connections may finish; it answers no datagram that comes meanwhile.
    const answering = this.#running.filter((r) => r.ctx.udpReplies.size > 0);
    const grace = new AbortController();
    const timer = answering.length > 0 ? setTimeout(() => grace.abort(), graceMs) : undefined;
    const endGrace = () => grace.abort();
    this.#force.signal.addEventListener("abort", endGrace, { once: true });
    // A second close() (signal) that came before this point ends it too.
    if (this.#force.signal.aborted) grace.abort();
    // A socket's port is free once its loop has ended (a pending accept holds
    // a closed listener's socket until then): that is when onUnbound is told.
    await this.#stop(this.#running.filter((r) => !answering.includes(r)));
    // What onUnbound throws is the caller's to learn, once all is closed.
    const unbound = (async (): Promise<{ readonly failed: unknown } | null> => {
      await Promise.all(answering.map((r) => r.ctx.udpReplies.settled(grace.signal)));
      await this.#stop(answering);
      try {
        onUnbound?.();
        return null;
      } catch (error) {
        return { failed: error };
      }
    })();
    await Promise.all(this.#removals.values());
    const tables = [...this.#tables];
    await Promise.all([...tables.map((t) => t.drain(graceMs, this.#force.signal)), unbound]);
    clearTimeout(timer);
    this.#force.signal.removeEventListener("abort", endGrace);
    const forced = tables.reduce((n, t) => n + t.size, 0);
    // No program exec started outlives muxd: those still running after the
    // grace period (UDP's too) are ended, with their process groups, and
    // waited for. They are ended first, so that each says muxd's shutdown
    // ended it, not its connection's close.
    const ending = this.#ctx.processes.endAll("shutdown");
    for (const t of tables) t.closeAll();
    await ending;
    await Promise.all(tables.map((t) => t.drain(1000)));
    clearInterval(this.#sweeper);
    this.#ctx.timeouts.close();
    await lookups;
    const unboundOutcome = await unbound;
    if (unboundOutcome !== null) throw unboundOutcome.failed;
    return { forced };
  }
}

/** Waits for `promise`, or until `signal` is aborted, whichever comes first. */
async function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  const aborted = Promise.withResolvers<void>();
  const stop = () => aborted.resolve();
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  try {
    await Promise.race([promise, aborted.promise]);
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/**
 * A running listener's plan with the socket name it bound: port 0 resolved
 * (in its spec too, which messages show), an interface's address in place.
 */
function asBound({ bound }: Running): PlannedListener {
  const { address, port } = bound.local;
  const listener = bound.listener;
  return {
    ...listener,
    hostname: address,
    port,
    spec: listener.port === 0 ? listener.spec.replace(":0=", `:${port}=`) : listener.spec,
  };
}
