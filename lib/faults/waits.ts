/**
 * The timed waits of one connection's faults, all cancelled at once when the
 * connection ends, so that no timer outlives it.
 *
 * @module
 */

interface Pending {
  readonly timer: ReturnType<typeof setTimeout> | undefined;
  readonly reject: (error: unknown) => void;
}

/**
 * Sleeps and waits that one call to {@linkcode Waits.cancel} ends together:
 * each rejects with the error given there, and every timer is cleared.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Waits } from "./waits.ts";
 *
 * const waits = new Waits();
 * await waits.sleep(1);
 * const forever = waits.forever();
 * waits.cancel(new Error("closed"));
 * await assert.rejects(forever, /closed/);
 * await assert.rejects(waits.sleep(1), /closed/);
 * ```
 */
export class Waits {
  #pending = new Set<Pending>();
  #error: unknown = null;
  #cancelled = false;

  /**
   * Waits `ms` milliseconds (at once for 0 or less).
   *
   * @param ms How long.
   * @returns Once the time is up.
   * @throws The error of {@linkcode Waits.cancel}, when cancelled first or already.
   */
  sleep(ms: number): Promise<void> {
    if (this.#cancelled) return Promise.reject(this.#error);
    if (ms <= 0) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const pending: Pending = {
      timer: setTimeout(() => {
        this.#pending.delete(pending);
        resolve();
      }, ms),
      reject,
    };
    this.#pending.add(pending);
    return promise;
  }

  /**
   * Waits until cancelled: a stalled read, a hung connection.
   *
   * @returns Never resolves.
   * @throws The error of {@linkcode Waits.cancel}.
   */
  forever(): Promise<never> {
    if (this.#cancelled) return Promise.reject(this.#error);
    const { promise, reject } = Promise.withResolvers<never>();
    this.#pending.add({ timer: undefined, reject });
    return promise;
  }

  /**
   * Ends every wait, now and later, with `error`.
   *
   * @param error What each wait rejects with.
   */
  cancel(error: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#error = error;
    for (const { timer, reject } of this.#pending) {
      clearTimeout(timer);
      reject(error);
    }
    this.#pending.clear();
  }
}
