import assert from "node:assert/strict";
import { buildPlan, type ListenItem } from "../../lib/plan/mod.ts";
import { checkRelayLoops } from "../../lib/plan/relay_loop.ts";

/** The ring errors of the specs, as (argument index, message) pairs. */
function rings(
  specs: readonly string[],
  interfaces: readonly Deno.NetworkInterfaceInfo[] = [],
  bindV6Only?: boolean,
): [number, string][] {
  const items: ListenItem[] = specs.map((text, i) => ({
    text,
    source: { kind: "argument", index: 2 * i + 2 },
  }));
  const { plan, errors } = buildPlan(items, { interfaces });
  assert.deepEqual(errors, []);
  return checkRelayLoops(plan.listeners, { interfaces, bindV6Only }).map((e) => [
    e.source.kind === "argument" ? e.source.index : -1,
    e.message,
  ]);
}

const eth0: Deno.NetworkInterfaceInfo = {
  family: "IPv4",
  name: "eth0",
  address: "198.51.100.7",
  netmask: "255.255.255.0",
  scopeid: null,
  cidr: "198.51.100.7/24",
  mac: "00:00:00:00:00:00",
};

Deno.test("a forward to its own socket name is an error naming it, over UDP and TCP", () => {
  assert.deepEqual(rings(["udp://127.0.0.1:7200=forward?to=127.0.0.1:7200"]), [[
    2,
    'Cannot use listen spec "udp://127.0.0.1:7200=forward?to=127.0.0.1:7200" (argument 2): ' +
    "its upstream 127.0.0.1:7200 is this listener itself: each datagram would go round " +
    "without end. Forward to another server",
  ]]);
  const [[, tcp]] = rings(["tcp://[::1]:7200=forward?to=[::1]:7200"]);
  assert.match(tcp, /is this listener itself: each connection would open another, up to max-conns/);
});

Deno.test("two forwards of muxd's that relay to each other are each an error", () => {
  const errors = rings([
    "udp://127.0.0.1:7200=forward?to=127.0.0.1:7201",
    "udp://127.0.0.1:7201=forward?to=127.0.0.1:7200",
  ]);
  assert.deepEqual(errors.map(([at]) => at), [2, 4]);
  assert.match(
    errors[0][1],
    /its upstream 127\.0\.0\.1:7201 is muxd's own udp:\/\/127\.0\.0\.1:7201=forward\?to=127\.0\.0\.1:7200, which relays back to this listener/,
  );
});

Deno.test("a ring through a wildcard listener and a dual-stack [::] one is found", () => {
  const errors = rings([
    "tcp://127.0.0.1:7200=forward?to=127.0.0.1:7201",
    "tcp://0.0.0.0:7201=forward?to=127.0.0.1:7202",
    "tcp://[::]:7202=forward?to=127.0.0.1:7200",
  ]);
  assert.deepEqual(errors.map(([at]) => at), [2, 4, 6]);
  assert.match(errors[0][1], /lead back to this listener in 2 more steps/);
});

