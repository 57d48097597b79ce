/**
 * parseCidr(), CidrList and parseIpAddress(): the ranges of allow and deny
 * lists. Checks which addresses each range holds (IPv4, IPv6, IPv4-mapped
 * IPv6 against IPv4 ranges, prefix lengths that cut inside a byte), that bad
 * text is a SyntaxError, and that the fast IPv4 path agrees with the plain
 * byte-wise match and with parseIPv4() on many generated cases.
 */

import assert from "node:assert/strict";
import { CidrList, type IpAddress, parseCidr, parseIpAddress } from "../../lib/guard/mod.ts";
import { hasPrefix, parseIPv4, parseIPv6 } from "../../lib/spec/ip.ts";

const PARSED: readonly [text: string, bytes: number[], bits: number][] = [
  ["127.0.0.1", [127, 0, 0, 1], 32],
  ["10.0.0.0/8", [10, 0, 0, 0], 8],
  ["0.0.0.0/0", [0, 0, 0, 0], 0],
  ["192.0.2.128/25", [192, 0, 2, 128], 25],
  ["::1", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128],
  ["2001:db8::/32", [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 32],
  ["::/0", new Array(16).fill(0), 0],
];

for (const [text, bytes, bits] of PARSED) {
  Deno.test(`parseCidr() parses ${text} to ${bytes.length} bytes and /${bits}`, () => {
    const cidr = parseCidr(text);
    assert.deepEqual(cidr.bytes, new Uint8Array(bytes));
    assert.equal(cidr.bits, bits);
    assert.equal(cidr.text, text);
  });
}

const MEMBERSHIP: readonly [range: string, address: string, inside: boolean][] = [
  // IPv4: a single host, /8, /0, and prefixes that end inside a byte.
  ["127.0.0.1", "127.0.0.1", true],
  ["127.0.0.1", "127.0.0.2", false],
  ["10.0.0.0/8", "10.255.1.2", true],
  ["10.0.0.0/8", "11.0.0.0", false],
  ["0.0.0.0/0", "203.0.113.9", true],
  ["192.0.2.128/25", "192.0.2.200", true],
  ["192.0.2.128/25", "192.0.2.127", false],
  ["192.0.2.0/23", "192.0.3.255", true],
  ["192.0.2.0/23", "192.0.4.0", false],
  // IPv6, in any text form.
  ["::1", "::1", true],
  ["::1", "0:0:0:0:0:0:0:1", true],
  ["::1", "::2", false],
  ["2001:db8::/32", "2001:db8:ffff::1", true],
  ["2001:db8::/32", "2001:db9::1", false],
  ["fe80::/10", "febf::1", true],
  ["fe80::/10", "fec0::1", false],
  ["::/0", "2001:db8::1", true],
  // An IPv4-mapped IPv6 address (a dual-stack socket's IPv4 peer) matches IPv4 ranges.
  ["10.0.0.0/8", "::ffff:10.1.2.3", true],
  ["127.0.0.1", "::ffff:127.0.0.1", true],
  ["10.0.0.0/8", "::ffff:11.1.2.3", false],
  ["127.0.0.1", "::ffff:127.0.0.2", false],
  // ...but an IPv6 address that only ends in the same bytes does not.
  ["10.0.0.0/8", "::10.1.2.3", false],
  ["10.0.0.0/8", "2001:db8::a01:203", false],
  ["0.0.0.0/0", "::1", false],
  // Families never mix the other way round.
  ["::/0", "127.0.0.1", false],
  ["::1", "127.0.0.1", false],
  // What is not an address is in no range.
  ["0.0.0.0/0", "localhost", false],
  ["::/0", "[::1]", false],
  ["0.0.0.0/0", "", false],
];

/** Whether the list holds the text's address: text that is not an address is in no range. */
function holds(list: CidrList, text: string): boolean {
  const address = parseIpAddress(text);
  return address !== null && list.contains(address);
}

for (const [range, address, inside] of MEMBERSHIP) {
  Deno.test(
    `CidrList.contains() says ${JSON.stringify(address)} is ${inside ? "in" : "not in"} ${range}`,
    () => {
      assert.equal(holds(CidrList.parse(range), address), inside);
      // The same range among others that do not hold the address.
      assert.equal(
        holds(CidrList.parse(`203.0.113.0/24,${range},2001:db8:dead::/48`), address),
        inside,
      );
    },
  );
}

Deno.test("CidrList.parse() keeps the ranges as written, in order, and an empty text as no range", () => {
  const list = CidrList.parse("10.0.0.0/8,::1,192.0.2.128/25");
  assert.deepEqual(list.ranges.map((r) => [r.text, r.bits]), [
    ["10.0.0.0/8", 8],
    ["::1", 128],
    ["192.0.2.128/25", 25],
  ]);
  assert.equal(list.size, 3);
  assert.equal(CidrList.parse("").size, 0);
  assert.equal(holds(CidrList.parse(""), "127.0.0.1"), false);
});

Deno.test("CidrList.parse() rejects a list with one bad range, naming it", () => {
  assert.throws(
    () => CidrList.parse("10.0.0.0/8,10.0.0.0/33"),
    (error: unknown) => error instanceof SyntaxError && error.message.includes('"10.0.0.0/33"'),
  );
});

const ADDRESSES: readonly [text: string, parsed: IpAddress | null][] = [
  ["0.0.0.0", { family: 4, value: 0 }],
  ["255.255.255.255", { family: 4, value: 0xffffffff }],
  ["10.1.2.3", { family: 4, value: 0x0a010203 }],
  ["::ffff:10.1.2.3", {
    family: 6,
    bytes: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]),
    mapped: 0x0a010203,
  }],
  ["::1", { family: 6, bytes: new Uint8Array([...new Array(15).fill(0), 1]), mapped: null }],
  ["010.1.2.3", null],
  ["10.1.2", null],
  ["10.1.2.3.4", null],
  ["10..2.3", null],
  ["10.1.2.256", null],
  ["10.1.2.1000", null],
  ["10.1.2.3.", null],
  [".10.1.2.3", null],
  ["10.1.2.-3", null],
  ["1e1.1.2.3", null],
  ["", null],
  ["localhost", null],
  ["[::1]", null],
];

