/**
 * What `POST /v1/reset` resets: each consumer of the events that keeps
 * counters (the dashboard's table, the Prometheus metrics) registers a
 * reset here under a name, and the endpoint runs them all.
 *
 * @module
 */

/**
 * Named counter resets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CounterResets } from "./resets.ts";
 * const resets = new CounterResets();
 * let n = 5;
 * resets.add("example", () => n = 0);
 * assert.deepEqual(resets.resetAll(), ["example"]);
 * assert.equal(n, 0);
 * ```
 */
export class CounterResets {
  readonly #resets = new Map<string, () => void>();

  /**
   * Registers a reset.
   *
   * @param name What it resets, as the endpoint reports it: `dashboard`, `metrics`.
   * @param reset Sets its counters back to zero.
   * @returns A function that unregisters it.
   */
  add(name: string, reset: () => void): () => void {
    this.#resets.set(name, reset);
    return () => this.#resets.delete(name);
  }

  /**
   * Runs every reset.
   *
   * @returns The names of what was reset, in the order registered.
   */
  resetAll(): string[] {
    for (const reset of this.#resets.values()) reset();
    return [...this.#resets.keys()];
  }
}
