/**
 * A running muxd: bind every planned listener, run one loop per socket, and
 * shut down gracefully. All state lives in the object `start()` returns.
 *
 * @module
 */

import { bindAll, type BoundSocket } from "../bind/bind.ts";
import type { BindError } from "../bind/bind_error.ts";
import type { EventSink } from "../events/event.ts";
import type { Plan } from "../plan/plan.ts";
import type { ServiceName } from "../services/names.ts";
import { SERVICES } from "../services/registry.ts";
import type { Service } from "../services/service.ts";
import type { SocketName, Transport } from "../spec/types.ts";
import { acceptLoop } from "../dispatch/tcp.ts";
import { receiveLoop } from "../dispatch/udp.ts";
import { ConnectionTable } from "../dispatch/connections.ts";
import type { DispatchContext } from "../dispatch/context.ts";

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
  /** Listeners that could not be bound (only with `keepGoing`). */
  readonly failures: readonly BindError[];
  /** How many TCP connections are open now. */
  readonly openConnections: number;
  /**
   * Stops accepting, lets open connections finish for the grace period, then
   * closes the rest. Calling it again while it runs ends the grace period at
   * once (a second Ctrl-C).
   */
  close(options?: CloseOptions): Promise<CloseResult>;
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
export function start(plan: Plan, options: StartOptions = {}): Promise<RunningServer> {
  const emit = options.sink ?? (() => {});
  const { bound, failures } = bindAll(plan.listeners);
  for (const failure of failures) {
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
  if ((failures.length > 0 && !options.keepGoing) || bound.length === 0) {
    for (const b of bound) b.socket.close();
    return Promise.reject(new StartError(failures));
  }
  return Promise.resolve(
    new Server(bound, failures, emit, {
      now: options.now ?? (() => new Date()),
      services: options.services ?? SERVICES,
    }),
  );
}

class Server implements RunningServer {
  readonly sockets: readonly ServingSocket[];
  readonly failures: readonly BindError[];
  #bound: readonly BoundSocket[];
  #emit: EventSink;
  #abort = new AbortController();
  #connections = new ConnectionTable();
  #loops: Promise<void>[];
  #force = new AbortController();
  #closing: Promise<CloseResult> | null = null;

  constructor(
    bound: readonly BoundSocket[],
    failures: readonly BindError[],
    emit: EventSink,
    parts: Pick<DispatchContext, "now" | "services">,
  ) {
    this.#bound = bound;
    this.failures = failures;
    this.#emit = emit;
    this.sockets = bound.map((b) => ({
      transport: b.transport,
      local: b.local,
      service: b.listener.service,
      spec: b.listener.spec,
    }));
    let lastId = 0;
    const ctx: DispatchContext = {
      ...parts,
      emit,
      signal: this.#abort.signal,
      connections: this.#connections,
      nextId: () => ++lastId,
    };
    for (const b of bound) {
      emit({
        type: "listening",
        time: Date.now(),
        transport: b.transport,
        listener: b.listener.spec,
        service: b.listener.service,
        local: b.local,
      });
    }
    this.#loops = bound.map((b) =>
      b.transport === "tcp" ? acceptLoop(b, ctx) : receiveLoop(b, ctx)
    );
  }

  get openConnections(): number {
    return this.#connections.size;
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
    for (const b of this.#bound) b.socket.close();
    await Promise.all(this.#loops);
    for (const b of this.#bound) {
      this.#emit({
        type: "listener-closed",
        time: Date.now(),
        transport: b.transport,
        listener: b.listener.spec,
        service: b.listener.service,
        local: b.local,
      });
    }
    await this.#connections.drain(graceMs, this.#force.signal);
    const forced = this.#connections.size;
    this.#connections.closeAll();
    await this.#connections.drain(1000);
    return { forced };
  }
}
