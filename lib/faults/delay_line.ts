/**
 * Latency as a line of chunks, each with the time it is due: one direction
 * of a connection, order kept, with room for many chunks at once so that
 * latency delays bytes without limiting how many flow.
 *
 * @module
 */

import type { Random } from "./random.ts";

/** How many bytes a delay line holds at most, each way, before its producer waits. */
export const DELAY_LINE_BYTES = 256 * 1024;

/**
 * How early, in ms, a line's timer is set before its head is due, and how
 * early the head then goes: Deno's timers fire 1 to 3 ms late (a timer set
 * for 0.4 ms fires after about 2 ms, and with 1,000 connections' timers
 * pending some fire 3 ms late), so a timer set for the due time itself
 * delivers every chunk late. Set 2 ms early, the error is centred: at 1,000
 * connections, `bench:faults` measures the added delay at −0.8 ms (median)
 * and +1.3 ms (99th percentile) of what was asked.
 */
export const TIMER_LEAD_MS = 2;

interface Held {
  bytes: Uint8Array;
  readonly due: number;
}

/**
 * A bounded first-in first-out line of chunks, each handed out
 * `delayMs ± jitterMs` after it went in (at most {@linkcode TIMER_LEAD_MS}
 * sooner), and never before the chunk ahead of it (due = max(due of the one
 * ahead, now + delay + jitter)).
 * One producer pushes, one consumer takes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DelayLine, Random, TIMER_LEAD_MS } from "./mod.ts";
 *
 * const line = new DelayLine(20, 0, new Random(1));
 * const start = performance.now();
 * await line.push(new Uint8Array([1, 2, 3]));
 * line.end();
 * assert.deepEqual(await line.take(2), new Uint8Array([1, 2]));
 * // 20 ms, at most TIMER_LEAD_MS early (about 18.3 ms where timers fire on time).
 * const waited = performance.now() - start;
 * assert.ok(waited >= 20 - TIMER_LEAD_MS, `handed out after ${waited} ms`);
 * assert.deepEqual(await line.take(10), new Uint8Array([3]));
 * assert.equal(await line.take(10), null);
 * ```
 */
export class DelayLine {
  readonly #delayMs: number;
  readonly #jitterMs: number;
  readonly #random: Random;
  readonly #limit: number;
  #held: Held[] = [];
  #first = 0;
  #bytes = 0;
  #lastDue = -Infinity;
  #ended = false;
  #failed = false;
  #error: unknown = null;
  /** The consumer, waiting for a chunk to come or to fall due. */
  #taker: PromiseWithResolvers<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The producer, waiting for room. */
  #pusher: PromiseWithResolvers<void> | null = null;
  /** Whoever waits for the line to empty (and its consumer to come back for more). */
  #drained: PromiseWithResolvers<void> | null = null;

