/**
 * explainBindFailure() and hostExplainer(): a real bind failure explained as
 * `check` would have predicted it, word for word: a conflict with one of
 * muxd's own listeners, another program's socket, an address the host lacks,
 * a privileged port; and what the OS error alone says where no rule applies.
 */

import assert from "node:assert/strict";
import { bindAll, type FailedBind } from "../../lib/bind/mod.ts";
import type { HostFacts } from "../../lib/check/mod.ts";
import { type DescribeHolders, explainBindFailure, hostExplainer } from "../../lib/explain/mod.ts";
import { buildPlan, type PlannedListener } from "../../lib/plan/mod.ts";

const FACTS: HostFacts = {
  os: "linux",
  bindV6Only: false,
  unprivilegedPortStart: 1024,
  canBindPrivileged: false,
  ephemeralPorts: { first: 32768, last: 60999 },
  addresses: ["127.0.0.1", "::1", "192.0.2.5"],
  interfaces: [
    {
      name: "lo",
      family: "IPv4",
      address: "127.0.0.1",
      netmask: "255.0.0.0",
      scopeid: null,
      cidr: "127.0.0.1/8",
      mac: "00:00:00:00:00:00",
    },
    {
      name: "eth0",
      family: "IPv4",
      address: "192.0.2.5",
      netmask: "255.255.255.0",
      scopeid: null,
      cidr: "192.0.2.5/24",
      mac: "02:00:00:00:00:01",
    },
  ],
  assumed: [],
};

/** One listener per spec, the first from argument 2, the next from argument 4, … */
function listeners(...specs: string[]): PlannedListener[] {
  const { plan, errors } = buildPlan(
    specs.map((text, i) => ({ text, source: { kind: "argument", index: 2 * i + 2 } })),
  );
  assert.deepEqual(errors, []);
  return [...plan.listeners];
}

/** A holder lookup that answers with the query, and records it. */
function echoingHolders(): { holders: DescribeHolders; asked: string[] } {
  const asked: string[] = [];
  const holders: DescribeHolders = (q) => {
    asked.push(`${q.transport} ${q.address} ${q.port}`);
    return Promise.resolve({
      text: `held by a test socket on ${q.transport} port ${q.port}`,
      fix: "stop the program that holds it, or choose another port.",
    });
  };
  return { holders, asked };
}

const inUse = (listener: PlannedListener): FailedBind => ({
  listener,
  cause: new Deno.errors.AddrInUse("Address already in use (os error 98)"),
});

Deno.test("explainBindFailure() names the listener of this muxd that holds the port, with the rule and its fix", async () => {
  const [wildcard, specific] = listeners("tcp://0.0.0.0:7007=echo", "tcp://127.0.0.1:7007=whoami");
  const { holders, asked } = echoingHolders();
  const reason = await explainBindFailure(inUse(specific), {
    earlier: [wildcard],
    facts: FACTS,
    holders,
  });
  assert.equal(
    reason,
    "address already in use: this muxd already holds tcp://0.0.0.0:7007=echo (argument 2). " +
      "0.0.0.0 means every IPv4 address of this host, so tcp 0.0.0.0:7007 already covers " +
      "tcp 127.0.0.1:7007. Linux refuses the IPv4 wildcard and a specific IPv4 address on the " +
      "same port, in either order. Fix: Bind only the wildcard, or only specific addresses, or " +
      "add ?reuse=true to both specs: the kernel then lets them share the port and hands each " +
      "arrival to the most specific socket.",
  );
  assert.deepEqual(asked, [], "a conflict with its own listener needs no holder lookup");
});

Deno.test("explainBindFailure() names who holds the port when no listener of this muxd does", async () => {
  const [specific, wildcard] = listeners("udp://[::1]:7007=echo", "tcp://[::]:7008=echo");
  const { holders, asked } = echoingHolders();
  const ctx = { earlier: [], facts: FACTS, holders };
  assert.equal(
    await explainBindFailure(inUse(specific), ctx),
    "address already in use: another socket holds udp [::1]:7007, or a wildcard that covers " +
      "it; held by a test socket on udp port 7007. Fix: stop the program that holds it, or " +
      "choose another port.",
  );
  assert.equal(
    await explainBindFailure(inUse(wildcard), ctx),
    "address already in use: another socket uses port 7008 on an address this wildcard " +
      "covers; held by a test socket on tcp port 7008. Fix: stop the program that holds it, " +
      "or choose another port.",
  );
  assert.deepEqual(asked, ["udp ::1 7007", "tcp :: 7008"]);
});

Deno.test("explainBindFailure() explains an address the host lacks and a privileged port by check's rules", async () => {
  const [foreign, privileged] = listeners("tcp://192.0.2.99:7007=echo", "tcp://127.0.0.1:80=echo");
  const ctx = { earlier: [], facts: FACTS, holders: echoingHolders().holders };
  assert.equal(
    await explainBindFailure(
      { listener: foreign, cause: new Deno.errors.AddrNotAvailable("not here") },
      ctx,
    ),
    "address not available: 192.0.2.99 is not an address of this host, and a socket can be " +
      "bound only to one of the host's own addresses or to the wildcard. Fix: Bind one of this " +
      "host's addresses (127.0.0.1, ::1, 192.0.2.5), or the wildcard; or add the address: " +
      "sudo ip addr add 192.0.2.99/24 dev eth0",
  );
  assert.equal(
    await explainBindFailure(
      { listener: privileged, cause: new Deno.errors.PermissionDenied("denied") },
      ctx,
    ),
    "permission denied: Port 80 is privileged: ports below 1024 " +
      "(net.ipv4.ip_unprivileged_port_start) may be bound only by root or by a program with the " +
      "CAP_NET_BIND_SERVICE capability. Fix: Use an unprivileged port such as 7080; or run muxd " +
      "as root; or lower net.ipv4.ip_unprivileged_port_start with sysctl.",
  );
});

