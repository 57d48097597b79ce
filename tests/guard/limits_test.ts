/**
 * LIMIT_OPTIONS and limitsFrom(): the spec options that set a listener's
 * limits. Checks each option's accepted and rejected values (at and past
 * their bounds), the defaults, and the parsed values (seconds to
 * milliseconds, CIDR lists).
 */

import assert from "node:assert/strict";
import {
  DEFAULT_LIMITS,
  LIMIT_OPTIONS,
  limitsFrom,
  type ListenerLimits,
} from "../../lib/guard/mod.ts";
import type { OptionValues } from "../../lib/services/options.ts";

/** `true` when A and B are the same type; `never` (which `true` does not fit) otherwise. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;

Deno.test("ListenerLimits has one field of the right type per entry of LIMIT_OPTIONS", () => {
  // Compiles only while the interface, written out, agrees with the table.
  const agree: Same<
    OptionValues<typeof LIMIT_OPTIONS>,
    Omit<ListenerLimits, "perSourceOnLoopback" | "replyRateOnLoopback">
  > = true;
  assert.equal(agree, true);
});

Deno.test("LIMIT_OPTIONS lists the nine limit options with their defaults", () => {
  assert.deepEqual(
    LIMIT_OPTIONS.map((o) => [o.key, o.default]),
    [
      ["allow", ""],
      ["deny", ""],
      ["max-conns", "1024"],
      ["max-conns-per-source", "256"],
      ["conn-rate", "200"],
      ["idle", "300"],
      ["reply-rate", "50"],
      ["amplification", "1"],
      ["reply-to", "ephemeral"],
    ],
  );
});

/** What is wrong with `key=value`, or `null` when it parses. */
function validate(key: string, value: string): string | null {
  const option = LIMIT_OPTIONS.find((o) => o.key === key);
  assert.ok(option, `no option ${key}`);
  try {
    option.parse(value);
    return null;
  } catch (error) {
    if (error instanceof RangeError || error instanceof SyntaxError) return error.message;
    throw error;
  }
}

const ACCEPTED: readonly [key: string, value: string][] = [
  ["allow", ""],
  ["allow", "127.0.0.1"],
  ["allow", "10.0.0.0/8,192.0.2.0/24,::1/128"],
  ["deny", "0.0.0.0/0"],
  ["deny", "::/0"],
  ["max-conns", "1"],
  ["max-conns", "1000000"],
  ["max-conns-per-source", "1"],
  ["conn-rate", "100000"],
  ["idle", "0.1"],
  ["idle", "1"],
  ["idle", "86400"],
  ["reply-rate", "1"],
  ["amplification", "0"],
  ["amplification", "2.5"],
  ["amplification", "1000"],
  ["reply-to", "ephemeral"],
  ["reply-to", "any"],
];

for (const [key, value] of ACCEPTED) {
  Deno.test(`LIMIT_OPTIONS accepts ${key}=${JSON.stringify(value)}`, () => {
    assert.equal(validate(key, value), null);
  });
}

const REJECTED: readonly [key: string, value: string, message: RegExp][] = [
  ["allow", "10.0.0.0/33", /prefix length outside 0-32/],
  ["allow", "10.0.0.0/8,", /not an IP address/],
  ["allow", "localhost", /not an IP address/],
  ["deny", "10.0.0.0/8,nope", /"nope" is not an IP address/],
  ["deny", "[::1]", /not an IP address/],
  ["max-conns", "0", /whole number from 1 to 1000000, not "0"/],
  ["max-conns", "1000001", /whole number from 1 to 1000000/],
  ["max-conns", "1.5", /whole number/],
  ["max-conns", "-1", /whole number/],
  ["max-conns", "1e3", /whole number/],
  ["max-conns", "", /whole number/],
  ["max-conns-per-source", "0", /whole number/],
  ["conn-rate", "0", /whole number/],
  ["conn-rate", "ten", /whole number/],
  ["idle", "0", /number from 0.1 to 86400, not "0"/],
  ["idle", "0.05", /number from 0.1 to 86400/],
  ["idle", "86401", /number from 0.1 to 86400/],
  ["idle", ".5", /number/],
  ["idle", "1s", /number/],
  ["reply-rate", "0", /whole number/],
  ["amplification", "-1", /number from 0 to 1000/],
  ["amplification", "1001", /number from 0 to 1000/],
  ["amplification", "Infinity", /number from 0 to 1000/],
  ["amplification", "NaN", /number from 0 to 1000/],
  ["reply-to", "", /must be "ephemeral" or "any", not ""/],
  ["reply-to", "Any", /must be "ephemeral" or "any", not "Any"/],
  ["reply-to", "all", /must be "ephemeral" or "any"/],
];

for (const [key, value, message] of REJECTED) {
  Deno.test(`LIMIT_OPTIONS rejects ${key}=${JSON.stringify(value)}`, () => {
    const problem = validate(key, value);
    assert.ok(problem !== null, `${key}=${value} was accepted`);
    assert.match(problem, message);
  });
}

Deno.test("limitsFrom() gives the defaults for a spec without limit options", () => {
  assert.deepEqual(limitsFrom({}), DEFAULT_LIMITS);
  assert.deepEqual(limitsFrom({ text: "Hello", reuse: "true" }), DEFAULT_LIMITS);
  assert.deepEqual(
    [
      DEFAULT_LIMITS.maxConns,
      DEFAULT_LIMITS.maxConnsPerSource,
      DEFAULT_LIMITS.connRate,
      DEFAULT_LIMITS.idleMs,
      DEFAULT_LIMITS.replyRate,
      DEFAULT_LIMITS.amplification,
    ],
    [1024, 256, 200, 300_000, 50, 1],
  );
});

Deno.test("limitsFrom() parses every limit option", () => {
  const limits = limitsFrom({
    "allow": "10.0.0.0/8,::1",
    "deny": "10.9.0.0/16",
    "max-conns": "7",
    "max-conns-per-source": "3",
    "conn-rate": "11",
    "idle": "0.25",
    "reply-rate": "13",
    "amplification": "2.5",
  });
  assert.deepEqual(limits.allow.ranges.map((c) => [c.text, c.bits]), [
    ["10.0.0.0/8", 8],
    ["::1", 128],
  ]);
  assert.deepEqual(limits.deny.ranges.map((c) => [c.text, c.bits]), [["10.9.0.0/16", 16]]);
  assert.deepEqual(
    [
      limits.maxConns,
      limits.maxConnsPerSource,
      limits.connRate,
      limits.idleMs,
      limits.replyRate,
      limits.amplification,
    ],
    [7, 3, 11, 250, 13, 2.5],
  );
});

Deno.test("limitsFrom() reads reply-to, ephemeral by default", () => {
  assert.equal(DEFAULT_LIMITS.replyTo, "ephemeral");
  assert.equal(limitsFrom({ "reply-to": "any" }).replyTo, "any");
  assert.equal(limitsFrom({ "reply-to": "ephemeral" }).replyTo, "ephemeral");
});

Deno.test("limitsFrom() reads an empty allow or deny list as no list", () => {
  const limits = limitsFrom({ allow: "", deny: "" });
  assert.deepEqual([limits.allow.ranges, limits.deny.ranges], [[], []]);
});

Deno.test("limitsFrom() turns idle seconds into whole milliseconds for every valid value", () => {
  for (const [seconds, ms] of [["0.1", 100], ["1", 1000], ["1.5", 1500], ["86400", 86_400_000]]) {
    assert.equal(limitsFrom({ idle: seconds as string }).idleMs, ms, `idle=${seconds}`);
  }
});