  /**
   * Starts an empty line.
   *
   * @param delayMs How long each chunk waits.
   * @param jitterMs Up to this much more or less, drawn for each chunk.
   * @param random Where the jitter is drawn from.
   * @param limit Bytes held at most before `push` waits. @default DELAY_LINE_BYTES
   */
  constructor(delayMs: number, jitterMs: number, random: Random, limit = DELAY_LINE_BYTES) {
    this.#delayMs = delayMs;
    this.#jitterMs = jitterMs;
    this.#random = random;
    this.#limit = limit;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the line holds nothing and its consumer waits for more. */
  get idle(): boolean {
    return this.#first === this.#held.length && this.#taker !== null;
  }

  /**
   * Puts a chunk in the line. The line keeps it: the caller must not change
   * it afterwards.
   *
   * @param bytes The chunk.
   * @returns Once the line has room for more.
   * @throws The error of {@linkcode DelayLine.fail}.
   */
  push(bytes: Uint8Array): Promise<void> {
    if (this.#failed) return Promise.reject(this.#error);
    this.#keep(bytes, this.#schedule());
    return this.room();
  }

  /**
   * Offers a chunk that the caller can hand on itself. Its due time is drawn
   * as for {@linkcode DelayLine.push}; when it is due now and nothing is
   * ahead of it (the line is {@linkcode DelayLine.idle}), the line keeps
   * nothing and the caller hands the chunk on at once, uncopied. Otherwise
   * the line keeps a copy, so the caller may reuse its buffer.
   *
   * @param bytes The chunk.
   * @returns `true` when the caller hands the chunk on now; `false` when the
   *   line holds a copy (then await {@linkcode DelayLine.room}).
   * @throws The error of {@linkcode DelayLine.fail}.
   */
  pass(bytes: Uint8Array): boolean {
    if (this.#failed) throw this.#error;
    const due = this.#schedule();
    if (this.idle && due - performance.now() <= TIMER_LEAD_MS) return true;
    this.#keep(bytes.slice(), due);
    return false;
  }

  /**
   * Waits until the line holds less than its limit.
   *
   * @returns Once there is room.
   * @throws The error of {@linkcode DelayLine.fail}.
   */
  async room(): Promise<void> {
    while (this.#bytes >= this.#limit) {
      this.#pusher = Promise.withResolvers<void>();
      await this.#pusher.promise;
    }
  }

  /** Marks the end of the chunks: once the line is empty, `take` returns `null`. */
  end(): void {
    this.#ended = true;
    this.#wakeTaker();
  }

  /**
   * Takes up to `max` bytes of the chunk at the head of the line, once it is due.
   *
   * @param max The most bytes to take; the rest of the chunk stays at the head.
   * @returns The bytes, or `null` after {@linkcode DelayLine.end} once the line is empty.
   * @throws The error of {@linkcode DelayLine.fail}.
   */
  async take(max: number): Promise<Uint8Array | null> {
    for (;;) {
      const bytes = this.takeDue(max);
      if (bytes !== undefined) return bytes;
      // Nothing due: wait for the head to fall due, or for a chunk to come.
      const wait = this.#first === this.#held.length
        ? Infinity
        : this.#held[this.#first].due - performance.now() - TIMER_LEAD_MS;
      if (wait > 0) await this.#wait(wait);
    }
  }

  /**
   * Takes up to `max` bytes of the chunk at the head of the line if it is
   * due now, without waiting: {@linkcode DelayLine.take} without its promise
   * when a chunk is ready.
   *
   * @param max The most bytes to take; the rest of the chunk stays at the head.
   * @returns The bytes; `null` after {@linkcode DelayLine.end} once the line
   *   is empty; `undefined` when nothing is due yet.
   * @throws The error of {@linkcode DelayLine.fail}.
   */
  takeDue(max: number): Uint8Array | null | undefined {
    if (this.#failed) throw this.#error;
    if (this.#first === this.#held.length) {
      // The consumer came back for more with nothing left: drained.
      this.#drained?.resolve();
      this.#drained = null;
      return this.#ended ? null : undefined;
    }
    const head = this.#held[this.#first];
    if (head.due - performance.now() > TIMER_LEAD_MS) return undefined;
    let bytes = head.bytes;
    if (bytes.length > max) {
      head.bytes = bytes.subarray(max);
      bytes = bytes.subarray(0, max);
    } else {
      this.#held[this.#first++] = undefined!;
      if (this.#first === this.#held.length) this.#held.length = this.#first = 0;
    }
    this.#bytes -= bytes.length;
    if (this.#bytes < this.#limit && this.#pusher !== null) {
      this.#pusher.resolve();
      this.#pusher = null;
    }
    return bytes;
  }

  /**
   * Waits until the line is empty and its consumer has come back for more,
   * so that everything pushed was handled.
   *
   * @returns Once drained.
   * @throws The error of {@linkcode DelayLine.fail}.
   */
  drained(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#error);
    if (this.#first === this.#held.length && this.#taker !== null) return Promise.resolve();
    this.#drained ??= Promise.withResolvers<void>();
    return this.#drained.promise;
  }

  /**
   * Ends the line: drops what it holds, clears its timer, and makes every
   * wait, now and later, reject with `error`.
   *
   * @param error What the waits reject with.
   */
  fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#held = [];
    this.#first = this.#bytes = 0;
    clearTimeout(this.#timer);
    for (const waiter of [this.#taker, this.#pusher, this.#drained]) waiter?.reject(error);
    this.#taker = this.#pusher = this.#drained = null;
  }

  /** The due time of the next chunk: now + delay ± jitter, never before the one ahead. */
  #schedule(): number {
    const jitter = this.#jitterMs === 0 ? 0 : (this.#random.next() * 2 - 1) * this.#jitterMs;
    const due = Math.max(this.#lastDue, performance.now() + Math.max(0, this.#delayMs + jitter));
    this.#lastDue = due;
    return due;
  }

  /** Holds a chunk; wakes the consumer only when it is the new head (a later chunk never changes the head's wait). */
  #keep(bytes: Uint8Array, due: number): void {
    this.#held.push({ bytes, due });
    this.#bytes += bytes.length;
    if (this.#held.length - this.#first === 1) this.#wakeTaker();
  }

  /** The consumer waits for a push or for `ms` to pass. */
  async #wait(ms: number): Promise<void> {
    this.#taker = Promise.withResolvers<void>();
    if (ms !== Infinity) this.#timer = setTimeout(() => this.#wakeTaker(), ms);
    try {
      await this.#taker.promise;
    } finally {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #wakeTaker(): void {
    const taker = this.#taker;
    this.#taker = null;
    taker?.resolve();
  }
}
