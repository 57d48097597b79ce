/**
 * A fan-out point for the event stream: one emitter, any number of sinks.
 *
 * @module
 */

import type { EventSink, EventType, EventWanted, ServerEvent } from "./event.ts";

/**
 * Fans each event out to every subscribed sink that takes its type, and
 * tells whether any takes a type ({@linkcode EventHub.wants}). A sink that throws is
 * removed from nothing and stops nothing: its error is reported to
 * `onSinkError` and the other sinks still get the event.
 *
 * @example
 * ```ts
 * import { EventHub } from "./hub.ts";
 * import assert from "node:assert/strict";
 *
 * const hub = new EventHub();
 * const seen: string[] = [];
 * const unsubscribe = hub.subscribe((e) => seen.push(e.type));
 * const local = { address: "127.0.0.1", port: 7007 };
 * hub.emit({
 *   type: "listening", time: 0, transport: "tcp", listener: "tcp://127.0.0.1:7007=echo",
 *   service: "echo", local,
 * });
 * unsubscribe();
 * hub.emit({
 *   type: "listener-closed", time: 0, transport: "tcp", listener: "tcp://127.0.0.1:7007=echo",
 *   service: "echo", local,
 * });
 * assert.deepEqual(seen, ["listening"]);
 *
 * // A sink may take some types only; an event nobody takes need not be made.
 * hub.subscribe((e) => seen.push(e.type), ["reply"]);
 * assert.equal(hub.wants("reply"), true);
 * assert.equal(hub.wants("datagram"), false);
 * ```
 */
export class EventHub {
  #sinks: Subscribed[] = [];
  /** The sinks of each type emitted or asked about since the last change of sinks. */
  #routes = new Map<EventType, EventSink[]>();
  #onSinkError: (error: unknown) => void;

  /**
   * Creates a hub with no sinks.
   *
   * @param onSinkError Called when a sink throws; by default the error is
   *   printed to stderr.
   */
  constructor(onSinkError: (error: unknown) => void = (e) => console.error(e)) {
    this.#onSinkError = onSinkError;
  }

  /**
   * Adds a sink.
   *
   * @param sink Called with every event from now on, or with those of `types`.
   * @param types The only types of event the sink takes. @default every type
   * @returns A function that removes the sink again.
   */
  subscribe(sink: EventSink, types?: Iterable<EventType>): () => void {
    const subscribed: Subscribed = { sink, types: types === undefined ? null : new Set(types) };
    this.#sinks = [...this.#sinks, subscribed];
    this.#routes.clear();
    return () => {
      this.#sinks = this.#sinks.filter((s) => s !== subscribed);
      this.#routes.clear();
    };
  }

  /**
   * Whether any sink takes events of a type now. The server asks before it
   * makes an event per datagram: with the default log level, nothing takes
   * the `reply` of one unless a dashboard or an event stream is open.
   *
   * @param type The type of event.
   * @returns `true` when an event of that type would reach a sink.
   */
  wants: EventWanted = (type) => this.#route(type).length > 0;

  /**
   * Sends one event to every sink that takes its type.
   *
   * @param event The event.
   */
  emit = (event: ServerEvent): void => {
    for (const sink of this.#route(event.type)) {
      try {
        sink(event);
      } catch (error) {
        this.#onSinkError(error);
      }
    }
  };

  #route(type: EventType): EventSink[] {
    let sinks = this.#routes.get(type);
    if (sinks === undefined) {
      sinks = this.#sinks.filter((s) => s.types === null || s.types.has(type)).map((s) => s.sink);
      this.#routes.set(type, sinks);
    }
    return sinks;
  }
}

/** A sink and the types of event it takes (`null`: every type). */
interface Subscribed {
  readonly sink: EventSink;
  readonly types: ReadonlySet<EventType> | null;
}
