/**
 * LoopDetector and fingerprint(): a loop's signature is the same datagram
 * from one socket name, LOOP_REPEATS times within LOOP_WINDOW_MS, among up to
 * LOOP_PRINTS different ones going round at once. Checks that the detector
 * trips exactly there, drops everything to that source for LOOP_QUIET_MS and
 * then counts again, that loops carrying several datagrams trip it, that a
 * slower stream or another source never does, that it remembers a bounded
 * number of sources (least recently seen forgotten first), and that the
 * fingerprint tells apart datagrams that differ in length, sequence number,
 * middle or end.
 */

import assert from "node:assert/strict";
import {
  fingerprint,
  LOOP_PRINTS,
  LOOP_QUIET_MS,
  LOOP_REPEATS,
  LOOP_WINDOW_MS,
  LoopDetector,
} from "../../lib/guard/mod.ts";

const PEER = { address: "127.0.0.1", port: 40000 };
const PING = new TextEncoder().encode("ping\n");

/** Feeds `count` copies of `datagram`, `gapMs` apart from `start`, and returns which ones tripped. */
function trips(
  detector: LoopDetector,
  datagram: Uint8Array,
  count: number,
  gapMs: number,
  start = 0,
): number[] {
  const tripped: number[] = [];
  for (let i = 1; i <= count; i++) {
    if (detector.feeds(PEER, datagram, start + i * gapMs)) tripped.push(i);
  }
  return tripped;
}

Deno.test(`LoopDetector.feeds() trips at the ${LOOP_REPEATS}th identical datagram, drops all for ${LOOP_QUIET_MS} ms, then counts again`, () => {
  const detector = new LoopDetector();
  // One every 0.1 ms: tripped at 100 (10 ms), quiet until 60 ms, 100 more to 70 ms.
  const tripped = trips(detector, PING, 1000, 0.1);
  const quiet = LOOP_QUIET_MS / 0.1;
  assert.equal(tripped[0], LOOP_REPEATS);
  assert.deepEqual(
    tripped.slice(0, quiet),
    Array.from({ length: quiet }, (_, i) => LOOP_REPEATS + i),
    "every datagram in the quiet time is dropped",
  );
  assert.equal(
    tripped[quiet],
    LOOP_REPEATS + quiet + LOOP_REPEATS - 1,
    "then 100 are counted again",
  );
});

for (const distinct of [2, 10, LOOP_PRINTS]) {
  Deno.test(`LoopDetector.feeds() trips on a loop carrying ${distinct} different datagrams at once`, () => {
    const detector = new LoopDetector();
    const datagrams = Array.from(
      { length: distinct },
      (_, i) => new TextEncoder().encode(`datagram ${i}`),
    );
    // Round and round, as two echo servers bounce what was put between them.
    let first = -1;
    for (let n = 0; n < LOOP_REPEATS * distinct && first === -1; n++) {
      if (detector.feeds(PEER, datagrams[n % distinct], n * 0.05)) first = n;
    }
    assert.notEqual(first, -1, "the loop was never seen");
    // Then every datagram still in flight is dropped as it comes back.
    const back = datagrams.map((d, i) => detector.feeds(PEER, d, first * 0.05 + 0.01 * (i + 1)));
    assert.deepEqual(back, datagrams.map(() => true));
  });
}

Deno.test(`LoopDetector.feeds() trips when ${LOOP_REPEATS} identical datagrams take just under ${LOOP_WINDOW_MS} ms`, () => {
  const detector = new LoopDetector();
  const gap = (LOOP_WINDOW_MS - 0.01) / (LOOP_REPEATS - 1);
  assert.deepEqual(trips(detector, PING, LOOP_REPEATS, gap), [LOOP_REPEATS]);
});

Deno.test("LoopDetector.feeds() never trips on identical datagrams slower than a loop", () => {
  const detector = new LoopDetector();
  // Just over the window for each streak: a client pinging 99 times a second.
  const gap = LOOP_WINDOW_MS / (LOOP_REPEATS - 1) + 0.01;
  assert.deepEqual(trips(detector, PING, 10 * LOOP_REPEATS, gap), []);
});

