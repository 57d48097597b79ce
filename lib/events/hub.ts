/**
 * A fan-out point for the event stream: one emitter, any number of sinks.
 *
 * @module
 */

import type { EventSink, ServerEvent } from "./event.ts";

/**
 * Fans each event out to every subscribed sink. A sink that throws is
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
 * ```
 */
export class EventHub {
  #sinks: EventSink[] = [];
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
   * @param sink Called with every event from now on.
   * @returns A function that removes the sink again.
   */
  subscribe(sink: EventSink): () => void {
    this.#sinks = [...this.#sinks, sink];
    return () => {
      this.#sinks = this.#sinks.filter((s) => s !== sink);
    };
  }

  /**
   * Sends one event to every sink.
   *
   * @param event The event.
   */
  emit = (event: ServerEvent): void => {
    for (const sink of this.#sinks) {
      try {
        sink(event);
      } catch (error) {
        this.#onSinkError(error);
      }
    }
  };
}
