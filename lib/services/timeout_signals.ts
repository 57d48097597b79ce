/**
 * Abort signals for bounded waits (such as `forward`'s connect-timeout),
 * shared by every wait that starts within the same few milliseconds: one
 * timer per slot of {@linkcode TIMEOUT_SLOT_MS}, not one per connection.
 * A timer set and cleared for every connection costs more than the rest of
 * a connect's JavaScript; a slot's timer is set once for all the
 * connections that start in it.
 *
 * A signal aborts at the end of its slot plus the timeout, so a wait ends
 * no earlier than its timeout and at most one slot later. A signal handed
 * out before the server starts shutting down also aborts then, with the
 * shutdown signal's reason; one handed out later (a connection accepted
 * just as shutdown began) aborts only when its time is up, and is served
 * through the grace period like any other.
 *
 * @module
 */

/** How long a slot lasts, in ms: how late past its timeout a wait may end, at most. */
export const TIMEOUT_SLOT_MS = 10;

/** One slot of one timeout: the signal every wait starting in it shares. */
interface Slot {
  /** When the slot ends and the next wait needs a new one, in ms (`performance.now()`). */
  readonly until: number;
  readonly controller: AbortController;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The shared timeout signals of one running server. Created by `start()`
 * and handed to services through their context.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTimeout, TimeoutSignals } from "./timeout_signals.ts";
 *
 * const shutdown = new AbortController();
 * const timeouts = new TimeoutSignals(shutdown.signal);
 * const signal = timeouts.signal(20);
 * assert.equal(timeouts.signal(20), signal); // the same slot, the same signal
 * await new Promise((resolve) => signal.addEventListener("abort", resolve));
 * assert.ok(isTimeout(signal.reason));
 * timeouts.close();
 * ```
 */
export class TimeoutSignals {
  #shutdown: AbortSignal;
  /** The current slot of each timeout, by its length in ms. */
  #current = new Map<number, Slot>();
  /** Every slot whose timer has not fired yet, so that shutdown can abort them. */
  #pending = new Set<Slot>();
  #onShutdown = () => this.#abortAll(this.#shutdown.reason);

  /**
   * Creates the signals of one running server.
   *
   * @param shutdown Aborted when the server starts shutting down: every
   *   signal handed out and not yet aborted aborts with it.
   */
  constructor(shutdown: AbortSignal) {
    this.#shutdown = shutdown;
    shutdown.addEventListener("abort", this.#onShutdown, { once: true });
  }

  /**
   * A signal that aborts `timeoutMs` after now, or up to
   * {@linkcode TIMEOUT_SLOT_MS} later, with a reason that
   * {@linkcode isTimeout} recognises; or when shutdown begins, with the
   * shutdown signal's reason.
   *
   * @param timeoutMs How long the wait may last, in ms.
   * @returns The signal; it is shared, so never abort it yourself.
   */
  signal(timeoutMs: number): AbortSignal {
    const now = performance.now();
    const slot = this.#current.get(timeoutMs);
    if (slot !== undefined && now < slot.until) return slot.controller.signal;
    const controller = new AbortController();
    const next: Slot = {
      until: now + TIMEOUT_SLOT_MS,
      controller,
      timer: setTimeout(() => {
        this.#pending.delete(next);
        controller.abort(TIMED_OUT);
      }, timeoutMs + TIMEOUT_SLOT_MS),
    };
    this.#current.set(timeoutMs, next);
    this.#pending.add(next);
    return controller.signal;
  }

  /**
   * Clears every timer, aborting the signals not yet aborted with an
   * `AbortError`: for when the server has stopped and no wait is left.
   */
  close(): void {
    this.#shutdown.removeEventListener("abort", this.#onShutdown);
    this.#abortAll(CLOSED);
  }

  #abortAll(reason: unknown): void {
    for (const slot of this.#pending) {
      clearTimeout(slot.timer);
      slot.controller.abort(reason);
    }
    this.#pending.clear();
    this.#current.clear();
  }
}

/** The reason a timeout signal aborts with when its time is up. */
const TIMED_OUT: DOMException = new DOMException("the time is up", "TimeoutError");

/** The reason a timeout signal aborts with when its {@linkcode TimeoutSignals} is closed. */
const CLOSED: DOMException = new DOMException("the timeouts were closed", "AbortError");

/**
 * Tells whether a signal's reason (or the error a call given that signal
 * rejected with) means its time was up, rather than a shutdown.
 *
 * @param reason A signal's `reason`, or what a call that took the signal threw.
 * @returns `true` when the time was up.
 */
export function isTimeout(reason: unknown): boolean {
  return reason === TIMED_OUT;
}