for (const [text, parsed] of ADDRESSES) {
  Deno.test(`parseIpAddress() reads ${JSON.stringify(text)} as ${parsed === null ? "no address" : `IPv${parsed.family}`}`, () => {
    assert.deepEqual(parseIpAddress(text), parsed);
  });
}

/** A small deterministic generator (mulberry32), so that a failure repeats. */
function generator(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The plain match, as cidrContains() did it: parse the text to bytes and compare prefixes. */
function plainContains(cidr: { bytes: Uint8Array; bits: number }, text: string): boolean {
  let bytes = parseIPv4(text) ?? parseIPv6(text);
  if (bytes === null) return false;
  const mapped = bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped && cidr.bytes.length === 4) bytes = bytes.subarray(12);
  return hasPrefix(bytes, cidr.bytes, cidr.bits);
}

Deno.test("CidrList.contains() agrees with the plain byte-wise match on 20,000 generated ranges and addresses", () => {
  const random = generator(15);
  const byte = () => Math.floor(random() * 256);
  // Addresses near the range, so that about half of them fall inside.
  const near = (network: number[]) => network.map((b, i) => i < 2 || random() < 0.7 ? b : byte());
  for (let i = 0; i < 20_000; i++) {
    const network = [byte(), byte(), byte(), byte()];
    const bits = Math.floor(random() * 33);
    const range = `${network.join(".")}/${bits}`;
    const v4 = near(network).join(".");
    const texts = [v4, `::ffff:${v4}`, `2001:db8::${byte().toString(16)}`];
    const list = CidrList.parse(range);
    const cidr = parseCidr(range);
    for (const text of texts) {
      assert.equal(holds(list, text), plainContains(cidr, text), `${text} in ${range}`);
    }
  }
});

Deno.test("parseIpAddress() accepts exactly the IPv4 texts parseIPv4() accepts, with the same value", () => {
  const random = generator(4);
  const pieces = [
    "0",
    "00",
    "01",
    "1",
    "9",
    "10",
    "99",
    "100",
    "199",
    "255",
    "256",
    "999",
    "1000",
    "",
    "x",
    "-1",
  ];
  for (let i = 0; i < 20_000; i++) {
    const count = 3 + Math.floor(random() * 3);
    const text = Array.from({ length: count }, () => pieces[Math.floor(random() * pieces.length)])
      .join(".");
    const bytes = parseIPv4(text);
    const parsed = parseIpAddress(text);
    if (bytes === null) {
      assert.ok(parsed === null || parsed.family === 6, text);
    } else {
      const value = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
      assert.deepEqual(parsed, { family: 4, value }, text);
    }
  }
});

const BAD: readonly string[] = [
  "",
  "/8",
  "10.0.0.0/",
  "10.0.0.0/33",
  "10.0.0.0/-1",
  "10.0.0.0/8/8",
  "10.0.0.0/ 8",
  "10.0.0.0/0x8",
  "10.0.0.0/1000",
  "::/129",
  "10.0.0",
  "256.0.0.0/8",
  "localhost",
  "[::1]",
  "[::1]/128",
  "::1%lo",
  "10.0.0.0/8,",
  " 10.0.0.0/8",
];

for (const text of BAD) {
  Deno.test(`parseCidr() rejects ${JSON.stringify(text)} with a SyntaxError`, () => {
    assert.throws(() => parseCidr(text), (error: unknown) => {
      assert.ok(error instanceof SyntaxError, `${error}`);
      assert.ok(error.message.includes(JSON.stringify(text)), error.message);
      return true;
    });
  });
}
