import assert from "node:assert/strict";
import {
  formatIPv4,
  formatIPv6,
  isLoopback,
  isWildcard,
  parseIPv4,
  parseIPv6,
} from "../../lib/spec/mod.ts";
import { seededRandom } from "../_support/random.ts";

/** Parses IPv6 text and formats it back, or `null`. */
function canonical(text: string): string | null {
  const bytes = parseIPv6(text);
  return bytes === null ? null : formatIPv6(bytes);
}

/** The WHATWG URL parser's view of an IPv6 address: its serialization, or `null`. */
function whatwg(text: string): string | null {
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch (error) {
    if (error instanceof TypeError) return null;
    throw error;
  }
}

const VALID_IPV4: readonly [string, number[]][] = [
  ["0.0.0.0", [0, 0, 0, 0]],
  ["127.0.0.1", [127, 0, 0, 1]],
  ["255.255.255.255", [255, 255, 255, 255]],
  ["192.0.2.10", [192, 0, 2, 10]],
  ["10.0.100.200", [10, 0, 100, 200]],
];

for (const [text, bytes] of VALID_IPV4) {
  Deno.test(`parseIPv4() parses ${text}`, () => {
    assert.deepEqual(parseIPv4(text), new Uint8Array(bytes));
    assert.equal(formatIPv4(new Uint8Array(bytes)), text);
  });
}

const INVALID_IPV4: readonly string[] = [
  "",
  "127.1",
  "127.0.1",
  "1.2.3.4.5",
  "010.0.0.1",
  "1.2.3.00",
  "256.0.0.1",
  "127.0.0.300",
  "1.2.3.-4",
  "+1.2.3.4",
  "1.2.3.4 ",
  " 1.2.3.4",
  "1..2.3",
  "1.2.3.",
  "0x7f.0.0.1",
  "1.2.3.4/8",
  "١.٢.٣.٤",
  "::1",
  "localhost",
];

Deno.test("parseIPv4() rejects everything but a strict dotted quad", () => {
  for (const text of INVALID_IPV4) {
    assert.equal(parseIPv4(text), null, JSON.stringify(text));
  }
});

Deno.test("formatIPv4() throws a RangeError for anything but 4 bytes", () => {
  assert.throws(() => formatIPv4(new Uint8Array(16)), RangeError);
  assert.throws(() => formatIPv4(new Uint8Array(3)), RangeError);
});

const VALID_IPV6: readonly [string, string][] = [
  ["::", "::"],
  ["::1", "::1"],
  ["1::", "1::"],
  ["0:0:0:0:0:0:0:0", "::"],
  ["0:0:0:0:0:0:0:1", "::1"],
  ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
  ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
  ["FE80::ABCD", "fe80::abcd"],
  ["fe80:0000:0000:0000:0202:b3ff:fe1e:8329", "fe80::202:b3ff:fe1e:8329"],
  ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
  ["::FFFF:7f00:1", "::ffff:127.0.0.1"],
  ["0:0:0:0:0:ffff:192.0.2.1", "::ffff:192.0.2.1"],
  ["::1.2.3.4", "::102:304"],
  ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
];

for (const [text, expected] of VALID_IPV6) {
  Deno.test(`parseIPv6() parses ${text} and formatIPv6() writes ${expected}`, () => {
    assert.equal(canonical(text), expected);
  });
}

const INVALID_IPV6: readonly string[] = [
  "",
  ":",
  ":::",
  "1:2:3:4:5:6:7",
  "1:2:3:4:5:6:7:8:9",
  "1:2:3:4:5:6:7:8::",
  "::1:2:3:4:5:6:7:8",
  "1::2::3",
  ":1::",
  "::1:",
  "1:2:3:4:5:6:7:8:",
  "12345::",
  "g::",
  "::1.2.3",
  "::1.2.3.256",
  "::01.2.3.4",
  "1.2.3.4::",
  "::1.2.3.4:5",
  "1:2:3:4:5:6:7:1.2.3.4",
  "fe80::1%eth0",
  "fe80::1%1",
  "[::1]",
  " ::1",
  "::1 ",
  "127.0.0.1",
  "::+1",
  "::-1",
  "0x1::",
];

Deno.test("parseIPv6() rejects malformed text, zone ids and brackets", () => {
  for (const text of INVALID_IPV6) {
    assert.equal(parseIPv6(text), null, JSON.stringify(text));
  }
});

