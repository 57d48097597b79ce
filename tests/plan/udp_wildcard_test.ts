/**
 * UDP wildcards in the plan: one listener per listed address of the
 * family, link-local IPv6 left out, `?wildcard=kernel` left as one, and the
 * exposure rule still applied to the wildcard.
 */

import assert from "node:assert/strict";
import { buildPlan, checkExposure } from "../../lib/plan/mod.ts";

const row = (name: string, address: string): Deno.NetworkInterfaceInfo => ({
  family: address.includes(":") ? "IPv6" : "IPv4",
  name,
  address,
  netmask: "",
  scopeid: address.includes(":") ? 0 : null,
  cidr: address,
  mac: "00:00:00:00:00:00",
});

const INTERFACES = [
  row("lo", "127.0.0.1"),
  row("eth0", "192.0.2.2"),
  row("eth1", "192.0.2.2"),
  row("lo", "::1"),
  row("eth0", "fd00:0:0:0::2"),
  row("eth0", "fe80::fc:ff:fe00:1"),
];

const plan = (...texts: string[]) =>
  buildPlan(texts.map((text, i) => ({ text, source: { kind: "argument", index: i + 1 } })), {
    interfaces: INTERFACES,
  });

const CASES: readonly [spec: string, sockets: string[]][] = [
  ["udp://0.0.0.0:7000=echo", ["udp://127.0.0.1:7000=echo", "udp://192.0.2.2:7000=echo"]],
  ["udp://*:7000=echo", ["udp://127.0.0.1:7000=echo", "udp://192.0.2.2:7000=echo"]],
  ["udp://[::]:7000=echo", ["udp://[::1]:7000=echo", "udp://[fd00::2]:7000=echo"]],
  ["udp://[0:0::0]:7000=echo", ["udp://[::1]:7000=echo", "udp://[fd00::2]:7000=echo"]],
  ["udp://0.0.0.0:7000=echo?wildcard=kernel", ["udp://0.0.0.0:7000=echo?wildcard=kernel"]],
  ["tcp://0.0.0.0:7000=echo", ["tcp://0.0.0.0:7000=echo"]],
  ["udp://127.0.0.1:7000=echo", ["udp://127.0.0.1:7000=echo"]],
];

for (const [spec, sockets] of CASES) {
  Deno.test(`buildPlan() plans ${spec} as ${sockets.join(", ")}`, () => {
    const { plan: p, errors } = plan(spec);
    assert.deepEqual(errors, []);
    assert.deepEqual(p.listeners.map((l) => l.spec), sockets);
    const perAddress = sockets.length > 1;
    assert.ok(p.listeners.every((l) => (l.wildcard !== null) === perAddress));
    assert.ok(p.listeners.every((l) => l.origin === p.listeners[0].origin));
  });
}

Deno.test("buildPlan() leaves an address another UDP listener names on the port to that listener", () => {
  const { plan: p } = plan("udp://0.0.0.0:7000=echo", "udp://192.0.2.2:7000=whoami");
  assert.deepEqual(p.listeners.map((l) => l.spec), [
    "udp://127.0.0.1:7000=echo",
    "udp://192.0.2.2:7000=whoami",
  ]);
});

Deno.test("buildPlan() says a UDP wildcard has no address to bind when the host lists none of its family", () => {
  const { errors } = buildPlan([{
    text: "udp://[::]:7000=echo",
    source: { kind: "argument", index: 3 },
  }], { interfaces: [row("lo", "127.0.0.1")] });
  assert.equal(
    errors[0]?.message,
    'Cannot use listen spec "udp://[::]:7000=echo" (argument 3): this host lists no IPv6 ' +
      'address to bind one UDP socket per address; add ?wildcard=kernel to bind the wildcard "::" itself',
  );
});

Deno.test("checkExposure() refuses a UDP wildcard bound per address once, naming the wildcard, and warns once with --public", () => {
  const { plan: p } = plan("udp://0.0.0.0:7000=echo");
  const refused = checkExposure(p.listeners, false);
  assert.equal(refused.errors.length, 1);
  assert.match(
    refused.errors[0].message,
    /^Cannot use listen spec "udp:\/\/0\.0\.0\.0:7000=echo" \(argument 1\): 0\.0\.0\.0 is the wildcard/,
  );
  assert.deepEqual(checkExposure(p.listeners, true).warnings, [
    "exposed to other hosts: udp://0.0.0.0:7000=echo (argument 1) answers anyone who can reach this host",
  ]);
});
