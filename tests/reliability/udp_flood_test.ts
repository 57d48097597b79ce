/**
 * A UDP flood does not starve TCP: 100,000 datagrams (1,000,000 with
 * MUXD_SOAK=1) sent from loopback as fast as the sender can, to a UDP discard
 * listener of one muxd, while a TCP whoami listener of the same muxd is asked
 * again and again. Checks that 95 % of the whoami round trips (connect, read
 * the answer to its end) during the flood take less than 200 ms and every
 * one less than 1 s (starved for the flood, which lasts seconds, one would
 * take longer; a busy 2-core machine alone can delay one by 150 ms), and
 * that muxd is alive and answers afterwards. Prints the round-trip times,
 * this test process's own event-loop lag (to tell a slow muxd from a busy
 * test), and the datagrams lost (sent minus those muxd logged); loss is not
 * asserted: UDP may drop.
 */

import assert from "node:assert/strict";
import { SOAK } from "./_soak.ts";
import { startMuxd } from "../_support/process.ts";
import { readToEnd } from "../_support/socket.ts";
import { sleep } from "../_support/wait.ts";

const DATAGRAMS = SOAK ? 1_000_000 : 100_000;
/** The flood stops here even when not every datagram went out. */
const FLOOD_CAP_MS = SOAK ? 110_000 : 60_000;
/** Datagrams sent between two turns of the event loop, which serve the whoami client. */
const BATCH = 200;
const DATAGRAM_BYTES = 64;
const PROBE_EVERY_MS = 50;
/** The 95th percentile's bound. */
const P95_ROUND_TRIP_MS = 200;
/** Every round trip's bound: far below the flood's length. */
const MAX_ROUND_TRIP_MS = 1000;
const LAG_TICK_MS = 10;

/** One whoami round trip: connect, read to the end. Returns the answer and the time. */
async function whoami(port: number): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const text = new TextDecoder().decode(await readToEnd(conn, 4096));
    return { text, ms: performance.now() - started };
  } finally {
    conn.close();
  }
}

/** How many datagrams muxd's text log shows arriving at the discard listener. */
function logged(stderr: string, port: number): number {
  const needle = `udp 127.0.0.1:${port} <- `;
  let count = 0;
  for (let at = stderr.indexOf(needle); at !== -1; at = stderr.indexOf(needle, at + 1)) count++;
  return count;
}

Deno.test({
  name: `muxd serve answers TCP whoami within ${P95_ROUND_TRIP_MS} ms (p95) while ` +
    `${DATAGRAMS.toLocaleString("en")} UDP datagrams flood another listener`,
  async fn() {
    await using muxd = await startMuxd([
      "serve",
      "-l",
      "udp://127.0.0.1:0=discard",
      "-l",
      "tcp://127.0.0.1:0=whoami",
    ]);
    const udpPort = muxd.port(0);
    const tcpPort = muxd.port(1);
    const sender = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const target: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: udpPort };

    let flooding = true;
    const roundTrips: number[] = [];
    // This process's own event-loop lag, to tell a slow muxd from a busy test.
    let lag = 0;
    let tick = performance.now();
    const lagMeter = setInterval(() => {
      const now = performance.now();
      lag = Math.max(lag, now - tick - LAG_TICK_MS);
      tick = now;
    }, LAG_TICK_MS);
    const prober = (async () => {
      while (flooding) {
        const { text, ms } = await whoami(tcpPort);
        assert.match(text, /^service: whoami$/m);
        roundTrips.push(ms);
        await sleep(PROBE_EVERY_MS);
      }
    })();

    let sent = 0;
    const started = performance.now();
    const capAt = started + FLOOD_CAP_MS;
    try {
      const payload = new Uint8Array(DATAGRAM_BYTES);
      const view = new DataView(payload.buffer);
      while (sent < DATAGRAMS && performance.now() < capAt) {
        for (let i = 0; i < BATCH && sent < DATAGRAMS; i++) {
          view.setUint32(0, sent);
          await sender.send(payload, target);
          sent++;
        }
        await sleep(0);
      }
    } finally {
      sender.close();
      flooding = false;
      clearInterval(lagMeter);
      await prober;
    }
    const floodMs = performance.now() - started;

    // Let muxd catch up with what is queued, then count what it logged.
    let seen = logged(muxd.stderr(), udpPort);
    for (let stable = 0; stable < 5 && seen < sent;) {
      await sleep(100);
      const now = logged(muxd.stderr(), udpPort);
      stable = now === seen ? stable + 1 : 0;
      seen = now;
    }
    const after = await whoami(tcpPort);

    const sorted = [...roundTrips].sort((a, b) => a - b);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    console.log(
      `flood: ${sent} datagrams of ${DATAGRAM_BYTES} B in ${Math.round(floodMs)} ms ` +
        `(${Math.round(sent / floodMs * 1000)}/s); muxd logged ${seen}, ` +
        `lost ${sent - seen} (${((sent - seen) / sent * 100).toFixed(2)} %)\n` +
        `whoami during the flood: ${roundTrips.length} round trips, median ${
          p(0.5).toFixed(1)
        } ms, ` +
        `p95 ${p(0.95).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms; ` +
        `after it: ${after.ms.toFixed(1)} ms; this process's own event loop lagged ` +
        `${lag.toFixed(1)} ms at most`,
    );

    assert.equal(sent, DATAGRAMS, `the sender hit its ${FLOOD_CAP_MS} ms cap`);
    assert.ok(roundTrips.length >= 5, `only ${roundTrips.length} whoami round trips`);
    const all = roundTrips.map((t) => t.toFixed(0)).join(", ");
    assert.ok(
      p(0.95) < P95_ROUND_TRIP_MS,
      `95th percentile whoami round trip ${p(0.95).toFixed(1)} ms (this process lagged ` +
        `${lag.toFixed(1)} ms at most): ${all}`,
    );
    assert.ok(
      sorted.at(-1)! < MAX_ROUND_TRIP_MS,
      `slowest whoami round trip ${sorted.at(-1)!.toFixed(1)} ms (this process lagged ` +
        `${lag.toFixed(1)} ms at most): ${all}`,
    );
    assert.match(after.text, /^service: whoami$/m);
    assert.ok(seen > 0, "muxd logged no datagram at all");
    assert.doesNotMatch(muxd.stderr(), / ERR /, "muxd logged an error");
  },
});
