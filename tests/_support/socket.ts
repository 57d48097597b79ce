/**
 * Client-side socket helpers for tests: read to the end, read an exact
 * count, write everything, one UDP round trip, how many datagrams each of
 * several sockets on one name receives, close a connection the
 * server may have closed, and a port that was free a moment ago.
 *
 * @module
 */

/**
 * Reads a connection to its end.
 *
 * @param conn The connection.
 * @param limit Stop with an error past this many bytes.
 * @returns Every byte read.
 * @throws {Error} When more than `limit` bytes arrive.
 */
export async function readToEnd(conn: Deno.Conn, limit = 64 * 1024 * 1024): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
    total += n;
    if (total > limit) throw new Error(`more than ${limit} bytes`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) out.set(c, at), at += c.length;
  return out;
}

/**
 * Reads exactly `count` bytes from `conn`.
 *
 * @param conn Where to read.
 * @param count How many bytes.
 * @returns The bytes.
 * @throws {Error} When the stream ends first.
 */
export async function readExactly(conn: Deno.Conn, count: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(count);
  let filled = 0;
  while (filled < count) {
    const n = await conn.read(bytes.subarray(filled));
    if (n === null) throw new Error(`Stream ended after ${filled} of ${count} bytes`);
    filled += n;
  }
  return bytes;
}

/**
 * Writes every byte of `bytes` to `conn`.
 *
 * @param conn Where to write.
 * @param bytes What to send.
 */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/**
 * Writes `bytes` to `conn` and half-closes it.
 *
 * @param conn Where to write.
 * @param bytes What to send.
 */
export async function sendAndHalfClose(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  await writeAll(conn, bytes);
  await conn.closeWrite();
}

/**
 * How a connection ended from the client's side, when it ended before the
 * client sent anything: `"eof"` (the server closed it), `"reset"`, or the
 * first bytes the server sent.
 */
export async function firstRead(conn: Deno.Conn): Promise<"eof" | "reset" | Uint8Array> {
  const buffer = new Uint8Array(4096);
  try {
    const n = await conn.read(buffer);
    return n === null ? "eof" : buffer.slice(0, n);
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return "reset";
    throw error;
  }
}

/** Sends `bytes` to an echo connection and checks they come back; the connection stays open. */
export async function echoRoundTrip(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  await conn.write(bytes);
  const back = new Uint8Array(bytes.length);
  let filled = 0;
  while (filled < bytes.length) {
    const n = await conn.read(back.subarray(filled));
    if (n === null) return false;
    filled += n;
  }
  return back.every((b, i) => b === bytes[i]);
}

/** Closes a connection that the server may already have closed. */
export function closeQuietly(conn: Deno.Conn | Deno.DatagramConn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/**
 * Sends one datagram from a fresh loopback socket and waits for one reply,
 * for at most `timeoutMs` (faster than `nc -u -w1`, which always waits a second).
 *
 * @returns The reply, or `null` when none came in time.
 */
export async function udpRoundTrip(
  port: number,
  bytes: Uint8Array,
  timeoutMs = 1000,
): Promise<Uint8Array | null> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const timer = setTimeout(() => socket.close(), timeoutMs);
  try {
    await socket.send(bytes, { transport: "udp", hostname: "127.0.0.1", port });
    const [reply] = await socket.receive();
    return reply;
  } catch (error) {
    // The timer closed the socket under the pending receive.
    if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
      return null;
    }
    throw error;
  } finally {
    clearTimeout(timer);
    closeQuietly(socket);
  }
}

/**
 * How many of `count` datagrams sent to `port` each socket receives, within
 * a short wait; closes the sockets.
 */
export async function deliveries(
  sockets: readonly Deno.DatagramConn[],
  port: number,
  count: number,
): Promise<number[]> {
  const got = sockets.map(() => 0);
  const pending = sockets.map((s, i) =>
    (async () => {
      for (;;) {
        await s.receive();
        got[i]++;
      }
    })().catch(() => {})
  );
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (let n = 0; n < count; n++) {
      await client.send(new Uint8Array([n]), { transport: "udp", hostname: "127.0.0.1", port });
    }
    const deadline = Date.now() + 2000;
    while (got.reduce((a, b) => a + b, 0) < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    client.close();
    for (const s of sockets) s.close();
    await Promise.all(pending);
  }
  return got;
}

/**
 * The ports {@linkcode freePort} picks from: below the OS's ephemeral range
 * (32768–60999 on Linux), which hands ports to every outgoing connection on
 * the host, so that no connection takes the port between the check and its
 * use; above the ports muxd's examples and the demo set use.
 */
const FREE_PORTS = { first: 20_000, last: 32_767 } as const;

/**
 * A port that was free a moment ago on `hostname`, for TCP and for UDP:
 * chosen at random below the ephemeral range, bound, closed. On `"::"`
 * (dual-stack on Linux) the port is free on every address of both families.
 * Only a program that binds that very port can take it before the caller
 * does; `startMuxdOnFreePort()` in process.ts retries for that case.
 *
 * @param hostname The address to probe.
 * @returns The port.
 * @throws {Error} When 100 ports in a row were taken.
 */
export function freePort(hostname = "127.0.0.1"): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FREE_PORTS.first +
      Math.floor(Math.random() * (FREE_PORTS.last - FREE_PORTS.first + 1));
    if (isFree(hostname, port)) return port;
  }
  throw new Error(`no free port found in ${FREE_PORTS.first}-${FREE_PORTS.last} on ${hostname}`);
}

/** Whether TCP and UDP can both bind `hostname:port` right now. */
function isFree(hostname: string, port: number): boolean {
  try {
    using _tcp = Deno.listen({ hostname, port });
    Deno.listenDatagram({ transport: "udp", hostname, port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

/**
 * Holds `count` consecutive ports on 127.0.0.1 below the ephemeral range,
 * from a random start: TCP listeners, and UDP sockets too with `udp`.
 *
 * @param count How many ports.
 * @param options `udp: true` binds each port for UDP as well.
 * @returns The sockets, first port first; close them when done.
 * @throws {Error} When 50 random starts met a port in use.
 */
export function holdRange(
  count: number,
  options: { udp?: boolean } = {},
): (Deno.TcpListener | Deno.DatagramConn)[] {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * (32_000 - 20_000 - count));
    const held: (Deno.TcpListener | Deno.DatagramConn)[] = [];
    try {
      for (let port = first; port < first + count; port++) {
        held.push(Deno.listen({ hostname: "127.0.0.1", port }));
        if (options.udp) {
          held.push(Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }));
        }
      }
      return held;
    } catch (error) {
      for (const h of held) h.close();
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error(`no ${count} free consecutive ports found`);
}

/**
 * The first of `count` consecutive ports on 127.0.0.1 that were free a
 * moment ago, below the ephemeral range ({@linkcode holdRange}, closed).
 *
 * @param count How many ports.
 * @param options `udp: true`: free for UDP as well.
 * @returns The first port.
 */
export function freeRange(count: number, options: { udp?: boolean } = {}): number {
  const held = holdRange(count, options);
  for (const h of held) h.close();
  return (held[0].addr as Deno.NetAddr).port;
}
