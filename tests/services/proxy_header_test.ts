import assert from "node:assert/strict";
import { proxyHeader, type ProxyVersion } from "../../lib/services/proxy_header.ts";
import type { SocketName } from "../../lib/spec/types.ts";

/** v2's signature, as proxy-protocol.txt section 2.2 writes it. */
const SIGNATURE = "0d0a0d0a000d0a515549540a";

/** Hexadecimal text of some bytes, to compare headers readably. */
function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const name = (address: string, port: number): SocketName => ({ address, port });

const CASES: readonly {
  readonly what: string;
  readonly source: SocketName;
  readonly destination: SocketName;
  readonly v1: string;
  readonly v2: string;
}[] = [
  {
    what: "the spec's own v1 example",
    source: name("192.168.0.1", 56324),
    destination: name("192.168.0.11", 443),
    v1: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
    v2: `${SIGNATURE}2111000c` + "c0a80001" + "c0a8000b" + "dc04" + "01bb",
  },
  {
    what: "ports 0 and 65535, with no heading zeroes",
    source: name("10.0.0.9", 0),
    destination: name("255.255.255.255", 65_535),
    v1: "PROXY TCP4 10.0.0.9 255.255.255.255 0 65535\r\n",
    v2: `${SIGNATURE}2111000c` + "0a000009" + "ffffffff" + "0000" + "ffff",
  },
  {
    what: "IPv6 loopback",
    source: name("::1", 41000),
    destination: name("::1", 7200),
    v1: "PROXY TCP6 ::1 ::1 41000 7200\r\n",
    v2: `${SIGNATURE}21210024` + "0".repeat(31) + "1" + "0".repeat(31) + "1" + "a028" + "1c20",
  },
  {
    what: "IPv6 in canonical form, hexadecimal groups only",
    source: name("2001:db8::7", 1),
    destination: name("2001:db8:0:1:1:1:1:1", 2),
    v1: "PROXY TCP6 2001:db8::7 2001:db8:0:1:1:1:1:1 1 2\r\n",
    v2: `${SIGNATURE}21210024` + "20010db8000000000000000000000007" +
      "20010db8000000010001000100010001" + "0001" + "0002",
  },
  {
    what: "IPv4-mapped addresses (a client of a [::] listener), as the IPv4 they are",
    source: name("::ffff:127.0.0.1", 51234),
    destination: name("::ffff:127.0.0.2", 7007),
    v1: "PROXY TCP4 127.0.0.1 127.0.0.2 51234 7007\r\n",
    v2: `${SIGNATURE}2111000c` + "7f000001" + "7f000002" + "c822" + "1b5f",
  },
  {
    what: "two families, which the spec's unknown form covers",
    source: name("127.0.0.1", 1),
    destination: name("::1", 2),
    v1: "PROXY UNKNOWN\r\n",
    v2: `${SIGNATURE}21000000`,
  },
  {
    what: "an address with a zone id, which does not parse",
    source: name("fe80::1%lo", 1),
    destination: name("fe80::2%lo", 2),
    v1: "PROXY UNKNOWN\r\n",
    v2: `${SIGNATURE}21000000`,
  },
];

for (const c of CASES) {
  Deno.test(`proxyHeader() writes v1 and v2 byte-exact for ${c.what}`, () => {
    assert.equal(new TextDecoder().decode(proxyHeader("v1", c.source, c.destination)), c.v1);
    assert.equal(hex(proxyHeader("v2", c.source, c.destination)), c.v2);
  });
}

Deno.test("proxyHeader() stays within the spec's 107 characters (v1) and 16 + length bytes (v2)", () => {
  const wide = name("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65_535);
  const versions: readonly ProxyVersion[] = ["v1", "v2"];
  const [v1, v2] = versions.map((v) => proxyHeader(v, wide, wide));
  assert.equal(v1.length, 104);
  assert.equal(v2.length, 16 + new DataView(v2.buffer).getUint16(14));
  assert.equal(v2.length, 52);
});