/** RFC 5952 sections 2, 4 and 5: many texts, one canonical form each. */
const RFC_5952: readonly [string[], string][] = [
  [
    [
      "2001:db8:0:0:1:0:0:1",
      "2001:0db8:0:0:1:0:0:1",
      "2001:db8::1:0:0:1",
      "2001:db8::0:1:0:0:1",
      "2001:0db8::1:0:0:1",
      "2001:db8:0:0:1::1",
      "2001:db8:0000:0:1::1",
      "2001:DB8:0:0:1::1",
    ],
    "2001:db8::1:0:0:1",
  ],
  [
    ["2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:001"],
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
  ],
  [
    ["2001:db8:aaaa:bbbb:cccc:dddd:eeee:01", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"],
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
  ],
  [
    ["2001:db8:aaaa:bbbb:cccc:dddd::1", "2001:db8:aaaa:bbbb:cccc:dddd:0:1"],
    "2001:db8:aaaa:bbbb:cccc:dddd:0:1",
  ],
  [["2001:db8:0:0:0::1", "2001:db8:0:0::1", "2001:db8:0::1", "2001:db8::1"], "2001:db8::1"],
  [["2001:db8::aaaa:0:0:1", "2001:db8:0:0:aaaa::1"], "2001:db8::aaaa:0:0:1"],
  [["2001:db8:0:0:0:0:2:1"], "2001:db8::2:1"],
  [["2001:db8:0:1:1:1:1:1"], "2001:db8:0:1:1:1:1:1"],
  [["2001:0:0:1:0:0:0:1"], "2001:0:0:1::1"],
  [["2001:db8:0:0:1:0:0:1"], "2001:db8::1:0:0:1"],
  [["2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:FFFF"], "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"],
  [["::ffff:192.0.2.1", "0:0:0:0:0:ffff:c000:201"], "::ffff:192.0.2.1"],
];

Deno.test("formatIPv6() writes the canonical forms of the RFC 5952 examples", () => {
  for (const [texts, expected] of RFC_5952) {
    for (const text of texts) assert.equal(canonical(text), expected, text);
  }
});

Deno.test("formatIPv6() throws a RangeError for anything but 16 bytes", () => {
  assert.throws(() => formatIPv6(new Uint8Array(4)), RangeError);
  assert.throws(() => formatIPv6(new Uint8Array(17)), RangeError);
});

/** Random bytes with many zero groups, so that runs and ties are common. */
function randomIPv6Bytes(random: ReturnType<typeof seededRandom>): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let group = 0; group < 8; group++) {
    if (random.chance(0.5)) continue;
    const value = random.pick([1, 0xffff, random.int(0, 0xffff)]);
    bytes[2 * group] = value >> 8;
    bytes[2 * group + 1] = value & 0xff;
  }
  return bytes;
}

Deno.test("formatIPv6() agrees with the WHATWG URL serializer on random addresses", () => {
  const random = seededRandom(5952);
  for (let i = 0; i < 3000; i++) {
    const bytes = randomIPv6Bytes(random);
    const text = formatIPv6(bytes);
    assert.deepEqual(parseIPv6(text), bytes, text);
    if (!text.startsWith("::ffff:") || !text.includes(".")) {
      assert.equal(text, whatwg(text), text);
    }
  }
});

Deno.test("parseIPv6() accepts exactly what the WHATWG URL parser accepts on random text", () => {
  const random = seededRandom(4291);
  const pieces = [
    "0",
    "1",
    "a",
    "F",
    "ff",
    "fff",
    "ffff",
    "12345",
    ":",
    ":",
    "::",
    ".",
    "1.2.3.4",
    "255",
    "01",
  ];
  let accepted = 0;
  for (let i = 0; i < 20000; i++) {
    const count = random.int(1, 12);
    const text = Array.from({ length: count }, () => random.pick(pieces)).join("");
    const ours = parseIPv6(text);
    const theirs = whatwg(text);
    assert.equal(ours !== null, theirs !== null, text);
    if (ours === null) continue;
    accepted++;
    assert.deepEqual(parseIPv6(formatIPv6(ours)), ours, text);
    if (!(theirs ?? "").startsWith("::ffff:")) assert.equal(formatIPv6(ours), theirs, text);
  }
  assert.ok(accepted > 500, `only ${accepted} random texts were addresses`);
});

const LOOPBACK: readonly [string, boolean][] = [
  ["127.0.0.1", true],
  ["127.255.255.254", true],
  ["127.8.9.10", true],
  ["::1", true],
  ["0:0:0:0:0:0:0:1", true],
  ["::ffff:127.0.0.1", true],
  ["::ffff:127.1.2.3", true],
  ["128.0.0.1", false],
  ["126.255.255.255", false],
  ["0.0.0.0", false],
  ["::", false],
  ["::2", false],
  ["::127.0.0.1", false],
  ["::ffff:128.0.0.1", false],
  ["localhost", false],
  ["[::1]", false],
  ["127.1", false],
  ["", false],
];

Deno.test("isLoopback() tells 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 from the rest", () => {
  for (const [address, expected] of LOOPBACK) assert.equal(isLoopback(address), expected, address);
});

const WILDCARD: readonly [string, boolean][] = [
  ["0.0.0.0", true],
  ["::", true],
  ["0:0::0", true],
  ["0.0.0.1", false],
  ["::ffff:0.0.0.0", false],
  ["::1", false],
  ["*", false],
  ["", false],
];

Deno.test("isWildcard() tells 0.0.0.0 and :: from the rest", () => {
  for (const [address, expected] of WILDCARD) assert.equal(isWildcard(address), expected, address);
});
