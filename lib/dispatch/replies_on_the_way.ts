/**
 * The UDP replies of one socket that are on their way: asked for by a
 * datagram already received, not yet sent, such as the output of a program
 * `exec` runs for a datagram. At shutdown the socket stays open for them,
 * within the grace period, as TCP connections may finish theirs.
 *
 * @module
 */

/**
 * Counts one socket's replies on their way and tells when there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RepliesOnTheWay } from "./replies_on_the_way.ts";
 *
 * const replies = new RepliesOnTheWay();
 * const sent = replies.add();
 * assert.equal(replies.size, 1);
 * const settled = replies.settled(new AbortController().signal);
 * sent();
 * await settled;
 * assert.equal(replies.size, 0);
 * ```
 */
export class RepliesOnTheWay {
  #size = 0;
  #none: PromiseWithResolvers<void> | null = null;
  #closed = false;

  /**
   * Whether muxd closed the socket (its listener was removed by a reload or
   * through the API, or muxd stopped): a reply still on its way goes nowhere,
   * and its send failing says nothing new.
   */
  get closed(): boolean {
    return this.#closed;
  }

  /** Notes that muxd closes the socket now. */
  close(): void {
    this.#closed = true;
  }

  /** How many replies are on their way now. */
  get size(): number {
    return this.#size;
  }

  /**
   * Counts one more reply on its way.
   *
   * @returns Call it once the reply is sent, suppressed or failed; calls after the first do nothing.
   */
  add(): () => void {
    this.#size++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.#size === 0) {
        this.#none?.resolve();
        this.#none = null;
      }
    };
  }

  /**
   * Waits until no reply is on its way, or `stop` is aborted.
   *
   * @param stop Ends the wait early: the grace period is over.
   * @returns Resolves then; never rejects.
   */
  settled(stop: AbortSignal): Promise<void> {
    if (this.#size === 0 || stop.aborted) return Promise.resolve();
    this.#none ??= Promise.withResolvers<void>();
    const none = this.#none.promise;
    return new Promise<void>((resolve) => {
      const onStop = () => resolve();
      stop.addEventListener("abort", onStop, { once: true });
      none.then(() => {
        stop.removeEventListener("abort", onStop);
        resolve();
      });
    });
  }
}
