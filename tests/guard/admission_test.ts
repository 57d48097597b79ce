/**
 * Admission and isAllowed(): which TCP connections are let in. Checks each
 * RefusalReason in turn (denied, server-full, listener-full, source-full,
 * rate), that the counters are per server, per listener and per source, and
 * that release() frees exactly one place.
 */

import assert from "node:assert/strict";
import {
  Admission,
  isAllowed,
  limitsFrom,
  type ListenerLimits,
  REFUSAL_WORDS,
  type RefusalReason,
} from "../../lib/guard/mod.ts";

/** Listeners are told apart by identity, as two `:0` specs with the same text must be. */
const [LISTENER_A, LISTENER_B, LISTENER_C, LISTENER_D, LISTENER_NEVER] = [{}, {}, {}, {}, {}];

/** Limits high enough that nothing but the rule under test refuses. */
const ROOMY_OPTIONS = {
  "max-conns": "1000",
  "max-conns-per-source": "1000",
  "conn-rate": "100000",
} as const;

const ROOMY: ListenerLimits = limitsFrom(ROOMY_OPTIONS);

/** Roomy limits, with `options` on top, parsed as a spec's options are. */
function limits(options: Record<string, string>): ListenerLimits {
  return limitsFrom({ ...ROOMY_OPTIONS, ...options });
}

const ACCESS: readonly [options: Record<string, string>, address: string, allowed: boolean][] = [
  [{}, "192.0.2.1", true],
  [{ deny: "127.0.0.1" }, "127.0.0.1", false],
  [{ deny: "127.0.0.1" }, "127.0.0.2", true],
  [{ deny: "127.0.0.1" }, "::ffff:127.0.0.1", false],
  [{ deny: "10.0.0.0/8,::1" }, "::1", false],
  [{ allow: "127.0.0.2" }, "127.0.0.1", false],
  [{ allow: "127.0.0.2" }, "127.0.0.2", true],
  [{ allow: "10.0.0.0/8,192.0.2.0/24" }, "192.0.2.77", true],
  [{ allow: "10.0.0.0/8,192.0.2.0/24" }, "198.51.100.1", false],
  // deny is checked after allow: an allowed range with a hole in it.
  [{ allow: "10.0.0.0/8", deny: "10.9.0.0/16" }, "10.8.1.1", true],
  [{ allow: "10.0.0.0/8", deny: "10.9.0.0/16" }, "10.9.1.1", false],
];

for (const [options, address, allowed] of ACCESS) {
  const rule = new URLSearchParams(options).toString() || "no list";
  Deno.test(`isAllowed() ${allowed ? "allows" : "refuses"} ${address} with ${rule}`, () => {
    assert.equal(isAllowed(limits(options), address), allowed);
  });
}

Deno.test('Admission.admit() refuses a denied peer with "denied" and counts nothing', () => {
  const admission = new Admission(1);
  const l = limits({ deny: "127.0.0.1" });
  for (let i = 0; i < 3; i++) assert.equal(admission.admit(LISTENER_A, l, "127.0.0.1"), "denied");
  // The server's one place is still free.
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.2"), null);
});

Deno.test('Admission.admit() refuses a peer outside the allow list with "denied"', () => {
  const admission = new Admission(100);
  const l = limits({ allow: "127.0.0.2" });
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.1"), "denied");
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.2"), null);
});

Deno.test('Admission.admit() refuses with "server-full" past maxTotal, over every listener', () => {
  const admission = new Admission(3);
  assert.equal(admission.admit(LISTENER_A, ROOMY, "192.0.2.1"), null);
  assert.equal(admission.admit(LISTENER_B, ROOMY, "192.0.2.2"), null);
  assert.equal(admission.admit(LISTENER_C, ROOMY, "192.0.2.3"), null);
  for (const listener of [LISTENER_A, LISTENER_B, LISTENER_C, LISTENER_D]) {
    assert.equal(admission.admit(listener, ROOMY, "192.0.2.9"), "server-full");
  }
  admission.release(LISTENER_B, "192.0.2.2");
  assert.equal(admission.admit(LISTENER_D, ROOMY, "192.0.2.9"), null);
  assert.equal(admission.admit(LISTENER_D, ROOMY, "192.0.2.9"), "server-full");
});

