/**
 * An event stream whose client half-closed its side after the request
 * (`nc -N`, a script that calls `shutdown(SHUT_WR)`): the client still
 * reads, so its stream goes on. Reading can no longer tell when it goes
 * away, since its FIN came already and a client that closes for good sends
 * nothing more; only a write can: the first write after that draws a reset,
 * and the next one fails. So such a stream gets an SSE comment, which every
 * reader skips, at once, again shortly after (on loopback the reset has
 * come back by then), and then every few seconds: a client that has gone
 * frees its connection within that time.
 *
 * @module
 */

import type { Link } from "./link.ts";

/** An SSE comment line and the blank line after it: no event for any reader. */
export const HEARTBEAT: Uint8Array = new TextEncoder().encode(":\n\n");

/** Milliseconds between heartbeats after the second. */
export const HEARTBEAT_MS = 2000;

/** Milliseconds between the first heartbeat and the second. */
const SECOND_BEAT_MS = 100;

/**
 * Sends heartbeats until one fails or the link closes.
 *
 * @param link The connection; closing it ends the heartbeats at once.
 * @param beat Writes one heartbeat, or leaves it out while other bytes are
 *   on their way; resolves to `false` once the client has gone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { beatUntilGone } from "./half_closed.ts";
 * import { Link } from "./link.ts";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const link = new Link(await listener.accept());
 * let beats = 0;
 * await beatUntilGone(link, async () => ++beats < 2);
 * assert.equal(beats, 2);
 * link.close();
 * ```
 */
export async function beatUntilGone(
  link: Link,
  beat: () => Promise<boolean>,
): Promise<void> {
  for (let n = 0; await link.pause(n === 0 ? 0 : n === 1 ? SECOND_BEAT_MS : HEARTBEAT_MS); n++) {
    if (!await beat()) return;
  }
}
