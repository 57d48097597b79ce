/**
 * The signals that stop muxd: the first starts a graceful shutdown, a second
 * one cuts it short.
 *
 * @module
 */

/**
 * How soon, in ms, the same stop signal again counts as the first one: a
 * signal sent to the process group of `deno task serve` (a Ctrl-C at a
 * terminal; `kill -TERM -PGID`, `timeout`, systemd stopping a unit) reaches
 * every process of the group, and `deno task` passes its own on to muxd, so
 * one signal arrives twice within a millisecond or so. No person presses
 * Ctrl-C twice that fast, nor does a harness mean a second SIGTERM so soon.
 */
export const SAME_SIGNAL_MS = 100;

/** The signals that ask muxd to stop on this OS. */
export function stopSignals(): readonly Deno.Signal[] {
  // Windows delivers only SIGINT (Ctrl-C) and SIGBREAK (Ctrl-Break).
  return Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/**
 * Listens for the stop signals from the moment it is created, so that a
 * signal sent right after the ready record is never missed.
 *
 * @example
 * ```ts
 * import { StopListener } from "./stop_signals.ts";
 * import assert from "node:assert/strict";
 *
 * using stop = new StopListener();
 * // A signal listener does not keep the event loop alive (muxd's sockets do): this timer does.
 * const alive = setTimeout(() => {}, 5000);
 * const repeated = new Promise<void>((resolve) => stop.onRepeat(resolve));
 * Deno.kill(Deno.pid, "SIGTERM");
 * assert.equal(await stop.first, "SIGTERM");
 * // The same signal again within 100 ms counts as the first (a process group's).
 * await new Promise((resolve) => setTimeout(resolve, 150));
 * Deno.kill(Deno.pid, "SIGTERM");
 * await repeated; // the second signal cuts the shutdown short
 * clearTimeout(alive);
 * ```
 */
export class StopListener implements Disposable {
  /** Resolves with the first stop signal. */
  readonly first: Promise<Deno.Signal>;
  #handlers = new Map<Deno.Signal, () => void>();
  #count = 0;
  #firstAt = 0;
  #first: Deno.Signal | null = null;
  #onRepeat: () => void = () => {};

  /** Starts listening. */
  constructor() {
    let resolve: (signal: Deno.Signal) => void = () => {};
    this.first = new Promise((r) => resolve = r);
    for (const signal of stopSignals()) {
      const handler = () => {
        const now = performance.now();
        if (++this.#count === 1) {
          this.#first = signal;
          this.#firstAt = now;
          resolve(signal);
        } else if (!(signal === this.#first && now - this.#firstAt < SAME_SIGNAL_MS)) {
          this.#onRepeat();
        }
      };
      this.#handlers.set(signal, handler);
      Deno.addSignalListener(signal, handler);
    }
  }

  /** The first stop signal received, or `null` while none has come. */
  get received(): Deno.Signal | null {
    return this.#first;
  }

  /**
   * Sets what a second (or later) signal does.
   *
   * @param fn Called on every stop signal after the first, except the same
   *   signal within {@linkcode SAME_SIGNAL_MS} of the first (it counts as the first).
   */
  onRepeat(fn: () => void): void {
    this.#onRepeat = fn;
  }

  /** Stops listening. */
  [Symbol.dispose](): void {
    for (const [signal, handler] of this.#handlers) Deno.removeSignalListener(signal, handler);
    this.#handlers.clear();
  }
}