Deno.test('Admission.admit() refuses with "listener-full" past max-conns, per listener', () => {
  const admission = new Admission(100);
  const l = limits({ "max-conns": "2" });
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1"), null);
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.2"), null);
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.3"), "listener-full");
  // Another listener with the same limits has its own count.
  assert.equal(admission.admit(LISTENER_B, l, "192.0.2.3"), null);
  admission.release(LISTENER_A, "192.0.2.1");
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.3"), null);
});

Deno.test('Admission.admit() refuses with "source-full" past max-conns-per-source, per source', () => {
  const admission = new Admission(100);
  const l = limits({ "max-conns-per-source": "2" });
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.1"), null);
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.1"), null);
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.1"), "source-full");
  // Another source, and the same source on another listener, still get in.
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.2"), null);
  assert.equal(admission.admit(LISTENER_B, l, "127.0.0.1"), null);
  admission.release(LISTENER_A, "127.0.0.1");
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.1"), null);
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.1"), "source-full");
});

Deno.test('Admission.admit() refuses with "rate" after a burst of twice conn-rate, per source', () => {
  const admission = new Admission(100);
  const l = limits({ "conn-rate": "3" });
  const results: (RefusalReason | null)[] = [];
  for (let i = 0; i < 7; i++) {
    results.push(admission.admit(LISTENER_A, l, "127.0.0.1"));
    admission.release(LISTENER_A, "127.0.0.1");
  }
  // Released at once, so only the rate can refuse: 6 (twice 3) pass, the 7th does not.
  assert.deepEqual(results, [null, null, null, null, null, null, "rate"]);
  assert.equal(admission.admit(LISTENER_A, l, "127.0.0.2"), null);
});

Deno.test("Admission remembers a source's rate after its connections closed, and refills it with time", () => {
  const admission = new Admission(100);
  const l = limits({ "conn-rate": "3" });
  const at = (now: number) => {
    const result = admission.admit(LISTENER_A, l, "127.0.0.1", now);
    if (result === null) admission.release(LISTENER_A, "127.0.0.1");
    return result;
  };
  for (let i = 0; i < 6; i++) assert.equal(at(0), null);
  assert.equal(at(0), "rate");
  assert.equal(at(500), null, "1.5 tokens came back in 500 ms");
  assert.equal(at(500), "rate");
  assert.equal(at(10_000), null, "a full bucket again");
});

Deno.test("Admission stays bounded under a flood of sources, and keeps every one with a connection open", () => {
  const admission = new Admission(1_000_000);
  const l = limits({ "max-conns-per-source": "1", "conn-rate": "1" });
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1", 0), null); // held open throughout
  for (let i = 0; i < 50_000; i++) {
    const source = `198.51.${i >> 8}.${i & 255}`;
    assert.equal(admission.admit(LISTENER_A, l, source, 0), null); // no bucket refills
    admission.release(LISTENER_A, source);
    assert.ok(admission.remembered(LISTENER_A) <= 10_001, `${admission.remembered(LISTENER_A)}`);
  }
  // Forgetting sources with nothing open only ever makes the limits more lenient;
  // the one still open is counted as before.
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1", 0), "source-full");
  admission.release(LISTENER_A, "192.0.2.1");
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1", 0), null);
});

Deno.test("Admission forgets first the sources whose bucket filled up again, which changes nothing", () => {
  const admission = new Admission(1_000_000);
  const l = limits({ "conn-rate": "1" }); // a bucket of 2 refills in 2 s
  // A source that used its whole burst just before the flood.
  for (let i = 0; i < 2; i++) {
    assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1", 0), null);
    admission.release(LISTENER_A, "192.0.2.1");
  }
  // Enough others to reach the bound, each long refilled by the time it is reached.
  for (let i = 0; i < 9_999; i++) {
    admission.admit(LISTENER_A, l, `198.51.${i >> 8}.${i & 255}`, -10_000);
    admission.release(LISTENER_A, `198.51.${i >> 8}.${i & 255}`);
  }
  assert.equal(admission.remembered(LISTENER_A), 10_000);
  assert.equal(admission.admit(LISTENER_A, l, "203.0.113.1", 0), null); // prunes
  assert.ok(admission.remembered(LISTENER_A) < 100, `${admission.remembered(LISTENER_A)}`);
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1", 0), "rate", "its empty bucket was kept");
});