Deno.test("checkRelayLoops() takes [::] as dual-stack unless net.ipv6.bindv6only is 1, and says so", () => {
  const specs = ["tcp://[::]:7202=forward?to=127.0.0.1:7202"];
  assert.deepEqual(rings(specs), [[
    2,
    'Cannot use listen spec "tcp://[::]:7202=forward?to=127.0.0.1:7202" (argument 2): its ' +
    "upstream 127.0.0.1:7202 is this listener itself ([::] is dual-stack on this host, " +
    "net.ipv6.bindv6only = 0: it receives IPv4 too): each connection would open another, up to " +
    "max-conns. Forward to another server",
  ]]);
  assert.deepEqual(rings(specs, [], false).length, 1);
  // An IPv6-only [::] receives no IPv4: 127.0.0.1:7202 is another socket.
  assert.deepEqual(rings(specs, [], true), []);
  assert.deepEqual(rings(["tcp://[::]:7202=forward?to=[::ffff:127.0.0.1]:7202"], [], true), []);
  // IPv6 traffic reaches [::] either way.
  assert.equal(rings(["tcp://[::]:7202=forward?to=[::1]:7202"], [], true).length, 1);
  assert.doesNotMatch(rings(["tcp://[::]:7202=forward?to=[::1]:7202"])[0][1], /dual-stack/);
  // The ring through 0.0.0.0 and [::] above is broken where [::] takes IPv6 alone.
  const ring = [
    "tcp://127.0.0.1:7200=forward?to=127.0.0.1:7201",
    "tcp://0.0.0.0:7201=forward?to=127.0.0.1:7202",
    "tcp://[::]:7202=forward?to=127.0.0.1:7200",
  ];
  assert.deepEqual(rings(ring, [], true), []);
  assert.match(rings(ring)[1][1], /in 2 more steps \(\[::\] is dual-stack on this host/);
});

Deno.test("an upstream on one of the host's own addresses reaches a wildcard listener", () => {
  const specs = ["tcp://0.0.0.0:7200=forward?to=198.51.100.7:7200"];
  assert.equal(rings(specs, [eth0]).length, 1);
  // Another host's address does not come back to muxd.
  assert.deepEqual(rings(specs), []);
});

Deno.test("a ring through a listener named localhost, or an upstream written as ::ffff:127.0.0.1, is found", () => {
  assert.equal(rings(["tcp://localhost:7200=forward?to=127.0.0.1:7200"]).length, 1);
  assert.equal(rings(["udp://127.0.0.1:7200=forward?to=[::ffff:127.0.0.1]:7200"]).length, 1);
  // localhost binds one address, 127.0.0.1 or ::1 as the resolver gives it first (::1 where
  // /etc/hosts maps localhost to both): either is a ring, another loopback address is not.
  assert.equal(rings(["tcp://localhost:7200=forward?to=[::1]:7200"]).length, 1);
  assert.equal(rings(["udp://localhost:7200=forward?to=[::1]:7200"]).length, 1);
  assert.deepEqual(rings(["tcp://localhost:7200=forward?to=127.0.0.2:7200"]), []);
});

Deno.test("a forward on localhost to a listener on [::1] of the same port is no ring: the traffic reaches [::1]'s own listener", () => {
  for (const order of [[0, 1], [1, 0]]) {
    const specs = ["tcp://localhost:7200=forward?to=[::1]:7200", "tcp://[::1]:7200=echo"];
    assert.deepEqual(rings(order.map((i) => specs[i])), []);
  }
});

Deno.test("a forward to muxd's own echo, or a chain of forwards out, is no ring", () => {
  assert.deepEqual(
    rings([
      "udp://127.0.0.1:7200=forward?to=127.0.0.1:7201",
      "udp://127.0.0.1:7201=forward?to=127.0.0.1:7202",
      "udp://127.0.0.1:7202=echo",
      "tcp://127.0.0.1:7200=forward?to=127.0.0.1:7201",
      "tcp://127.0.0.1:7201=forward?to=127.0.0.1:7209",
    ]),
    [],
  );
  // The same port over the other transport, or on another address, is another socket.
  assert.deepEqual(rings(["tcp://127.0.0.1:7200=forward?to=127.0.0.2:7200"]), []);
  assert.deepEqual(
    rings([
      "udp://127.0.0.1:7200=forward?to=127.0.0.1:7201",
      "tcp://127.0.0.1:7201=forward?to=127.0.0.1:7200",
    ]),
    [],
  );
  // A ring that a relay only leads into is reported at the ring's own listeners.
  assert.deepEqual(
    rings([
      "udp://127.0.0.1:7200=forward?to=127.0.0.1:7201",
      "udp://127.0.0.1:7201=forward?to=127.0.0.1:7201",
    ]).map(([at]) => at),
    [4],
  );
});
