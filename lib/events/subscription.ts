/**
 * The event stream as an async iterable, for a program that reads events
 * at its own pace: a bounded buffer per reader, and a counted gap where a
 * slow reader lost some.
 *
 * @module
 */

import type { ServerEvent } from "./event.ts";

/**
 * Where a reader fell behind: its buffer was full, and the oldest events
 * were dropped to make room. Comes in the place of the events it stands for.
 */
export interface EventGap {
  /** The item's kind. */
  readonly type: "gap";
  /** When the first of them was dropped, in milliseconds since the Unix epoch. */
  readonly time: number;
  /** How many events were dropped. */
  readonly dropped: number;
}

/** What a subscription yields: an event, or a gap where events were dropped. */
export type SubscribedEvent = ServerEvent | EventGap;

/** How many events a subscription holds for its reader unless told otherwise. */
export const DEFAULT_EVENT_BUFFER = 1024;

/**
 * One reader's events, from the moment it was created until it is closed
 * (by its reader, with `break` or `return()`, or by the server closing). It
 * holds at most `capacity` events: when its reader is slower than the
 * events, the oldest go, and a {@linkcode EventGap} says how many, so memory
 * stays bounded whatever the reader does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventSubscription } from "./subscription.ts";
 *
 * const events = new EventSubscription(2);
 * const base = { time: 0, transport: "tcp", service: "echo", local: { address: "127.0.0.1", port: 7 } } as const;
 * for (const port of [1, 2, 3]) {
 *   events.push({ ...base, type: "listening", listener: `tcp://127.0.0.1:${port}=echo` });
 * }
 * events.end();
 * const seen = [];
 * for await (const e of events) seen.push(e.type === "gap" ? `gap of ${e.dropped}` : e.listener);
 * assert.deepEqual(seen, ["gap of 1", "tcp://127.0.0.1:2=echo", "tcp://127.0.0.1:3=echo"]);
 * ```
 */
export class EventSubscription implements AsyncIterableIterator<SubscribedEvent> {
  readonly #capacity: number;
  /** A ring of at most `capacity` events. */
  #ring: (ServerEvent | undefined)[] = [];
  #head = 0;
  #size = 0;
  #dropped = 0;
  #droppedAt = 0;
  #ended = false;
  #waiting: ((result: IteratorResult<SubscribedEvent>) => void) | null = null;
  #onClose: (() => void) | null;

  /** How many events were dropped in all, for a reader that fell behind. */
  dropped = 0;

  /**
   * Creates an empty subscription.
   *
   * @param capacity How many events it holds at most; at least 1.
   * @param onClose Called once when its reader closes it (to unsubscribe).
   */
  constructor(capacity: number = DEFAULT_EVENT_BUFFER, onClose: () => void = () => {}) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`an event buffer holds at least 1 event, not ${capacity}`);
    }
    this.#capacity = capacity;
    this.#onClose = onClose;
  }

  /**
   * Takes one event: hands it to a waiting reader, or holds it, dropping
   * the oldest held one when full. Does nothing once ended.
   *
   * @param event The event.
   */
  readonly push = (event: ServerEvent): void => {
    if (this.#ended) return;
    if (this.#waiting !== null) {
      const resolve = this.#waiting;
      this.#waiting = null;
      resolve({ value: event, done: false });
      return;
    }
    if (this.#size === this.#capacity) {
      if (this.#dropped === 0) this.#droppedAt = this.#ring[this.#head]!.time;
      this.#ring[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#size--;
      this.#dropped++;
      this.dropped++;
    }
    this.#ring[(this.#head + this.#size) % this.#capacity] = event;
    this.#size++;
  };

  /** Ends the stream: the reader gets what is held, then the end. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#waiting !== null) {
      const resolve = this.#waiting;
      this.#waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  /**
   * The next event, a gap, or the end.
   *
   * @returns The next item.
   */
  next(): Promise<IteratorResult<SubscribedEvent>> {
    const held = this.nextHeld();
    if (held !== undefined) return Promise.resolve({ value: held, done: false });
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /**
   * The next item already held, without waiting: a reader that writes what
   * it reads takes, after each item, those that came meanwhile, and writes
   * them together.
   *
   * @returns The next event or gap, as {@linkcode EventSubscription.next}
   *   gives it; `undefined` when none is held (`next()` would wait or end).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { EventSubscription } from "./subscription.ts";
   *
   * const events = new EventSubscription(1);
   * const base = { time: 0, transport: "tcp", service: "echo", local: { address: "127.0.0.1", port: 7 } } as const;
   * events.push({ ...base, type: "listening", listener: "tcp://127.0.0.1:1=echo" });
   * events.push({ ...base, type: "listening", listener: "tcp://127.0.0.1:2=echo" });
   * assert.equal(events.nextHeld()?.type, "gap");
   * assert.equal(events.nextHeld()?.type, "listening");
   * assert.equal(events.nextHeld(), undefined);
   * ```
   */
  nextHeld(): SubscribedEvent | undefined {
    if (this.#dropped > 0) {
      const gap: EventGap = { type: "gap", time: this.#droppedAt, dropped: this.#dropped };
      this.#dropped = 0;
      return gap;
    }
    if (this.#size === 0) return undefined;
    const event = this.#ring[this.#head]!;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#capacity;
    this.#size--;
    return event;
  }

  /**
   * Closes it from the reader's side (`break` out of `for await` calls it):
   * it takes no more events and forgets those held.
   *
   * @returns The end.
   */
  return(): Promise<IteratorResult<SubscribedEvent>> {
    this.end();
    this.#ring = [];
    this.#size = 0;
    this.#dropped = 0;
    const onClose = this.#onClose;
    this.#onClose = null;
    onClose?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Itself: a subscription is read once. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}