Deno.test("explainBindFailure() explains the kernel's invalid argument for a link-local address and for an IPv4-mapped one where [::] takes IPv6 only", async () => {
  // The kernel refuses fe80::/10 without a zone id whatever the host: a real failure.
  const [linkLocal, mapped] = listeners(
    "tcp://[fe80::1]:0=echo",
    "tcp://[::ffff:127.0.0.1]:0=echo",
  );
  const { failures } = bindAll([linkLocal]);
  assert.equal(failures.length, 1);
  const ctx = { earlier: [], facts: FACTS, holders: echoingHolders().holders };
  assert.equal(
    await explainBindFailure(failures[0], ctx),
    "invalid argument: fe80::1 is a link-local address (fe80::/10): the same address may be on " +
      "every interface, so binding it needs the interface too, as a zone id (fe80::1%eth0), " +
      'which listen specs do not carry; the kernel refuses it without one ("invalid argument"). ' +
      "Fix: Bind a global or unique-local address of the interface, or [::] (with --public); a " +
      "client on the link reaches those as well.",
  );
  // The same EINVAL for an IPv4-mapped address on a host with net.ipv6.bindv6only = 1
  // (tests/integration/netns_v6only_test.ts sees it from the kernel of such a host).
  const v6only = { ...ctx, facts: { ...FACTS, bindV6Only: true } };
  assert.equal(
    await explainBindFailure({ listener: mapped, cause: failures[0].cause }, v6only),
    "invalid argument: [::ffff:127.0.0.1] is 127.0.0.1 written as an IPv4-mapped IPv6 address, " +
      "which an IPv6 socket can bind only where it takes IPv4 too. On this host " +
      "net.ipv6.bindv6only = 1: an IPv6 socket takes IPv6 only, so the kernel refuses the " +
      'address ("invalid argument"). Fix: Bind 127.0.0.1 itself.',
  );
});

Deno.test("explainBindFailure() names a listener of this muxd on the IPv4 address that an IPv4-mapped one binds", async () => {
  const [mapped] = listeners("tcp://[::ffff:127.0.0.1]:0=echo");
  const { bound, failures } = bindAll([mapped]);
  try {
    assert.deepEqual(failures, []);
    const port = bound[0].local.port;
    const [held, clash] = listeners(
      `tcp://[::ffff:127.0.0.1]:${port}=echo`,
      `tcp://127.0.0.1:${port}=whoami`,
    );
    const refused = bindAll([clash]).failures;
    assert.equal(refused.length, 1, "the kernel bound 127.0.0.1 beside [::ffff:127.0.0.1]");
    assert.equal(
      await explainBindFailure(refused[0], {
        earlier: [held],
        facts: FACTS,
        holders: echoingHolders().holders,
      }),
      `address already in use: this muxd already holds tcp://[::ffff:127.0.0.1]:${port}=echo ` +
        `(argument 2). Both ask for tcp 127.0.0.1:${port}. A socket name (transport, address, ` +
        `port) can be held by only one socket at a time. [::ffff:127.0.0.1] is 127.0.0.1 ` +
        `written as an IPv4-mapped IPv6 address: a socket bound to it takes IPv4 traffic to ` +
        `127.0.0.1, as an IPv4 socket does. Fix: Remove one of them, or give one of them ` +
        `another port (${port < 32767 ? port + 1 : 7007}); to share one port on purpose, add ` +
        `?reuse=true to both.`,
    );
  } finally {
    for (const b of bound) b.socket.close();
  }
});

Deno.test("explainBindFailure() says what the OS error says where no rule of check applies", async () => {
  const [privileged] = listeners("tcp://127.0.0.1:80=echo");
  // As root no rule forbids port 80, so a denial is the OS's own.
  const root = { ...FACTS, canBindPrivileged: true };
  const ctx = { earlier: [], facts: root, holders: echoingHolders().holders };
  assert.equal(
    await explainBindFailure(
      { listener: privileged, cause: new Deno.errors.PermissionDenied("denied") },
      ctx,
    ),
    "permission denied: ports below 1024 are privileged and need root " +
      "(or CAP_NET_BIND_SERVICE). Use a port above 1023, such as 7080.",
  );
  assert.equal(
    await explainBindFailure(
      { listener: privileged, cause: new Deno.errors.NotCapable("no net") },
      ctx,
    ),
    "not allowed by Deno's permissions: run with --allow-net (deno task serve does).",
  );
});

Deno.test("hostExplainer() explains each failure against the listeners held, with the facts and holders given", async () => {
  const [held, clash, other] = listeners(
    "tcp://127.0.0.1:7007=echo",
    "tcp://127.0.0.1:7007=whoami",
    "tcp://127.0.0.1:7009=echo",
  );
  const { holders, asked } = echoingHolders();
  const explain = hostExplainer({ facts: FACTS, holders });
  const reasons = await explain([inUse(clash), inUse(other)], [held]);
  assert.equal(reasons.length, 2);
  assert.match(
    reasons[0],
    /^address already in use: this muxd already holds tcp:\/\/127\.0\.0\.1:7007=echo \(argument 2\)\. Both ask for tcp 127\.0\.0\.1:7007\./,
  );
  assert.match(
    reasons[1],
    /^address already in use: another socket holds tcp 127\.0\.0\.1:7009, or a wildcard that covers it; held by a test socket on tcp port 7009\./,
  );
  assert.deepEqual(asked, ["tcp 127.0.0.1 7009"]);
  assert.deepEqual(await explain([], [held]), []);
});
