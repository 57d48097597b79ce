/**
 * Many connections at once: 2,000 TCP connections (10,000 with MUXD_SOAK=1)
 * held open together over four echo listeners of one muxd process, each
 * sending its own 4 KiB of random bytes. Checks that every connection is
 * accepted while all are open (none refused), that every echo is byte-exact,
 * and that every connection closes as "done" with no error event. Prints the
 * time to connect all and to echo all.
 */

import assert from "node:assert/strict";
import { SOAK } from "./_soak.ts";
import { openFilesLimit } from "../_support/host.ts";
import { countEvents, eventsOf, logEvents } from "../_support/log.ts";
import { startMuxd } from "../_support/process.ts";
import { randomBytes } from "../_support/random.ts";
import { closeQuietly, readToEnd } from "../_support/socket.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";

const CONNECTIONS = SOAK ? 10_000 : 2_000;
const ADDRESSES = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"];
const PAYLOAD_BYTES = 4096;
/** Connections opened at once, so that the four accept queues rarely overflow into SYN retries. */
const CONNECT_WAVE = 250;
/** The whole test stops by itself after this long. */
const TIME_CAP_MS = SOAK ? 120_000 : 30_000;

/** Why this host cannot hold that many sockets in one process, or `null`. */
async function fileLimitProblem(): Promise<string | null> {
  const limit = await openFilesLimit();
  if (limit === null) {
    return "the open-files limit cannot be read here (sh -c 'ulimit -n' failed); " +
      `${CONNECTIONS} connections need about ${CONNECTIONS + 256} descriptors per process`;
  }
  const need = CONNECTIONS + 256;
  return limit < need
    ? `the open-files limit is ${limit}, below the ${need} that ${CONNECTIONS} connections ` +
      `need; raise it (ulimit -n ${need}) to run this test`
    : null;
}

const problem = await fileLimitProblem();
if (problem) console.log(`many-connections test ignored: ${problem}`);

Deno.test({
  name: `muxd serve echoes ${CONNECTIONS} concurrent TCP connections over 4 listeners byte-exact` +
    (problem ? ` (ignored: ${problem})` : ""),
  ignore: problem !== null,
  async fn() {
    const limits = `max-conns=${CONNECTIONS}&max-conns-per-source=${CONNECTIONS}&conn-rate=100000`;
    await using muxd = await startMuxd([
      "serve",
      "--log-format",
      "json",
      "--log-lines",
      "0", // every connection's lines, to count
      "--max-connections",
      `${CONNECTIONS}`,
      ...ADDRESSES.flatMap((a) => ["-l", `tcp://${a}:0=echo?${limits}`]),
    ]);
    const targets = ADDRESSES.map((hostname, i) => ({ hostname, port: muxd.port(i) }));
    const conns: Deno.TcpConn[] = [];
    const deadline = performance.now() + TIME_CAP_MS;
    try {
      // 1. Open every connection, and keep them all open.
      const connectStart = performance.now();
      for (let first = 0; first < CONNECTIONS; first += CONNECT_WAVE) {
        assert.ok(performance.now() < deadline, `still connecting after ${TIME_CAP_MS} ms`);
        const wave = Array.from(
          { length: Math.min(CONNECT_WAVE, CONNECTIONS - first) },
          (_, i) => Deno.connect(targets[(first + i) % targets.length]),
        );
        conns.push(...await Promise.all(wave));
      }
      const opened = () => countEvents(muxd.stderr(), "connection-opened");
      await waitUntil(
        () => opened() >= CONNECTIONS,
        Math.max(1000, deadline - performance.now()),
        `${CONNECTIONS} connection-opened events`,
        () => `${opened()} so far`,
      );
      const connectMs = performance.now() - connectStart;

      // 2. All of them at once: send distinct random bytes, half-close, read the echo.
      const echoStart = performance.now();
      const payloads = conns.map(() => randomBytes(PAYLOAD_BYTES));
      const echoes = await withTimeout(
        Promise.all(conns.map(async (conn, i) => {
          await conn.write(payloads[i]);
          await conn.closeWrite();
          return await readToEnd(conn, PAYLOAD_BYTES * 2);
        })),
        Math.max(1000, deadline - performance.now()),
        `echoing ${CONNECTIONS} payloads`,
      );
      const echoMs = performance.now() - echoStart;
      const wrong = echoes.flatMap((echo, i) => assertSame(echo, payloads[i], i));
      assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} connections echoed wrong bytes`);

      // 3. muxd saw every connection end as done, and nothing else went wrong.
      for (const conn of conns.splice(0)) closeQuietly(conn);
      const closedCount = () => countEvents(muxd.stderr(), "connection-closed");
      await waitUntil(
        () => closedCount() >= CONNECTIONS,
        Math.max(1000, deadline - performance.now()),
        `${CONNECTIONS} connection-closed events`,
        () => `${closedCount()} so far`,
      );
      const events = logEvents(muxd.stderr());
      const closed = eventsOf(events, "connection-closed");
      assert.deepEqual(eventsOf(events, "connection-refused"), []);
      assert.deepEqual(eventsOf(events, "error"), []);
      const reasons = Object.groupBy(closed, (e) => e.reason);
      assert.deepEqual(Object.keys(reasons), ["done"]);
      assert.ok(
        closed.every((e) => e.bytesIn === PAYLOAD_BYTES && e.bytesOut === PAYLOAD_BYTES),
        "some connection-closed event counts other than 4096 B in and out",
      );
      console.log(
        `${CONNECTIONS} connections: all open after ${Math.round(connectMs)} ms, ` +
          `all ${PAYLOAD_BYTES} B echoes back after ${Math.round(echoMs)} ms`,
      );
    } finally {
      for (const conn of conns) closeQuietly(conn);
    }
  },
});

/** An empty list when `echo` equals `payload`, else one line saying where they differ. */
function assertSame(echo: Uint8Array, payload: Uint8Array, index: number): string[] {
  if (echo.length !== payload.length) {
    return [`connection ${index}: ${echo.length} B back for ${payload.length} B sent`];
  }
  const at = echo.findIndex((b, i) => b !== payload[i]);
  return at === -1 ? [] : [`connection ${index}: first differing byte at ${at}`];
}
