/**
 * Whether a client has stopped taking bytes: a write of muxd's in flight
 * that the kernel has taken nothing of for {@linkcode STUCK_WRITE_MS}.
 *
 * @module
 */

/**
 * How long a write in flight may take no byte before muxd gives up on the
 * client, in ms: a close fault then closes the socket whole (its FIN would
 * wait behind that write), and a service that returned gets no more of what
 * out latency holds.
 */
export const STUCK_WRITE_MS = 1000;

/**
 * How often {@linkcode watchStuckWrite} looks at the connection's bytes, in
 * ms: it notices a byte taken at most this late, so it gives up within this
 * much after {@linkcode STUCK_WRITE_MS}.
 */
export const STUCK_WRITE_LOOK_MS = 100;

/** What {@linkcode watchStuckWrite} looks at: the connection as muxd counts it. */
export interface WrittenBytes {
  /** Whether a write to the client is in flight now. */
  readonly writing: boolean;
  /** Bytes the kernel took so far. */
  readonly bytesOut: number;
}

/**
 * Calls `stuck` once, when a write to `source` has been in flight for
 * {@linkcode STUCK_WRITE_MS} with no byte taken: the client is not reading.
 * A moment with no write in flight counts as progress, as a byte taken does.
 * It looks every {@linkcode STUCK_WRITE_LOOK_MS}, so it calls 1,000 to 1,100
 * ms after the last byte went (a few ms more for a late timer), and costs
 * nothing per byte: one timer while it watches.
 *
 * @param source The connection.
 * @param stuck Called once the client took nothing for {@linkcode STUCK_WRITE_MS}.
 * @returns Stops watching (when the writes are done, or the connection ends).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { watchStuckWrite } from "./stuck_write.ts";
 *
 * const source = { writing: true, bytesOut: 0 };
 * const started = performance.now();
 * const { promise, resolve } = Promise.withResolvers<number>();
 * watchStuckWrite(source, () => resolve(performance.now() - started));
 * assert.ok(await promise >= 1000);
 * ```
 */
export function watchStuckWrite(source: WrittenBytes, stuck: () => void): () => void {
  let sent = source.bytesOut;
  let since = performance.now();
  let timer: ReturnType<typeof setTimeout>;
  const look = () => {
    const now = performance.now();
    if (!source.writing || source.bytesOut !== sent) {
      sent = source.bytesOut;
      since = now;
    }
    const left = since + STUCK_WRITE_MS - now;
    if (left <= 0) stuck();
    else timer = setTimeout(look, Math.min(left, STUCK_WRITE_LOOK_MS));
  };
  timer = setTimeout(look, STUCK_WRITE_LOOK_MS);
  return () => clearTimeout(timer);
}
