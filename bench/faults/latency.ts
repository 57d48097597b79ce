/**
 * Latency's precision: many connections at once to an echo, each sending a
 * few small timestamped messages, spread over time; the round trips with
 * `latency-out` against those without it.
 *
 * @module
 */

/** What one run of round trips measured. */
export interface RoundTrips {
  /** Every round trip, in ms. */
  readonly rtts: number[];
  /** Messages whose echo did not come back intact. */
  readonly errors: number;
}

/** How a latency run goes. */
export interface LatencyRun {
  /** Connections open at once. */
  readonly connections: number;
  /** Messages each connection sends, one at a time. */
  readonly messages: number;
  /** The time each connection's sends are spread over, in ms: connection i starts at a share of it. */
  readonly spreadMs: number;
  /** How long the whole run may take, in ms. */
  readonly timeoutMs: number;
}

const MESSAGE = 16;

/**
 * Opens `run.connections` connections to `port`, then has each send
 * `run.messages` messages of 16 bytes (its number, the message's number and
 * the time it left), one at a time, each after the echo of the one before
 * and a pause that spreads the sends over time, and measures each round
 * trip. Bounded by `run.timeoutMs`: what is not back by then is an error.
 *
 * @param host The echo's address.
 * @param port The echo's port.
 * @param run How many connections and messages.
 * @returns The round trips and the errors.
 */
export async function roundTrips(host: string, port: number, run: LatencyRun): Promise<RoundTrips> {
  const rtts: number[] = [];
  let errors = 0;
  const conns: Deno.TcpConn[] = [];
  const deadline = performance.now() + run.timeoutMs;
  try {
    for (let i = 0; i < run.connections; i++) {
      conns.push(await Deno.connect({ hostname: host, port }));
    }
    const timer = setTimeout(() => {
      for (const conn of conns) conn.close();
      conns.length = 0;
    }, Math.max(0, deadline - performance.now()));
    try {
      await Promise.all(conns.map(async (conn, c) => {
        const out = new Uint8Array(MESSAGE);
        const view = new DataView(out.buffer);
        const back = new Uint8Array(MESSAGE);
        // Each connection starts at its share of the spread, then sends
        // once every spread: the sends do not all fall on the same moment.
        // Its first message only warms it up: it waits for muxd's accept.
        await sleep((run.spreadMs * c) / run.connections);
        for (let m = -1; m < run.messages; m++) {
          const next = performance.now() + run.spreadMs;
          view.setUint32(0, c);
          view.setUint32(4, m);
          const sent = performance.now();
          view.setFloat64(8, sent);
          try {
            await conn.write(out);
            for (let at = 0; at < MESSAGE;) {
              const n = await conn.read(back.subarray(at));
              if (n === null) throw new Error("end of stream");
              at += n;
            }
          } catch {
            // Closed at the deadline, or the echo failed: counted, not thrown.
            errors += run.messages - Math.max(0, m);
            return;
          }
          const rtt = performance.now() - sent;
          if (!back.every((b, i) => b === out[i])) errors++;
          else if (m >= 0) rtts.push(rtt);
          await sleep(next - performance.now());
        }
      }));
    } finally {
      clearTimeout(timer);
    }
  } finally {
    for (const conn of conns) conn.close();
  }
  return { rtts, errors };
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
