/**
 * Bandwidth's precision: how fast a paced connection really moves, one
 * way at a time.
 *
 * @module
 */

/**
 * Reads from a paced sender (`chargen?bandwidth-out=R`) until `bytes` have
 * arrived, and times it from the connection's start.
 *
 * @param host The listener's address.
 * @param port Its port.
 * @param bytes How many bytes to read: the rate times the window.
 * @param timeoutMs The most it may take.
 * @returns Bytes a second.
 * @throws {Error} When the stream ends early or the time runs out.
 */
export async function downloadRate(
  host: string,
  port: number,
  bytes: number,
  timeoutMs: number,
): Promise<number> {
  using conn = await Deno.connect({ hostname: host, port });
  const start = performance.now();
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    const buffer = new Uint8Array(256 * 1024);
    let got = 0;
    while (got < bytes) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error(`end of stream after ${got} of ${bytes} B`);
      got += n;
    }
    // The bytes past `bytes` arrived with the last read: count them all.
    return got / ((performance.now() - start) / 1000);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends `bytes` to a paced reader (`discard?bandwidth-in=R`), half-closes,
 * and times the whole from the connection's start until muxd closes it:
 * muxd reads the last byte at the rate's pace, whatever the kernel's
 * buffers took at once.
 *
 * @param host The listener's address.
 * @param port Its port.
 * @param bytes How many bytes to send: the rate times the window.
 * @param timeoutMs The most it may take.
 * @returns Bytes a second.
 * @throws {Error} When the server sends anything, or the time runs out.
 */
export async function uploadRate(
  host: string,
  port: number,
  bytes: number,
  timeoutMs: number,
): Promise<number> {
  using conn = await Deno.connect({ hostname: host, port });
  const start = performance.now();
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    const chunk = new Uint8Array(Math.min(bytes, 256 * 1024)).fill(120);
    const closed = conn.read(new Uint8Array(1));
    // Awaited below; a write that fails first leaves it to fail unheard.
    closed.catch(() => {});
    for (let sent = 0; sent < bytes;) {
      sent += await conn.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
    }
    await conn.closeWrite();
    if (await closed !== null) throw new Error("discard sent something");
    return bytes / ((performance.now() - start) / 1000);
  } finally {
    clearTimeout(timer);
  }
}
