/**
 * Lingering close: how a connection ends when its service is done before the
 * client is. Closing a socket that still holds unread bytes makes the kernel
 * send a reset after the reply, and a client that sees the reset before it
 * reads loses the reply. So muxd half-closes first (the client sees the end
 * of the reply), reads and drops what the client still sends until the
 * client ends its side, and only then closes: within bounds of bytes and
 * time, past which it closes anyway.
 *
 * @module
 */

import type { Stream } from "./service.ts";

/** How long a connection may linger after its service is done, in ms. */
export const LINGER_MS = 2000;

/** How many bytes muxd reads and drops while a connection lingers, at most. */
export const LINGER_BYTES = 64 * 1024;

/** The size of each read while lingering. */
const LINGER_READ = 4096;

/**
 * Half-closes a connection whose service is done, then reads and drops what
 * the client still sends until its end of stream, {@linkcode LINGER_BYTES}
 * or {@linkcode LINGER_MS}, whichever comes first. The caller closes the
 * connection afterwards. A client that already went away ends it at once.
 *
 * @param stream The connection as the service saw it (its reads are counted).
 * @param entry The connection's entry in the dispatcher's table, closed when the time is up.
 * @returns Once the client ended its side, or a bound was reached.
 * @throws Whatever a read throws, such as `Deno.errors.ConnectionReset`.
 */
export async function linger(stream: Stream, entry: { close(): void }): Promise<void> {
  try {
    await stream.closeWrite();
  } catch (error) {
    // The client is gone already: there is nothing left to protect.
    if (error instanceof Deno.errors.NotConnected || error instanceof Deno.errors.BrokenPipe) {
      return;
    }
    throw error;
  }
  const timer = setTimeout(() => entry.close(), LINGER_MS);
  try {
    const buffer = new Uint8Array(LINGER_READ);
    for (let drained = 0; drained < LINGER_BYTES;) {
      const n = await stream.read(buffer);
      if (n === null) return;
      drained += n;
    }
  } catch (error) {
    // The timer closed the connection under the read: the linger is over.
    if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
      return;
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
