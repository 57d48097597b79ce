import assert from "node:assert/strict";
import { CHECK_EVERY, EventLoopTurns, TURN_MS } from "../../lib/dispatch/event_loop_turns.ts";

/** How long a loop below may run at most, whatever happens. */
const CAP_MS = 2000;
/** How long the waiting loop runs: many times TURN_MS. */
const WAITING_MS = 300;

Deno.test("EventLoopTurns.due() lets a timer run while a loop never waits for the event loop", async () => {
  const turns = new EventLoopTurns();
  // Another socket's work, due at once: it runs only when the event loop turns.
  let ran = false;
  const other = setTimeout(() => ran = true, 0);
  const started = performance.now();
  try {
    // Like a receive loop over queued datagrams: each step completes at once
    // (a microtask), so without a turn the timer above waits for the loop's end.
    while (!ran && performance.now() - started < CAP_MS) {
      const turn = turns.due();
      if (turn !== null) await turn;
      await Promise.resolve();
    }
    assert.ok(ran, `the timer did not run during ${CAP_MS} ms of the loop`);
  } finally {
    clearTimeout(other);
    turns.stop();
  }
});

Deno.test("EventLoopTurns.due() stops a loop that waits on its own far less often than a timer every TURN_MS would", async () => {
  const turns = new EventLoopTurns();
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const buffer = new Uint8Array(64);
  let forced = 0;
  const started = performance.now();
  try {
    // One datagram outstanding: each receive waits for the next, as a
    // server's does when its client waits for each reply.
    for (let n = 0; n < 1000 * CHECK_EVERY && performance.now() - started < WAITING_MS; n++) {
      const turn = turns.due();
      if (turn !== null) {
        forced++;
        await turn;
      }
      await peer.send(new Uint8Array([n & 0xff]), socket.addr);
      await socket.receive(buffer);
    }
    const elapsed = performance.now() - started;
    assert.ok(
      forced < elapsed / TURN_MS / 4,
      `${forced} forced turns in ${elapsed.toFixed(0)} ms, ` +
        `one every ${TURN_MS} ms would be ${Math.floor(elapsed / TURN_MS)}`,
    );
  } finally {
    turns.stop();
    socket.close();
    peer.close();
  }
});

Deno.test("EventLoopTurns.due() never stops a loop whose datagrams come a few milliseconds apart", async () => {
  const turns = new EventLoopTurns();
  let forced = 0;
  try {
    // A datagram every few ms: CHECK_EVERY of them take longer than TURN_MS,
    // but the loop waits between them, so the event loop turns each time.
    for (let n = 0; n < 4 * CHECK_EVERY; n++) {
      const turn = turns.due();
      if (turn !== null) {
        forced++;
        await turn;
      }
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    assert.equal(forced, 0);
  } finally {
    turns.stop();
  }
});

Deno.test("EventLoopTurns.due() sets a marker timer about once per half TURN_MS, not once per turn, while a loop waits for its datagrams", async () => {
  const turns = new EventLoopTurns();
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const buffer = new Uint8Array(64);
  // Every timer set while the loop runs is the marker's: nothing else runs here.
  const realSetTimeout = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    timers++;
    return realSetTimeout(...args);
  }) as typeof setTimeout;
  const started = performance.now();
  try {
    // One datagram outstanding, as in the test above: the event loop turns
    // at every receive, so a marker fires within a millisecond or two.
    for (let n = 0; n < 1000 * CHECK_EVERY && performance.now() - started < WAITING_MS; n++) {
      const turn = turns.due();
      if (turn !== null) await turn;
      await peer.send(new Uint8Array([n & 0xff]), socket.addr);
      await socket.receive(buffer);
    }
  } finally {
    globalThis.setTimeout = realSetTimeout;
    turns.stop();
    socket.close();
    peer.close();
  }
  const elapsed = performance.now() - started;
  // A marker per half TURN_MS at most, and one more for the start.
  assert.ok(
    timers <= elapsed / (TURN_MS / 2) + 1,
    `${timers} marker timers in ${elapsed.toFixed(0)} ms`,
  );
});