Deno.test("Admission.admit() checks the rules in order: denied, server, listener, source, rate", () => {
  const admission = new Admission(2);
  const l = limits({ "max-conns": "1", "max-conns-per-source": "1", deny: "192.0.2.66" });
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1"), null);
  assert.equal(admission.admit(LISTENER_B, l, "192.0.2.1"), null);
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.66"), "denied");
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1"), "server-full");
  admission.release(LISTENER_B, "192.0.2.1");
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.2"), "listener-full");
  const perSource = limits({ "max-conns-per-source": "1" });
  assert.equal(admission.admit(LISTENER_C, perSource, "192.0.2.1"), null);
  admission.release(LISTENER_A, "192.0.2.1");
  assert.equal(admission.admit(LISTENER_C, perSource, "192.0.2.1"), "source-full");
});

Deno.test("Admission.release() frees one place for the listener, the source and the server", () => {
  const admission = new Admission(2);
  const l = limits({ "max-conns": "2", "max-conns-per-source": "1" });
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1"), null);
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.2"), null);
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.3"), "server-full");
  admission.release(LISTENER_A, "192.0.2.1");
  // The freed place is 192.0.2.1's; 192.0.2.2 is still counted.
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.2"), "source-full");
  assert.equal(admission.admit(LISTENER_A, l, "192.0.2.1"), null);
});

Deno.test("Admission.release() of a source it never admitted, or twice, changes nothing", () => {
  const admission = new Admission(1);
  assert.equal(admission.admit(LISTENER_A, ROOMY, "192.0.2.1"), null);
  admission.release(LISTENER_A, "192.0.2.9");
  assert.equal(admission.admit(LISTENER_B, ROOMY, "192.0.2.2"), "server-full");
  admission.release(LISTENER_A, "192.0.2.1");
  admission.release(LISTENER_A, "192.0.2.1");
  assert.equal(admission.admit(LISTENER_B, ROOMY, "192.0.2.2"), null);
  assert.equal(admission.admit(LISTENER_C, ROOMY, "192.0.2.3"), "server-full");
});

Deno.test("Admission.release() of a listener it never admitted changes nothing", () => {
  const admission = new Admission(1);
  admission.release(LISTENER_NEVER, "192.0.2.1");
  assert.equal(admission.admit(LISTENER_A, ROOMY, "192.0.2.1"), null);
  assert.equal(admission.admit(LISTENER_A, ROOMY, "192.0.2.2"), "server-full");
});

for (const source of ["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1"]) {
  Deno.test(`Admission.admit() spares loopback source ${source} the default per-source limits`, () => {
    const admission = new Admission(100_000);
    const defaults = limitsFrom({});
    // Twice the default burst of conn-rate, and more than max-conns-per-source, at one instant.
    for (let i = 0; i < 1000; i++) {
      assert.equal(admission.admit(LISTENER_A, defaults, source, 0), null, `connection ${i + 1}`);
    }
    // The listener's own cap still holds.
    for (let i = 1000; i < defaults.maxConns; i++) admission.admit(LISTENER_A, defaults, source, 0);
    assert.equal(admission.admit(LISTENER_A, defaults, source, 0), "listener-full");
  });
}

Deno.test("Admission.admit() holds a source outside loopback to the default per-source limits", () => {
  const admission = new Admission(100_000);
  const defaults = limitsFrom({});
  const results = Array.from(
    { length: 300 },
    () => admission.admit(LISTENER_A, defaults, "192.0.2.7", 0),
  );
  assert.equal(results.filter((r) => r === null).length, 256);
  assert.equal(results[256], "source-full");
});

for (
  const [option, value, refusal] of [
    ["conn-rate", "2", "rate"],
    ["max-conns-per-source", "3", "source-full"],
  ] as const
) {
  Deno.test(`Admission.admit() holds loopback sources to ${option} when the spec sets it`, () => {
    const admission = new Admission(100_000);
    const set = limitsFrom({ [option]: value });
    assert.equal(set.perSourceOnLoopback, true);
    const results = Array.from(
      { length: 10 },
      () => admission.admit(LISTENER_A, set, "127.0.0.1", 0),
    );
    assert.ok(results.includes(refusal), `no ${refusal} in ${results}`);
  });
}