Deno.test("LoopDetector.feeds() keeps counting a datagram while others come between", () => {
  const detector = new LoopDetector();
  assert.deepEqual(trips(detector, PING, LOOP_REPEATS - 1, 0.1), []);
  assert.equal(detector.feeds(PEER, new TextEncoder().encode("pong\n"), 10), false);
  assert.deepEqual(trips(detector, PING, 1, 0.1, 10), [1]);
});

Deno.test(`LoopDetector.feeds() forgets a datagram once ${LOOP_PRINTS} others came after it`, () => {
  const detector = new LoopDetector();
  assert.deepEqual(trips(detector, PING, LOOP_REPEATS - 1, 0.1), []);
  for (let i = 0; i < LOOP_PRINTS; i++) {
    assert.equal(
      detector.feeds(PEER, new TextEncoder().encode(`other ${i}`), 10 + i * 0.01),
      false,
    );
  }
  assert.deepEqual(trips(detector, PING, 1, 0.1, 11), [], "PING's count started again");
});

Deno.test("LoopDetector.feeds() never trips on requests with a sequence number", () => {
  const detector = new LoopDetector();
  const request = new Uint8Array(48);
  const view = new DataView(request.buffer);
  for (let seq = 0; seq < 10_000; seq++) {
    view.setUint32(0, seq, true);
    assert.equal(detector.feeds(PEER, request, seq * 0.01), false, `request ${seq}`);
  }
});

Deno.test("LoopDetector.feeds() counts each source socket name on its own", () => {
  const detector = new LoopDetector();
  // Another port on the same address, and the same port on another address.
  const others = [{ address: "127.0.0.1", port: 40001 }, { ...PEER, address: "127.0.0.2" }];
  for (let i = 1; i < LOOP_REPEATS; i++) {
    assert.equal(detector.feeds(PEER, PING, i * 0.1), false);
    for (const other of others) assert.equal(detector.feeds(other, PING, i * 0.1), false);
  }
  assert.equal(detector.feeds(PEER, PING, 10), true);
  for (const other of others) assert.equal(detector.feeds(other, PING, 10), true);
});

/** A source on port `port` of 127.0.0.1. */
const peer = (port: number) => ({ address: "127.0.0.1", port });

/** A detector of room 3 that has seen port 1 LOOP_REPEATS - 1 times in a row, then ports 2 and 3 once. */
function fullDetector(): LoopDetector {
  const detector = new LoopDetector(3);
  for (let i = 1; i < LOOP_REPEATS; i++) detector.feeds(peer(1), PING, i * 0.1);
  detector.feeds(peer(2), PING, 10);
  detector.feeds(peer(3), PING, 10);
  return detector;
}

Deno.test("LoopDetector keeps a source that is seen again when new sources arrive", () => {
  const detector = fullDetector();
  detector.feeds(peer(4), PING, 10); // forgets port 2; port 1, seen again, gets a second chance
  detector.feeds(peer(5), PING, 10); // forgets port 3
  assert.equal(detector.size, 3);
  assert.equal(detector.feeds(peer(1), PING, 11), true, "port 1's streak was kept");
});

Deno.test("LoopDetector forgets, at most maxKeys sources on, a source not seen again", () => {
  const detector = fullDetector();
  for (const port of [4, 5, 6]) detector.feeds(peer(port), PING, 10);
  assert.equal(detector.size, 3);
  assert.equal(detector.feeds(peer(1), PING, 11), false, "port 1's streak starts again");
});

