/**
 * How an accept loop waits out resource exhaustion (`EMFILE` and the like)
 * and accept errors it does not know: it pauses briefly before each retry,
 * says so at most once per interval (a listener at the limit pauses again
 * after every accept), and says so again when it accepts once more after a
 * pause it reported.
 *
 * @module
 */

import type { BoundTcpSocket } from "../bind/bind.ts";
import type { DispatchContext } from "./context.ts";
import { elapsedMs } from "../events/elapsed.ts";
import { exhaustionAdvice } from "../bind/accept_error.ts";

/** How long a listener waits before it retries an accept that failed for want of a resource. */
export const ACCEPT_RETRY_MS = 50;

/** How often, at most, a listener that cannot accept says so again. */
export const ACCEPT_REPORT_MS = 5000;

/** One listener's pause: created by its accept loop, fed with each failure and success. */
export class AcceptPause {
  #bound: BoundTcpSocket;
  #emit: DispatchContext["emit"];
  #signal: AbortSignal;
  /** When the pause began (performance.now()), or -1 while accepting works. */
  #since = -1;
  #failures = 0;
  /** When it last said it cannot accept, over all its pauses. */
  #reported = -Infinity;
  /** Whether this pause was reported, and so its end is. */
  #warned = false;

  /**
   * Creates the pause state of one listener, accepting.
   *
   * @param bound The listener.
   * @param ctx Where its events go, and the shutdown signal.
   */
  constructor(bound: BoundTcpSocket, ctx: Pick<DispatchContext, "emit" | "signal">) {
    this.#bound = bound;
    this.#emit = ctx.emit;
    this.#signal = ctx.signal;
  }

  /**
   * Counts an accept that failed for want of a resource, reports it when due,
   * and waits {@linkcode ACCEPT_RETRY_MS} (less if muxd shuts down meanwhile).
   *
   * @param code The OS error code, such as `EMFILE`, or the error's name.
   * @param detail What it means and what to do; for an error code it knows,
   *   {@linkcode exhaustionAdvice} says.
   */
  async failed(code: string, detail: string = exhaustionAdvice(code)): Promise<void> {
    const now = performance.now();
    if (this.#since === -1) {
      this.#since = now;
      this.#failures = 0;
      this.#warned = false;
    }
    this.#failures++;
    if (now - this.#reported >= ACCEPT_REPORT_MS) {
      this.#reported = now;
      this.#warned = true;
      const { listener, local } = this.#bound;
      this.#emit({
        type: "accept-paused",
        time: Date.now(),
        transport: "tcp",
        listener: listener.spec,
        service: listener.service,
        local,
        code,
        detail,
        failures: this.#failures,
        retryMs: ACCEPT_RETRY_MS,
      });
    }
    await this.#wait();
  }

  /** Waits {@linkcode ACCEPT_RETRY_MS} (less if muxd shuts down meanwhile). */
  #wait(): Promise<void> {
    return wait(ACCEPT_RETRY_MS, this.#signal);
  }

  /** Notes that an accept worked: ends a pause, saying so if it was reported. */
  accepted(): void {
    const since = this.#since;
    if (since === -1) return;
    this.#since = -1;
    if (!this.#warned) return;
    const { listener, local } = this.#bound;
    this.#emit({
      type: "accept-resumed",
      time: Date.now(),
      transport: "tcp",
      listener: listener.spec,
      service: listener.service,
      local,
      pausedMs: elapsedMs(since),
      failures: this.#failures,
    });
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
