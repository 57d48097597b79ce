/**
 * A running server with its event stream to read: what the library's
 * `start()` returns, and what `muxd serve` runs.
 *
 * @module
 */

import type { BindError } from "../bind/bind_error.ts";
import type { EventHub } from "../events/hub.ts";
import { DEFAULT_EVENT_BUFFER, EventSubscription } from "../events/subscription.ts";
import type { LiveTraffic } from "../dispatch/live_traffic.ts";
import type { Plan } from "../plan/plan.ts";
import type { FaultsInput } from "./fault_change.ts";
import type { ListenEntry } from "./listen_entries.ts";
import type {
  AddOptions,
  CloseOptions,
  CloseResult,
  ReconfigureOptions,
  ReconfigureResult,
  RemoveOptions,
  RemoveResult,
  RunningServer,
  ServingSocket,
  SetFaultsOptions,
} from "./running_server.ts";

/** Options for {@linkcode MuxdServer.subscribe}. */
export interface SubscribeOptions {
  /**
   * How many events the subscription holds for a reader that falls behind;
   * past that, the oldest go and a `gap` item counts them.
   * @default {DEFAULT_EVENT_BUFFER}
   */
  readonly buffer?: number;
}

/**
 * A running server whose events can be read as an async iterable. Every
 * operation is the running server's (see {@linkcode RunningServer}); the
 * events are those its hub fans out, the same the log writes.
 */
export class MuxdServer implements RunningServer {
  readonly #server: RunningServer;
  readonly #hub: EventHub;
  readonly #buffer: number;
  /** Each open subscription, and what takes it off the hub. */
  readonly #readers = new Map<EventSubscription, () => void>();
  /** Set once the server has closed: later subscriptions end at once. */
  #closed = false;

  /**
   * Wraps a running server whose events go to `hub`.
   *
   * @param server The running server.
   * @param hub The hub its events go to.
   * @param buffer How many events each subscription holds by default.
   */
  constructor(server: RunningServer, hub: EventHub, buffer: number = DEFAULT_EVENT_BUFFER) {
    this.#server = server;
    this.#hub = hub;
    this.#buffer = buffer;
  }

  /** Every socket it serves, each with its id and real port. */
  get sockets(): readonly ServingSocket[] {
    return this.#server.sockets;
  }

  /** Listeners that could not be bound (with `keepGoing`, or at a reconfiguration). */
  get failures(): readonly BindError[] {
    return this.#server.failures;
  }

  /** How many TCP connections are open now. */
  get openConnections(): number {
    return this.#server.openConnections;
  }

  /** The byte counts of open connections and relay sessions, read when asked. */
  get traffic(): LiveTraffic {
    return this.#server.traffic;
  }

  /**
   * A new subscription to the events, from this moment on, holding up to
   * the default buffer for a slow reader: read `events` before the action
   * whose events you wait for. Each read of `events` is a new subscription;
   * it ends when the server has closed, or when its reader breaks out.
   */
  get events(): EventSubscription {
    return this.subscribe();
  }

  /**
   * A new subscription to the events, from this moment on.
   *
   * @param options How many events it holds for a slow reader.
   * @returns An async iterable of events; a `gap` item counts those a slow
   *   reader lost.
   */
  subscribe(options: SubscribeOptions = {}): EventSubscription {
    const reader: EventSubscription = new EventSubscription(
      options.buffer ?? this.#buffer,
      () => this.#forget(reader),
    );
    // Once the server has closed, no event will come: the subscription
    // ends at once, as those open at the close did.
    if (this.#closed) {
      reader.end();
      return reader;
    }
    this.#readers.set(reader, this.#hub.subscribe(reader.push));
    return reader;
  }

  /** Takes a subscription off the hub. */
  #forget(reader: EventSubscription): void {
    this.#readers.get(reader)?.();
    this.#readers.delete(reader);
  }

  /** See {@linkcode RunningServer.add}. */
  add(
    specs: ListenEntry | readonly ListenEntry[],
    options?: AddOptions,
  ): Promise<readonly ServingSocket[]> {
    return this.#server.add(specs, options);
  }

  /** See {@linkcode RunningServer.remove}. */
  remove(id: string, options?: RemoveOptions): Promise<RemoveResult> {
    return this.#server.remove(id, options);
  }

  /** See {@linkcode RunningServer.setFaults}. */
  setFaults(id: string, faults: FaultsInput, options?: SetFaultsOptions): Promise<ServingSocket> {
    return this.#server.setFaults(id, faults, options);
  }

  /** See {@linkcode RunningServer.reconfigure}. */
  reconfigure(plan: Plan, options?: ReconfigureOptions): Promise<ReconfigureResult> {
    return this.#server.reconfigure(plan, options);
  }

  /**
   * Closes the server (see {@linkcode RunningServer.close}); then every
   * subscription ends, after the events of the shutdown.
   */
  async close(options?: CloseOptions): Promise<CloseResult> {
    try {
      return await this.#server.close(options);
    } finally {
      // Also when it rejects (with what onUnbound threw): the server is closed.
      this.#closed = true;
      for (const reader of [...this.#readers.keys()]) {
        reader.end();
        this.#forget(reader);
      }
    }
  }

  /** Closes the server with no grace period: `await using server = await start(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ graceMs: 0 });
  }
}