Deno.test("LoopDetector keeps a loop's streak through a flood of new sources, and its size", () => {
  const detector = new LoopDetector(100);
  let first = -1;
  // 10,000 sources seen once each, and a loop that sends one datagram for every 10 of them.
  for (let port = 1; port <= 10_000; port++) {
    detector.feeds(peer(port), PING, port * 0.01);
    if (port % 10 === 0 && detector.feeds(peer(0), PING, port * 0.01) && first === -1) {
      first = port / 10;
    }
  }
  assert.equal(detector.size, 100);
  assert.equal(first, LOOP_REPEATS, "the loop was seen at its 100th datagram");
});

/** `length` bytes of a pattern, with `changes` applied. */
function datagram(length: number, changes: Record<number, number> = {}): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7) & 0xff;
  for (const [at, value] of Object.entries(changes)) bytes[Number(at)] = value;
  return bytes;
}

const DIFFERENT: readonly [what: string, a: Uint8Array, b: Uint8Array][] = [
  ["two lengths", datagram(40), datagram(41)],
  ["empty and one byte", datagram(0), datagram(1, { 0: 0 })],
  ["the first byte", datagram(64), datagram(64, { 0: 1 })],
  ["the eighth byte", datagram(64), datagram(64, { 7: 255 })],
  ["the last byte", datagram(64), datagram(64, { 63: 1 })],
  ["the last byte of a short datagram", datagram(5), datagram(5, { 4: 200 })],
  ["the last byte of 64 KiB", datagram(65_535), datagram(65_535, { 65_534: 1 })],
];

for (const [what, a, b] of DIFFERENT) {
  Deno.test(`fingerprint() tells apart datagrams that differ in ${what}`, () => {
    assert.notEqual(fingerprint(a), fingerprint(b));
  });
}

Deno.test("fingerprint() is the same for the same bytes in different buffers", () => {
  const a = datagram(444);
  const b = new Uint8Array(1000).subarray(100, 544);
  b.set(a);
  assert.equal(fingerprint(a), fingerprint(b));
  assert.ok(Number.isInteger(fingerprint(a)) && fingerprint(a) >= 0 && fingerprint(a) < 2 ** 32);
});

Deno.test("LoopDetector.check() tells a trip from the quiet time after it; pardon() takes a trip back and counts nothing until its end; convict() gives the quiet time", () => {
  const detector = new LoopDetector();
  const peer = { address: "127.0.0.1", port: 40000 };
  const ping = new TextEncoder().encode("ping");
  for (let i = 1; i < LOOP_REPEATS; i++) assert.equal(detector.check(peer, ping, i), "no");
  assert.equal(detector.check(peer, ping, LOOP_REPEATS), "trip");
  assert.equal(detector.check(peer, ping, LOOP_REPEATS + 1), "quiet");
  detector.pardon(peer, 10_000);
  for (let t = 200; t < 10_000; t += 5) assert.equal(detector.check(peer, ping, t), "no");
  // Counted again after the pardon.
  const after = Array.from(
    { length: LOOP_REPEATS },
    (_, i) => detector.check(peer, ping, 10_000 + i),
  );
  assert.equal(after.at(-1), "trip");
  detector.pardon(peer, Infinity);
  assert.equal(detector.check(peer, ping, 20_000), "no");
  detector.convict(peer, 20_001, 30_000);
  assert.equal(detector.check(peer, ping, 20_002), "quiet");
  assert.equal(detector.check(peer, ping, 20_001 + LOOP_QUIET_MS), "no");
  // Convicted until 30 s: its next trip is quiet at once, with no question asked.
  const again = Array.from(
    { length: LOOP_REPEATS },
    (_, i) => detector.check(peer, ping, 20_100 + i),
  );
  assert.equal(again.at(-1), "quiet");
  const later = Array.from(
    { length: LOOP_REPEATS },
    (_, i) => detector.check(peer, ping, 30_000 + i),
  );
  assert.equal(later.at(-1), "trip");
  // A source it does not remember is left alone.
  detector.pardon({ address: "127.0.0.1", port: 1 }, Infinity);
  detector.convict({ address: "127.0.0.1", port: 1 }, 0);
  assert.equal(detector.size, 1);
});