Deno.test("REFUSAL_WORDS explains every refusal reason in plain words", () => {
  const reasons: RefusalReason[] = [
    "denied",
    "server-full",
    "listener-full",
    "source-full",
    "rate",
  ];
  assert.deepEqual(Object.keys(REFUSAL_WORDS).sort(), [...reasons].sort());
  for (const reason of reasons) assert.ok(REFUSAL_WORDS[reason].length > 20, reason);
});

Deno.test("Admission keeps no per-source state for loopback peers that per-source limits spare", () => {
  const admission = new Admission(100);
  const spared = limitsFrom({});
  assert.equal(spared.perSourceOnLoopback, false);
  for (let i = 0; i < 50; i++) {
    assert.equal(admission.admit(LISTENER_A, spared, `127.0.0.${i}`), null);
  }
  assert.equal(admission.remembered(LISTENER_A), 0);
  for (let i = 0; i < 50; i++) admission.release(LISTENER_A, `127.0.0.${i}`);
  // Every place came back: the server's 100 are free again.
  for (let i = 0; i < 100; i++) {
    assert.equal(admission.admit(LISTENER_B, spared, "127.0.0.1"), null);
  }
  assert.equal(admission.admit(LISTENER_B, spared, "127.0.0.1"), "server-full");
});

Deno.test("Admission frees every place when a reload starts limiting loopback per source while connections are open, and counts per source from then on", () => {
  const admission = new Admission(2);
  const spared = limitsFrom({});
  const strict = limits({ "max-conns-per-source": "1" });
  assert.equal(strict.perSourceOnLoopback, true);
  // One connection admitted before the reload, one after: the first was
  // not counted per source, so the second still fits the source's limit.
  assert.equal(admission.admit(LISTENER_A, spared, "127.0.0.1"), null);
  assert.equal(admission.admit(LISTENER_A, strict, "127.0.0.1"), null);
  assert.equal(admission.admit(LISTENER_A, strict, "127.0.0.1"), "server-full");
  admission.release(LISTENER_A, "127.0.0.1");
  admission.release(LISTENER_A, "127.0.0.1");
  // Both places are free, and the source's count is back to none.
  assert.equal(admission.admit(LISTENER_A, strict, "127.0.0.1"), null);
  assert.equal(admission.admit(LISTENER_A, strict, "127.0.0.1"), "source-full");
  assert.equal(admission.admit(LISTENER_A, strict, "127.0.0.2"), null);
  assert.equal(admission.admit(LISTENER_A, strict, "127.0.0.3"), "server-full");
});

// Before a change of limits, connections from one loopback source; after
// it, from another: spared then counted per source, or the other way round.
// Whichever closes first, every place comes back.
for (const sparedFirst of [true, false]) {
  for (const countedCloseFirst of [true, false]) {
    const order = `${sparedFirst ? "spared" : "counted"} ones admitted first, ` +
      `${countedCloseFirst ? "counted" : "spared"} ones closed first`;
    Deno.test(`Admission frees every place when two loopback sources, one spared and one counted across a change of limits, close: ${order}`, () => {
      const admission = new Admission(4);
      const spared = limitsFrom({});
      const strict = limits({ "max-conns-per-source": "2" });
      const admit = (l: ListenerLimits, source: string) => {
        assert.equal(admission.admit(LISTENER_A, l, source), null);
        assert.equal(admission.admit(LISTENER_A, l, source), null);
      };
      if (sparedFirst) {
        admit(spared, "127.0.0.1");
        admit(strict, "127.0.0.2");
      } else {
        admit(strict, "127.0.0.2");
        admit(spared, "127.0.0.1");
      }
      const closing = countedCloseFirst ? ["127.0.0.2", "127.0.0.1"] : ["127.0.0.1", "127.0.0.2"];
      for (const source of closing) {
        admission.release(LISTENER_A, source);
        admission.release(LISTENER_A, source);
      }
      // Nothing is open: all four places, and 127.0.0.2's two, are free again.
      for (let i = 0; i < 3; i++) {
        assert.equal(
          admission.admit(LISTENER_A, strict, "127.0.0.3"),
          i < 2 ? null : "source-full",
        );
      }
      admit(strict, "127.0.0.2");
      assert.equal(admission.admit(LISTENER_A, strict, "127.0.0.4"), "server-full");
    });
  }
}
