/**
 * Drop, duplicate and reorder rates, seen by a client: numbered datagrams
 * to a UDP echo with the fault, and what comes back.
 *
 * @module
 */

/** What a client saw of its numbered datagrams. */
export interface DatagramCounts {
  /** Datagrams sent and counted. */
  readonly sent: number;
  /** Of those, how many never came back. */
  readonly lost: number;
  /** How many came back more than once. */
  readonly doubled: number;
  /** How many came back first after a later one had: overtaken. */
  readonly overtaken: number;
}

/** Datagrams sent at once before waiting for the echoes to settle. */
const BATCH = 50;
/** How long no echo must come for a batch to have settled, in ms. */
const QUIET_MS = 30;
/** Datagrams in flight at most when none is lost: a steady stream, so that a held one always has later ones to go ahead of it. */
const WINDOW = 64;
/** Datagrams sent after the counted ones, so that a held one at the end has later ones to go ahead of it. */
const TAIL = 20;

/**
 * Sends `count` numbered datagrams (then a few uncounted ones) to `port`
 * and counts what came back: lost, doubled, overtaken. Where datagrams may
 * be lost, they go in batches of 50, each once the echoes of the one
 * before stopped coming; where none is (`lossless`), as a steady stream
 * with {@linkcode WINDOW} in flight, so that no gap leaves a held datagram
 * to go out by its timeout with nothing ahead of it. Bounded by `timeoutMs`.
 *
 * @param host The echo's address.
 * @param port Its port.
 * @param count How many datagrams to count.
 * @param lossless Whether every datagram comes back (duplicate, reorder).
 * @param timeoutMs The most it may take.
 * @returns The counts.
 */
export async function datagramCounts(
  host: string,
  port: number,
  count: number,
  lossless: boolean,
  timeoutMs: number,
): Promise<DatagramCounts> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: host, port: 0 });
  const target: Deno.NetAddr = { transport: "udp", hostname: host, port };
  const seen = new Uint16Array(count + TAIL);
  let highest = -1;
  let overtaken = 0;
  let arrivals = 0;
  let lastArrival = performance.now();
  let distinct = 0;
  let room = null as PromiseWithResolvers<void> | null;
  const receiving = (async () => {
    try {
      for (;;) {
        const [bytes] = await socket.receive();
        if (bytes.length !== 4) continue;
        const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
        if (n >= seen.length) continue;
        arrivals++;
        lastArrival = performance.now();
        if (seen[n] === 0) {
          distinct++;
          room?.resolve();
          room = null;
        }
        if (seen[n]++ === 0 && n < highest && n < count) overtaken++;
        highest = Math.max(highest, n);
      }
    } catch {
      // The socket closed: the run is over.
    }
  })();
  const deadline = performance.now() + timeoutMs;
  const settle = async (quietMs: number) => {
    const before = arrivals;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (performance.now() > deadline) return;
      const quietFor = performance.now() - lastArrival;
      if (quietFor >= quietMs && (arrivals > before || quietFor >= 4 * quietMs)) return;
    }
  };
  try {
    const out = new Uint8Array(4);
    const view = new DataView(out.buffer);
    if (lossless) {
      for (let n = 0; n < count + TAIL && performance.now() < deadline; n++) {
        while (n - distinct >= WINDOW && performance.now() < deadline) {
          room = Promise.withResolvers<void>();
          const timer = setTimeout(() => room?.resolve(), 200);
          await room.promise;
          clearTimeout(timer);
        }
        view.setUint32(0, n);
        await socket.send(out, target);
      }
    } else {
      for (let first = 0; first < count + TAIL && performance.now() < deadline; first += BATCH) {
        for (let n = first; n < Math.min(first + BATCH, count + TAIL); n++) {
          view.setUint32(0, n);
          await socket.send(out, target);
        }
        await settle(QUIET_MS);
      }
    }
    // A datagram held to the end waits at most 100 ms for a later one.
    await settle(150);
  } finally {
    socket.close();
    await receiving;
  }
  let lost = 0;
  let doubled = 0;
  for (let n = 0; n < count; n++) {
    if (seen[n] === 0) lost++;
    else if (seen[n] > 1) doubled++;
  }
  return { sent: count, lost, doubled, overtaken };
}
