/**
 * parseCidr() and cidrContains(): the ranges of allow and deny lists. Checks
 * which addresses each range holds (IPv4, IPv6, IPv4-mapped IPv6 against IPv4
 * ranges, prefix lengths that cut inside a byte) and that bad text is a
 * SyntaxError.
 */

import assert from "node:assert/strict";
import { cidrContains, parseCidr } from "../../lib/guard/mod.ts";

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

for (const [range, address, inside] of MEMBERSHIP) {
  Deno.test(
    `cidrContains() says ${JSON.stringify(address)} is ${inside ? "in" : "not in"} ${range}`,
    () => {
      assert.equal(cidrContains(parseCidr(range), address), inside);
    },
  );
}

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
