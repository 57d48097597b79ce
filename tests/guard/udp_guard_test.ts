/**
 * UdpGuard: the checks on every datagram. Checks admit() for each
 * SuppressReason (denied; bad-source for broadcast, multicast, unspecified
 * addresses and port 0; server-port below 1024; loop for muxd's own socket
 * names and ports) and limitReply(): loopback sources on ephemeral ports get
 * every reply whole, loopback sources on other ports none (loop) unless the
 * listener says reply-to=any, sources outside loopback get no reply larger
 * than the request times the amplification factor (cut when the service
 * allows it) and no more replies than reply-rate allows, and no source gets
 * the reply that would feed a loop (the same datagram 100 times in a row
 * within a second).
 */

import assert from "node:assert/strict";
import {
  type ConnectedPeers,
  DEFAULT_LIMITS,
  limitsFrom,
  type ListenerLimits,
  LOOKUP_MAX_MS,
  LOOP_QUIET_MS,
  LOOP_REPEATS,
  LOOP_VERDICT_MS,
  type ReplyDecision,
  type SocketName,
  SUPPRESS_WORDS,
  type SuppressReason,
  UdpGuard,
} from "../../lib/guard/mod.ts";

/** A listener, told apart by identity. */
const LISTENER = {};
const OTHER_LISTENER = {};

/** muxd's own UDP sockets in these tests. */
const OWN: readonly SocketName[] = [
  { address: "127.0.0.1", port: 5000 },
  { address: "::1", port: 5001 },
];

const DEFAULTS = limitsFrom({});

const ADMIT: readonly [
  what: string,
  options: Record<string, string>,
  remote: SocketName,
  expected: SuppressReason | null,
][] = [
  ["a client on loopback", {}, { address: "127.0.0.1", port: 40000 }, null],
  ["a client outside loopback", {}, { address: "192.0.2.1", port: 40000 }, null],
  ["an IPv6 client", {}, { address: "2001:db8::1", port: 40000 }, null],
  ["the lowest client port", {}, { address: "192.0.2.1", port: 1024 }, null],
  // denied
  ["a denied peer", { deny: "127.0.0.1" }, { address: "127.0.0.1", port: 40000 }, "denied"],
  ["a denied range", { deny: "192.0.2.0/24" }, { address: "192.0.2.77", port: 40000 }, "denied"],
  [
    "a peer outside allow",
    { allow: "10.0.0.0/8" },
    { address: "127.0.0.1", port: 40000 },
    "denied",
  ],
  ["a peer inside allow", { allow: "10.0.0.0/8" }, { address: "10.1.1.1", port: 40000 }, null],
  // bad-source
  ["broadcast", {}, { address: "255.255.255.255", port: 40000 }, "bad-source"],
  ["IPv4 multicast", {}, { address: "224.0.0.1", port: 40000 }, "bad-source"],
  ["the top of IPv4 multicast", {}, { address: "239.255.255.250", port: 40000 }, "bad-source"],
  ["reserved 240/4", {}, { address: "240.0.0.1", port: 40000 }, "bad-source"],
  ["the IPv4 unspecified address", {}, { address: "0.0.0.0", port: 40000 }, "bad-source"],
  ["IPv6 multicast", {}, { address: "ff02::1", port: 40000 }, "bad-source"],
  ["the IPv6 unspecified address", {}, { address: "::", port: 40000 }, "bad-source"],
  ["mapped multicast", {}, { address: "::ffff:224.0.0.1", port: 40000 }, "bad-source"],
  ["mapped broadcast", {}, { address: "::ffff:255.255.255.255", port: 40000 }, "bad-source"],
  ["port 0", {}, { address: "127.0.0.1", port: 0 }, "bad-source"],
  ["port 0 outside loopback", {}, { address: "192.0.2.1", port: 0 }, "bad-source"],
  // server-port
  ["port 7 (echo)", {}, { address: "127.0.0.1", port: 7 }, "server-port"],
  ["port 19 (chargen)", {}, { address: "192.0.2.1", port: 19 }, "server-port"],
  ["port 1023", {}, { address: "192.0.2.1", port: 1023 }, "server-port"],
  ["IPv6 port 53", {}, { address: "2001:db8::1", port: 53 }, "server-port"],
  // loop
  ["its own IPv4 socket name", {}, { address: "127.0.0.1", port: 5000 }, "loop"],
  ["its own IPv6 socket name", {}, { address: "::1", port: 5001 }, "loop"],
  ["its own port on another address", {}, { address: "127.0.0.2", port: 5000 }, "loop"],
  ["its own port from outside", {}, { address: "192.0.2.1", port: 5001 }, "loop"],
  // The order of the checks.
  ["a denied peer on its own port", { deny: "127.0.0.2" }, {
    address: "127.0.0.2",
    port: 5000,
  }, "denied"],
  ["the unspecified address on its own port", {}, { address: "0.0.0.0", port: 5000 }, "bad-source"],
];

