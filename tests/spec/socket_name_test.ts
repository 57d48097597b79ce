import assert from "node:assert/strict";
import { formatSocketName, type SocketName, socketNameOf } from "../../lib/spec/mod.ts";

const NAMES: readonly [SocketName, string][] = [
  [{ address: "127.0.0.1", port: 7007 }, "127.0.0.1:7007"],
  [{ address: "0.0.0.0", port: 0 }, "0.0.0.0:0"],
  [{ address: "::1", port: 7007 }, "[::1]:7007"],
  [{ address: "::", port: 65535 }, "[::]:65535"],
  [{ address: "::ffff:127.0.0.1", port: 9 }, "[::ffff:127.0.0.1]:9"],
  [{ address: "fe80::1%eth0", port: 53 }, "[fe80::1%eth0]:53"],
];

Deno.test("formatSocketName() writes address:port, in brackets for IPv6", () => {
  for (const [name, expected] of NAMES) assert.equal(formatSocketName(name), expected);
});

Deno.test("socketNameOf() takes the address and port of a TCP or UDP address", () => {
  const tcp: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 7007 };
  const udp: Deno.NetAddr = { transport: "udp", hostname: "::1", port: 1060 };
  assert.deepEqual(socketNameOf(tcp), { address: "127.0.0.1", port: 7007 });
  assert.deepEqual(socketNameOf(udp), { address: "::1", port: 1060 });
});

Deno.test("socketNameOf() puts IPv6 addresses in canonical form", () => {
  const cases: readonly [string, string][] = [
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:DB8::0:1", "2001:db8::1"],
    ["::ffff:7f00:1", "::ffff:127.0.0.1"],
  ];
  for (const [hostname, address] of cases) {
    const name = socketNameOf({ transport: "tcp", hostname, port: 1 });
    assert.deepEqual(name, { address, port: 1 });
  }
});

Deno.test("socketNameOf() keeps an address it cannot parse, such as one with a zone id", () => {
  const name = socketNameOf({ transport: "udp", hostname: "fe80::1%eth0", port: 53 });
  assert.deepEqual(name, { address: "fe80::1%eth0", port: 53 });
  assert.equal(formatSocketName(name), "[fe80::1%eth0]:53");
});
