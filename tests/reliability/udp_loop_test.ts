/**
 * The UDP loop guard stops an echo-to-echo loop at its first datagram. Two
 * muxd echo sockets share one port P on 127.0.0.1 (muxd A) and 127.0.0.2
 * (muxd B, or the same muxd); a test socket shares 127.0.0.2:P with B
 * (SO_REUSEADDR on both) and sends A one datagram, which looks as if B had
 * sent it. Checks that A suppresses the reply at once with reason "loop" and
 * that across a second A and B together log at most one datagram each: the
 * loop never starts.
 */

import assert from "node:assert/strict";
import type { ServerEvent } from "../../lib/events/mod.ts";
import { buildPlan, type Plan } from "../../lib/plan/mod.ts";
import { start } from "../../lib/server/mod.ts";
import { MuxdNotReadyError, type MuxdProcess, startMuxd } from "../integration/muxd_process.ts";
import { eventsOf, logEvents, serveJson, sleep, waitUntil } from "./_helpers.ts";

/** How long a loop, had it started, would have to show itself. */
const WATCH_MS = 1000;
/** The events that mean a datagram reached a socket. */
const ARRIVALS: readonly ServerEvent["type"][] = ["datagram", "reply-suppressed"];

/** A port below 32768, outside Linux's ephemeral range. */
function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 12_000);
}

function plan(...texts: string[]): Plan {
  const { plan, errors } = buildPlan(
    texts.map((text, i) => ({ text, source: { kind: "argument", index: i + 1 } })),
  );
  assert.deepEqual(errors, []);
  return plan;
}

/**
 * Runs `attempt` with random ports until one is free, at most 5 times.
 *
 * @param attempt Binds with the port; throws `Deno.errors.AddrInUse` or a
 *   MuxdNotReadyError with code 1 when it is taken.
 */
async function onFreePort<T>(attempt: (port: number) => Promise<T>): Promise<T> {
  for (let tries = 1;; tries++) {
    try {
      return await attempt(randomPort());
    } catch (error) {
      const inUse = error instanceof Deno.errors.AddrInUse ||
        (error instanceof MuxdNotReadyError && error.finished.code === 1);
      if (!inUse || tries >= 5) throw error;
    }
  }
}

/** A socket on 127.0.0.2:P beside muxd's, sending one datagram to 127.0.0.1:P. */
async function sendAsIfFromB(port: number): Promise<void> {
  const spoof = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.2",
    port,
    reuseAddress: true,
  });
  try {
    await spoof.send(new TextEncoder().encode("are you a loop?\n"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    // Keep the socket while a loop would run, so that replies have somewhere to go.
    await sleep(WATCH_MS);
  } finally {
    spoof.close();
  }
}

Deno.test("muxd serve stops an echo loop between two muxd processes at its first datagram", async () => {
  const a = await onFreePort(async (port) => ({
    port,
    muxd: await startMuxd(serveJson(`udp://127.0.0.1:${port}=echo?reuse=true`)),
  }));
  await using muxdA: MuxdProcess = a.muxd;
  await using muxdB = await startMuxd(serveJson(`udp://127.0.0.2:${a.port}=echo?reuse=true`));
  const sent = performance.now();
  const sending = sendAsIfFromB(a.port);
  let suppressedAfter: number;
  try {
    await waitUntil(
      () => eventsOf(logEvents(muxdA.stderr()), "reply-suppressed").length > 0,
      500,
      "muxd A's reply-suppressed record",
      () => muxdA.stderr(),
    );
    suppressedAfter = performance.now() - sent;
  } finally {
    await sending;
  }

  const eventsA = logEvents(muxdA.stderr());
  const eventsB = logEvents(muxdB.stderr());
  const suppressed = eventsOf(eventsA, "reply-suppressed");
  assert.deepEqual(
    suppressed.map((e) => [e.reason, e.remote, e.bytesOut]),
    [["loop", { address: "127.0.0.2", port: a.port }, 0]],
  );
  const arrivals = (events: ServerEvent[]) => events.filter((e) => ARRIVALS.includes(e.type));
  assert.ok(arrivals(eventsA).length <= 1, `A logged ${arrivals(eventsA).length} arrivals`);
  assert.ok(arrivals(eventsB).length <= 1, `B logged ${arrivals(eventsB).length} arrivals`);
  assert.deepEqual(eventsOf([...eventsA, ...eventsB], "reply"), []);
  console.log(`the loop was stopped ${suppressedAfter.toFixed(1)} ms after the first datagram`);
});

Deno.test("start() stops an echo loop between two of its own UDP sockets at its first datagram", async () => {
  const events: ServerEvent[] = [];
  const { server, port } = await onFreePort(async (port) => ({
    port,
    server: await start(
      plan(`udp://127.0.0.1:${port}=echo?reuse=true`, `udp://127.0.0.2:${port}=echo?reuse=true`),
      { sink: (e) => events.push(e) },
    ),
  }));
  try {
    await sendAsIfFromB(port);
  } finally {
    await server.close({ graceMs: 0 });
  }
  const arrivals = events.filter((e) => ARRIVALS.includes(e.type));
  assert.deepEqual(
    arrivals.map((e) => e.type === "reply-suppressed" && [e.reason, e.local, e.remote]),
    [["loop", { address: "127.0.0.1", port }, { address: "127.0.0.2", port }]],
  );
  assert.deepEqual(eventsOf(events, "reply"), []);
});