for (const [what, options, remote, expected] of ADMIT) {
  Deno.test(
    `UdpGuard.admit() ${expected === null ? "admits" : `suppresses with "${expected}"`} ${what} ` +
      `(${remote.address} port ${remote.port})`,
    () => {
      const guard = new UdpGuard(OWN);
      assert.equal(guard.admit(limitsFrom(options), remote)?.reason ?? null, expected);
    },
  );
}

Deno.test("UdpGuard.setOwn() replaces the socket names the loop guard knows", () => {
  const guard = new UdpGuard(OWN);
  const from5000 = { address: "127.0.0.2", port: 5000 };
  const from6000 = { address: "127.0.0.2", port: 6000 };
  const reason = (remote: SocketName) => guard.admit(DEFAULTS, remote)?.reason ?? null;
  assert.equal(reason(from5000), "loop");
  assert.equal(reason(from6000), null);
  guard.setOwn([{ address: "127.0.0.1", port: 6000 }]);
  assert.equal(reason(from5000), null);
  assert.equal(reason(from6000), "loop");
  guard.setOwn([]);
  assert.equal(reason(from6000), null);
});

const bytes = (n: number) => new Uint8Array(n).fill(0x41);

/** The decision as a plain tuple: the size sent and whether it was cut, or the reason. */
function summary(d: ReplyDecision): [number, boolean] | SuppressReason {
  return "suppress" in d ? d.suppress.reason : [d.send.length, d.cut];
}

const REPLIES: readonly [
  what: string,
  options: Record<string, string>,
  address: string,
  request: number,
  reply: number,
  cuttable: boolean,
  expected: [number, boolean] | SuppressReason,
][] = [
  // Loopback: whatever the size, whole.
  ["loopback, 1 B in, 444 B out", {}, "127.0.0.1", 1, 444, true, [444, false]],
  ["loopback, 0 B in, 40 B out", {}, "127.0.0.1", 0, 40, false, [40, false]],
  ["IPv6 loopback", {}, "::1", 1, 444, false, [444, false]],
  ["mapped loopback", {}, "::ffff:127.0.0.1", 1, 444, false, [444, false]],
  ["loopback, amplification=0", { amplification: "0" }, "127.0.0.9", 1, 40, false, [40, false]],
  // Outside loopback, amplification 1 (the default).
  ["a reply as large as the request", {}, "192.0.2.1", 40, 40, false, [40, false]],
  ["a reply smaller than the request", {}, "192.0.2.1", 100, 40, false, [40, false]],
  ["a reply larger than the request", {}, "192.0.2.1", 39, 40, false, "amplification"],
  ["1 B in, a daytime line out", {}, "192.0.2.1", 1, 40, false, "amplification"],
  ["1 B in, chargen out", {}, "192.0.2.1", 1, 444, true, [1, true]],
  ["10 B in, chargen out", {}, "192.0.2.1", 10, 444, true, [10, true]],
  ["0 B in, chargen out", {}, "192.0.2.1", 0, 444, true, "amplification"],
  ["IPv6, 1 B in, 40 B out", {}, "2001:db8::1", 1, 40, false, "amplification"],
  ["mapped, 1 B in, 40 B out", {}, "::ffff:192.0.2.1", 1, 40, false, "amplification"],
  // Other factors.
  ["factor 2.5, 10 B in, 25 B out", { amplification: "2.5" }, "192.0.2.1", 10, 25, false, [
    25,
    false,
  ]],
  [
    "factor 2.5, 10 B in, 26 B out",
    { amplification: "2.5" },
    "192.0.2.1",
    10,
    26,
    false,
    "amplification",
  ],
  ["factor 2.5, 10 B in, chargen", { amplification: "2.5" }, "192.0.2.1", 10, 444, true, [
    25,
    true,
  ]],
  ["factor 0, chargen", { amplification: "0" }, "192.0.2.1", 100, 444, true, "amplification"],
  ["factor 0, echo", { amplification: "0" }, "192.0.2.1", 100, 100, false, "amplification"],
  ["factor 1000, 1 B in, 444 B out", { amplification: "1000" }, "192.0.2.1", 1, 444, false, [
    444,
    false,
  ]],
];

