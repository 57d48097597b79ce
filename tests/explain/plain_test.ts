/**
 * plainReason(): what a failed bind means from the OS error alone, for a
 * listener and for the dashboard, word for word, since `muxd serve` prints
 * these lines (and the dashboard's bind failure stops muxd with one).
 */

import assert from "node:assert/strict";
import { type BindTarget, explainPlainly, plainReason } from "../../lib/explain/mod.ts";
import { buildPlan } from "../../lib/plan/mod.ts";

const LISTENER: BindTarget = { purpose: "listener", transport: "udp", hostname: "::1", port: 80 };
const DASHBOARD: BindTarget = {
  purpose: "dashboard",
  transport: "tcp",
  hostname: "127.0.0.1",
  port: 7080,
};

const CASES: readonly [what: string, target: BindTarget, cause: unknown, reason: string][] = [
  [
    "an address in use, for a listener",
    LISTENER,
    new Deno.errors.AddrInUse("in use"),
    "address already in use: another socket already holds udp [::1]:80. " +
    "Stop the program that holds it, or choose another port.",
  ],
  [
    "an address in use, for the dashboard",
    DASHBOARD,
    new Deno.errors.AddrInUse("in use"),
    "address already in use: another socket already holds tcp 127.0.0.1:7080. " +
    "Stop the program that holds it, or choose another address with --dashboard.",
  ],
  [
    "a privileged port",
    LISTENER,
    new Deno.errors.PermissionDenied("denied"),
    "permission denied: ports below 1024 are privileged and need root " +
    "(or CAP_NET_BIND_SERVICE). Use a port above 1023, such as 7080.",
  ],
  [
    "a denial above 1023",
    DASHBOARD,
    new Deno.errors.PermissionDenied("denied"),
    "permission denied by the operating system for tcp 127.0.0.1:7080.",
  ],
  [
    "an address the host lacks, for a listener",
    LISTENER,
    new Deno.errors.AddrNotAvailable("not here"),
    "address not available: ::1 is not an address of this host. " +
    "Bind one of its own addresses, or a loopback address such as 127.0.0.1.",
  ],
  [
    "an address the host lacks, for the dashboard",
    DASHBOARD,
    new Deno.errors.AddrNotAvailable("not here"),
    "address not available: 127.0.0.1 is not an address of this host. " +
    "Use a loopback address such as 127.0.0.1.",
  ],
  [
    "Deno's permissions",
    DASHBOARD,
    new Deno.errors.NotCapable("no net"),
    "not allowed by Deno's permissions: run with --allow-net (deno task serve does).",
  ],
  ["a port out of range", LISTENER, new RangeError("port"), "invalid port 80."],
  [
    "a host name that does not resolve",
    { ...LISTENER, hostname: "nowhere.invalid" },
    new Error("failed to lookup address information: Name or service not known"),
    'host name not found: "nowhere.invalid" does not resolve.',
  ],
  [
    "UDP without Deno's unstable net API (a library user's program)",
    LISTENER,
    // What Deno throws then, as seen by running muxd's library without --unstable-net.
    new TypeError("Deno.listenDatagram is not a function"),
    `UDP needs Deno's unstable net API: run with --unstable-net, or put "unstable": ["net"] in ` +
    `deno.json (muxd's own tasks do).`,
  ],
  ["any other error", LISTENER, new Error("something else"), "something else"],
  ["a thrown string", LISTENER, "a string", "a string"],
];

for (const [what, target, cause, reason] of CASES) {
  Deno.test(`plainReason() explains ${what}`, () => {
    assert.equal(plainReason(target, cause), reason);
  });
}

Deno.test("explainPlainly() gives one reason per failure, in order, from the OS error alone", async () => {
  const { plan } = buildPlan([
    { text: "tcp://127.0.0.1:7007=echo", source: { kind: "argument", index: 2 } },
    { text: "udp://[::1]:1060=echo", source: { kind: "argument", index: 4 } },
  ]);
  const [tcp, udp] = plan.listeners;
  const reasons = await explainPlainly([
    { listener: tcp, cause: new Deno.errors.AddrInUse("in use") },
    { listener: udp, cause: new Deno.errors.AddrNotAvailable("not here") },
  ]);
  assert.deepEqual(reasons, [
    "address already in use: another socket already holds tcp 127.0.0.1:7007. " +
    "Stop the program that holds it, or choose another port.",
    "address not available: ::1 is not an address of this host. " +
    "Bind one of its own addresses, or a loopback address such as 127.0.0.1.",
  ]);
});