for (const [what, options, address, request, reply, cuttable, expected] of REPLIES) {
  Deno.test(
    `UdpGuard.limitReply() ${
      Array.isArray(expected)
        ? `sends ${expected[0]} B${expected[1] ? " (cut)" : ""}`
        : `suppresses with "${expected}"`
    }: ${what}`,
    () => {
      const guard = new UdpGuard(OWN);
      const decision = guard.limitReply(
        LISTENER,
        limitsFrom(options),
        { address, port: 40000 },
        bytes(request),
        bytes(reply),
        cuttable,
      );
      assert.deepEqual(summary(decision), expected);
    },
  );
}

Deno.test("UdpGuard.limitReply() says why a reply is too large for its source, and the factor that lets it through", () => {
  const guard = new UdpGuard(OWN);
  const detail = (options: Record<string, string>, request: number, reply: number) => {
    const decision = guard.limitReply(
      LISTENER,
      limitsFrom(options),
      { address: "192.0.2.1", port: 40000 },
      bytes(request),
      bytes(reply),
      false,
    );
    return "suppress" in decision ? decision.suppress.detail : null;
  };
  assert.equal(
    detail({}, 6, 141),
    "the reply of 141 B would be more than 1 times the request's 6 B, for a source outside " +
      "loopback: ?amplification=24 lets it through",
  );
  assert.match(detail({ amplification: "2.5" }, 10, 26)!, /more than 2\.5 times .*=3 lets it/);
  assert.match(detail({}, 0, 40)!, /request's 0 B, .*: an empty request gets no reply$/);
  assert.match(detail({}, 1, 1001)!, /no amplification setting \(at most 1000\) lets it through$/);
});

Deno.test("UdpGuard.limitReply() sends the reply's own first bytes when it cuts", () => {
  const guard = new UdpGuard(OWN);
  const reply = new TextEncoder().encode("!\"#$%&'()*+,-./0123456789");
  const decision = guard.limitReply(
    LISTENER,
    DEFAULTS,
    { address: "192.0.2.1", port: 40000 },
    bytes(5),
    reply,
    true,
  );
  assert.ok("send" in decision);
  assert.equal(new TextDecoder().decode(decision.send), '!"#$%');
});

/** A 10 B request that starts with the sequence number `seq`, as a client numbers them. */
function numbered(seq: number): Uint8Array {
  const request = bytes(10);
  new DataView(request.buffer).setUint32(0, seq);
  return request;
}

/**
 * Asks for `count` replies of 10 B to numbered 10 B requests and counts what
 * each decision was.
 */
function burst(
  guard: UdpGuard,
  listener: object,
  limits: ListenerLimits,
  address: string,
  count: number,
): Record<string, number> {
  const tally: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const remote = { address, port: 40000 };
    const d = guard.limitReply(listener, limits, remote, numbered(i), bytes(10), false);
    const key = "suppress" in d ? d.suppress.reason : "sent";
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

Deno.test('UdpGuard.limitReply() suppresses with "rate" past a burst of twice reply-rate', () => {
  const guard = new UdpGuard(OWN);
  const limits = limitsFrom({ "reply-rate": "5" });
  assert.deepEqual(burst(guard, LISTENER, limits, "192.0.2.1", 30), { sent: 10, rate: 20 });
});

Deno.test("UdpGuard.limitReply() counts the reply rate per source and per listener", () => {
  const guard = new UdpGuard(OWN);
  const limits = limitsFrom({ "reply-rate": "2" });
  assert.deepEqual(burst(guard, LISTENER, limits, "192.0.2.1", 5), { sent: 4, rate: 1 });
  assert.deepEqual(burst(guard, LISTENER, limits, "192.0.2.2", 5), { sent: 4, rate: 1 });
  assert.deepEqual(burst(guard, OTHER_LISTENER, limits, "192.0.2.1", 5), { sent: 4, rate: 1 });
});

Deno.test("UdpGuard.limitReply() rate-limits loopback only when the spec sets reply-rate", () => {
  // By default loopback, where a test suite's clients are, is spared.
  const spared = new UdpGuard(OWN);
  assert.deepEqual(burst(spared, LISTENER, DEFAULT_LIMITS, "127.0.0.1", 1000), { sent: 1000 });
  assert.deepEqual(burst(spared, LISTENER, DEFAULT_LIMITS, "::1", 1000), { sent: 1000 });
  // Set, it holds there too, as conn-rate does: a test can see it act.
  const strict = new UdpGuard(OWN);
  const limits = limitsFrom({ "reply-rate": "1" });
  assert.deepEqual(burst(strict, LISTENER, limits, "127.0.0.1", 10), { sent: 2, rate: 8 });
  assert.deepEqual(burst(strict, LISTENER, limits, "::1", 10), { sent: 2, rate: 8 });
});

Deno.test("UdpGuard.limitReply() spends no rate token on a reply it suppressed for size", () => {
  const guard = new UdpGuard(OWN);
  const limits = limitsFrom({ "reply-rate": "1" });
  const remote = { address: "192.0.2.1", port: 40000 };
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(
      summary(guard.limitReply(LISTENER, limits, remote, bytes(1), bytes(40), false)),
      "amplification",
    );
  }
  assert.deepEqual(burst(guard, LISTENER, limits, "192.0.2.1", 3), { sent: 2, rate: 1 });
});

Deno.test("UdpGuard.limitReply() gives replies back as the rate refills", async () => {
  const guard = new UdpGuard(OWN);
  const limits = limitsFrom({ "reply-rate": "100" });
  // The guard reads the clock itself, and a busy machine may stall this test
  // anywhere: each count is checked against the time that passed around it.
  const refilled = (ms: number) => ms * 100 / 1000;
  const t0 = performance.now();
  const first = burst(guard, LISTENER, limits, "192.0.2.1", 201);
  const t1 = performance.now();
  // The burst (twice the rate), plus what came back while it was spent.
  const most = 200 + Math.floor(refilled(t1 - t0));
  assert.ok(first.sent >= 200 && first.sent <= most, `${first.sent} of 201 sent, at most ${most}`);
  assert.equal(first.sent + (first.rate ?? 0), 201);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const t2 = performance.now();
  const { sent = 0 } = burst(guard, LISTENER, limits, "192.0.2.1", 50);
  const t3 = performance.now();
  // At least what refilled since the first burst ended (10 in 100 ms: timers
  // run late, never early); at most what refilled since it began, plus the
  // fraction of a token it left.
  const least = Math.min(50, Math.floor(refilled(t2 - t1)));
  const atMost = 1 + refilled(t3 - t0);
  assert.ok(
    sent >= least && sent <= atMost,
    `${sent} replies after ${Math.round(t2 - t1)} ms: expected ${least} to ${atMost.toFixed(1)}`,
  );
});

const PORTS: readonly [
  what: string,
  options: Record<string, string>,
  remote: SocketName,
  expected: [number, boolean] | SuppressReason,
][] = [
  // On loopback, only the ephemeral range 32768-60999 (Linux's default).
  ["the first ephemeral port", {}, { address: "127.0.0.1", port: 32768 }, [10, false]],
  ["the last ephemeral port", {}, { address: "127.0.0.1", port: 60999 }, [10, false]],
  ["the port below the range", {}, { address: "127.0.0.1", port: 32767 }, "loop"],
  ["the port above the range", {}, { address: "127.0.0.1", port: 61000 }, "loop"],
  ["port 1024", {}, { address: "127.0.0.1", port: 1024 }, "loop"],
  ["a fixed port on 127.0.0.2", {}, { address: "127.0.0.2", port: 20000 }, "loop"],
  ["a fixed port on ::1", {}, { address: "::1", port: 20000 }, "loop"],
  ["a fixed port on mapped loopback", {}, { address: "::ffff:127.0.0.1", port: 20000 }, "loop"],
  ["an ephemeral port on ::1", {}, { address: "::1", port: 50000 }, [10, false]],
  // reply-to=any lifts it; reply-to=ephemeral is the default.
  ["reply-to=any, port 20000", { "reply-to": "any" }, { address: "127.0.0.1", port: 20000 }, [
    10,
    false,
  ]],
  ["reply-to=any, port 65535", { "reply-to": "any" }, { address: "::1", port: 65535 }, [
    10,
    false,
  ]],
  ["reply-to=ephemeral, port 20000", { "reply-to": "ephemeral" }, {
    address: "127.0.0.1",
    port: 20000,
  }, "loop"],
  // Outside loopback the rule does not apply: other hosts have ranges of their own.
  ["port 20000 outside loopback", {}, { address: "192.0.2.1", port: 20000 }, [10, false]],
  ["port 1024 outside loopback", {}, { address: "2001:db8::1", port: 1024 }, [10, false]],
];

for (const [what, options, remote, expected] of PORTS) {
  Deno.test(
    `UdpGuard.limitReply() ${
      Array.isArray(expected) ? "replies" : `suppresses with "${expected}"`
    } to ${what} (${remote.address} port ${remote.port})`,
    () => {
      const guard = new UdpGuard(OWN);
      const decision = guard.limitReply(
        LISTENER,
        limitsFrom(options),
        remote,
        bytes(10),
        bytes(10),
        false,
      );
      assert.deepEqual(summary(decision), expected);
    },
  );
}

Deno.test("UdpGuard.limitReply() names the ephemeral range and reply-to=any when a port is outside it", () => {
  const guard = new UdpGuard(OWN, { first: 10000, last: 20000 });
  const reply = (port: number) =>
    guard.limitReply(LISTENER, DEFAULTS, { address: "127.0.0.1", port }, bytes(1), bytes(1), false);
  assert.deepEqual(summary(reply(10000)), [1, false]);
  assert.deepEqual(summary(reply(20000)), [1, false]);
  const outside = reply(40000);
  assert.ok("suppress" in outside);
  assert.equal(outside.suppress.reason, "loop");
  assert.match(outside.suppress.detail, /outside 10000-20000/);
  assert.match(outside.suppress.detail, /reply-to=any/);
});

Deno.test("UdpGuard.setEphemeralPorts() replaces the range the port rule uses", () => {
  const guard = new UdpGuard(OWN);
  const remote = { address: "127.0.0.1", port: 20000 };
  const reply = () =>
    summary(guard.limitReply(LISTENER, DEFAULTS, remote, bytes(1), bytes(1), false));
  assert.deepEqual(reply(), "loop");
  guard.setEphemeralPorts({ first: 1024, last: 65535 });
  assert.deepEqual(reply(), [1, false]);
  guard.setEphemeralPorts({ first: 49152, last: 65535 });
  assert.deepEqual(reply(), "loop");
});

/** Sends `count` copies of one request from `remote` and counts what each decision was. */
function repeat(
  guard: UdpGuard,
  listener: object,
  limits: ListenerLimits,
  remote: SocketName,
  count: number,
): Record<string, number> {
  const tally: Record<string, number> = {};
  const request = new TextEncoder().encode("are you a loop?\n");
  for (let i = 0; i < count; i++) {
    const d = guard.limitReply(listener, limits, remote, request, request, false);
    const key = "suppress" in d ? d.suppress.reason : "sent";
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

Deno.test(`UdpGuard.limitReply() suppresses with "loop" the ${LOOP_REPEATS}th identical datagram, and every reply to that source for a moment`, () => {
  const guard = new UdpGuard(OWN);
  const remote = { address: "127.0.0.1", port: 40000 };
  const other = { address: "127.0.0.1", port: 40001 };
  assert.deepEqual(repeat(guard, LISTENER, DEFAULTS, remote, LOOP_REPEATS - 1), {
    sent: LOOP_REPEATS - 1,
  });
  const decision = guard.limitReply(LISTENER, DEFAULTS, remote, bytes(3), bytes(3), false);
  assert.deepEqual(summary(decision), [3, false], "a different datagram is answered");
  // The 100th, and (within LOOP_QUIET_MS, as here) every one after it.
  assert.deepEqual(repeat(guard, LISTENER, DEFAULTS, remote, 10), { loop: 10 });
  const quiet = guard.limitReply(LISTENER, DEFAULTS, remote, bytes(3), bytes(3), false);
  assert.ok("suppress" in quiet && quiet.suppress.reason === "loop");
  assert.deepEqual(
    repeat(guard, LISTENER, DEFAULTS, other, 10),
    { sent: 10 },
    "others are answered",
  );
});

Deno.test("UdpGuard.limitReply() ends a loop's quiet time after LOOP_QUIET_MS of time passing, even when the wall clock steps back an hour", () => {
  const guard = new UdpGuard(OWN);
  const remote = { address: "127.0.0.1", port: 40000 };
  const at = Date.UTC(2026, 10, 22, 12);
  const ping = bytes(8);
  const reply = (request: Uint8Array, time: number) =>
    summary(guard.limitReply(LISTENER, DEFAULTS, remote, request, request, false, time));
  for (let i = 1; i < LOOP_REPEATS; i++) assert.deepEqual(reply(ping, at + i), [8, false]);
  assert.equal(reply(ping, at + LOOP_REPEATS), "loop");
  // An NTP step back an hour, then time passes: the quiet time ends as it would have.
  const back = at + LOOP_REPEATS - 3_600_000;
  assert.equal(reply(bytes(3), back), "loop", "still quiet");
  assert.equal(reply(bytes(3), back + LOOP_QUIET_MS - 1), "loop", "still quiet");
  assert.deepEqual(reply(bytes(3), back + LOOP_QUIET_MS + 1), [3, false], "quiet time over");
});

Deno.test("UdpGuard.limitReply() says why it cut a loop", () => {
  const guard = new UdpGuard(OWN);
  const remote = { address: "127.0.0.1", port: 40000 };
  let last: ReplyDecision | undefined;
  for (let i = 0; i < LOOP_REPEATS; i++) {
    last = guard.limitReply(LISTENER, DEFAULTS, remote, bytes(8), bytes(8), false);
  }
  assert.ok(last !== undefined && "suppress" in last);
  assert.equal(last.suppress.reason, "loop");
  assert.match(last.suppress.detail, new RegExp(`same datagram ${LOOP_REPEATS} times within 1 s`));
});

Deno.test("UdpGuard.limitReply() watches for loops per source socket name and per listener", () => {
  const guard = new UdpGuard(OWN);
  const a = { address: "127.0.0.1", port: 40000 };
  const b = { address: "127.0.0.1", port: 40001 };
  const c = { address: "127.0.0.2", port: 40000 };
  // Interleaved, each pair of a listener and a source sends LOOP_REPEATS - 1 in a row.
  for (const count of [LOOP_REPEATS / 2, LOOP_REPEATS / 2 - 1]) {
    for (const remote of [a, b, c]) {
      assert.deepEqual(repeat(guard, LISTENER, DEFAULTS, remote, count), { sent: count });
      assert.deepEqual(repeat(guard, OTHER_LISTENER, DEFAULTS, remote, count), { sent: count });
    }
  }
  // One more trips each pair on its own.
  for (const remote of [a, b, c]) {
    assert.deepEqual(repeat(guard, LISTENER, DEFAULTS, remote, 1), { loop: 1 });
    assert.deepEqual(repeat(guard, OTHER_LISTENER, DEFAULTS, remote, 1), { loop: 1 });
  }
});

Deno.test("UdpGuard.limitReply() never suppresses a client that numbers its requests", () => {
  const guard = new UdpGuard(OWN);
  assert.deepEqual(burst(guard, LISTENER, DEFAULTS, "127.0.0.1", 20_000), { sent: 20_000 });
});

Deno.test('UdpGuard.limitReply() suppresses with "loop" outside loopback too', () => {
  const guard = new UdpGuard(OWN);
  const limits = limitsFrom({ "reply-rate": "1000000" });
  const remote = { address: "192.0.2.1", port: 20000 };
  assert.deepEqual(repeat(guard, LISTENER, limits, remote, LOOP_REPEATS), {
    sent: LOOP_REPEATS - 1,
    loop: 1,
  });
});

Deno.test("SUPPRESS_WORDS explains every suppress reason in plain words", () => {
  const reasons: SuppressReason[] = [
    "denied",
    "bad-source",
    "server-port",
    "loop",
    "amplification",
    "rate",
    "stopping",
  ];
  assert.deepEqual(Object.keys(SUPPRESS_WORDS).sort(), [...reasons].sort());
  for (const reason of reasons) assert.ok(SUPPRESS_WORDS[reason].length > 20, reason);
});

/** A loopback listener as the dispatcher gives it: its bound socket, with its socket name. */
const BOUND = { local: { address: "127.0.0.1", port: 7007 } };

/** A lookup that answers `peers`, and counts how often it was asked. */
function answering(peers: readonly string[] | null): ConnectedPeers & { asked: number } {
  const lookup = Object.assign(
    (port: number) => {
      assert.equal(port, 7007);
      lookup.asked++;
      return Promise.resolve(peers === null ? null : new Set(peers));
    },
    { asked: 0 },
  );
  return lookup;
}

Deno.test("UdpGuard.limitReply() keeps answering a loopback client whose socket is connected to the listener, however often it repeats itself", async () => {
  const peers = answering(["127.0.0.1 40000"]);
  const guard = new UdpGuard(OWN, undefined, peers);
  const client = { address: "127.0.0.1", port: 40000 };
  // The trip sends its reply while muxd asks who the source is.
  assert.deepEqual(repeat(guard, BOUND, DEFAULTS, client, LOOP_REPEATS + 50), {
    sent: LOOP_REPEATS + 50,
  });
  await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(repeat(guard, BOUND, DEFAULTS, client, 5 * LOOP_REPEATS), {
    sent: 5 * LOOP_REPEATS,
  });
  assert.equal(peers.asked, 1, "one lookup, then the pardon holds");
  assert.ok(LOOP_VERDICT_MS >= 1000);
  await guard.close();
});

for (
  const [what, peers] of [
    ["an unconnected socket (a server answering whoever writes)", ["127.0.0.1 40001"]],
    ["a source when ss cannot answer", null],
  ] as const
) {
  Deno.test(`UdpGuard.limitReply() gives the loop's quiet time to ${what} once the lookup answers`, async () => {
    const lookup = answering(peers);
    const guard = new UdpGuard(OWN, undefined, lookup);
    const remote = { address: "127.0.0.1", port: 40000 };
    assert.deepEqual(repeat(guard, BOUND, DEFAULTS, remote, LOOP_REPEATS), { sent: LOOP_REPEATS });
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(repeat(guard, BOUND, DEFAULTS, remote, 10), { loop: 10 });
    assert.equal(lookup.asked, 1);
  });
}

Deno.test("UdpGuard.limitReply() looks up no one outside loopback, nor without a listener's socket name: the trip suppresses at once", () => {
  const peers = answering([]);
  const guard = new UdpGuard(OWN, undefined, peers);
  const outside = { address: "192.0.2.1", port: 40000 };
  const limits = limitsFrom({ "reply-rate": "100000" });
  assert.deepEqual(repeat(guard, BOUND, limits, outside, LOOP_REPEATS), {
    sent: LOOP_REPEATS - 1,
    loop: 1,
  });
  const local = { address: "127.0.0.1", port: 40000 };
  assert.deepEqual(repeat(guard, LISTENER, DEFAULTS, local, LOOP_REPEATS), {
    sent: LOOP_REPEATS - 1,
    loop: 1,
  });
  assert.equal(peers.asked, 0);
});

Deno.test("UdpGuard.limitReply() asks again for clients that trip while a lookup runs, which may have read the socket table before they connected", async () => {
  const table = new Set(["127.0.0.1 40000"]);
  const answers: (() => void)[] = [];
  let asked = 0;
  const lookup: ConnectedPeers = () => {
    asked++;
    const read = new Set(table);
    return new Promise((resolve) => answers.push(() => resolve(read)));
  };
  const guard = new UdpGuard(OWN, undefined, lookup);
  const first = { address: "127.0.0.1", port: 40000 };
  assert.deepEqual(repeat(guard, BOUND, DEFAULTS, first, LOOP_REPEATS), { sent: LOOP_REPEATS });
  // Two clients connect after the running lookup read the table, and trip.
  const late = [{ address: "127.0.0.1", port: 40001 }, { address: "127.0.0.1", port: 40002 }];
  for (const client of late) {
    table.add(`${client.address} ${client.port}`);
    assert.deepEqual(repeat(guard, BOUND, DEFAULTS, client, LOOP_REPEATS), {
      sent: LOOP_REPEATS,
    });
  }
  while (answers.length > 0) {
    answers.shift()!();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  for (const client of [first, ...late]) {
    assert.deepEqual(repeat(guard, BOUND, DEFAULTS, client, 3 * LOOP_REPEATS), {
      sent: 3 * LOOP_REPEATS,
    });
  }
  // Each trip asks: a lookup answers from the table as it is after the ask
  // (connectedPeersBySs() shares one run of ss among the asks it can).
  assert.equal(asked, 3);
});

Deno.test("UdpGuard.limitReply() takes a source for a loop when its lookup does not answer within LOOKUP_MAX_MS, and close() ends the wait", async () => {
  let asked = 0;
  // It answers nothing until it is ended, as a hung ss would until its signal.
  const never: ConnectedPeers = (
    _,
    signal,
  ) => (asked++, new Promise((resolve) => signal.addEventListener("abort", () => resolve(null))));
  const guard = new UdpGuard(OWN, undefined, never);
  const remote = { address: "127.0.0.1", port: 40000 };
  const ping = new TextEncoder().encode("ping");
  const send = () => guard.limitReply(BOUND, DEFAULTS, remote, ping, ping, false);
  for (let i = 0; i < LOOP_REPEATS; i++) assert.ok("send" in send());
  await new Promise((resolve) => setTimeout(resolve, LOOKUP_MAX_MS + 100));
  // No answer within LOOKUP_MAX_MS: a loop, whose next trip is quiet at once, unasked.
  const next = Array.from({ length: LOOP_REPEATS }, send);
  assert.ok("suppress" in next.at(-1)!, "the next trip is a loop");
  assert.equal(asked, 1);
  // Another source's lookup, still waiting, ends at close().
  const other = { address: "127.0.0.1", port: 40001 };
  for (let i = 0; i < LOOP_REPEATS; i++) {
    guard.limitReply(BOUND, DEFAULTS, other, ping, ping, false);
  }
  const started = performance.now();
  await guard.close();
  assert.ok(performance.now() - started < LOOKUP_MAX_MS / 2);
  assert.equal(asked, 2);
});

Deno.test("UdpGuard.limitReply() spares muxd's own relay sockets the loop rule: their client is held to it at the relay's listener", () => {
  const peers = answering([]);
  const guard = new UdpGuard(OWN, undefined, peers);
  const relaySocket = { address: "127.0.0.1", port: 40000 };
  guard.spareRelaySockets({ has: (s) => s.port === relaySocket.port });
  assert.deepEqual(repeat(guard, BOUND, DEFAULTS, relaySocket, 3 * LOOP_REPEATS), {
    sent: 3 * LOOP_REPEATS,
  });
  assert.equal(peers.asked, 0, "no lookup for muxd's own socket");
  // Any other source still meets the rule.
  const other = { address: "127.0.0.1", port: 40001 };
  assert.deepEqual(repeat(guard, LISTENER, DEFAULTS, other, LOOP_REPEATS), {
    sent: LOOP_REPEATS - 1,
    loop: 1,
  });
});
