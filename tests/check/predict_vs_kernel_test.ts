/**
 * Prediction matches reality: for each rule, `predict()` says what would
 * happen, then the pair is really bound on this machine, in order, and the
 * two must agree.
 */

import assert from "node:assert/strict";
import { bindAll } from "../../lib/bind/mod.ts";
import { predict, readHostFacts, type RuleId } from "../../lib/check/mod.ts";
import { buildPlan } from "../../lib/plan/mod.ts";
import { deliveries, freePort } from "../_support/socket.ts";

const facts = await readHostFacts();

interface Case {
  /** Specs with `P` for the shared port. */
  readonly specs: readonly string[];
  /** The rule predicted for the last spec, or `null` when all bind. */
  readonly rule: RuleId | null;
  /** Run only when this holds. */
  readonly when?: boolean;
}

const dualStack = !facts.bindV6Only;
const root = facts.canBindPrivileged;

const CASES: readonly Case[] = [
  { specs: ["tcp://127.0.0.1:P=echo", "tcp://127.0.0.1:P=whoami"], rule: "same-socket-name" },
  { specs: ["udp://127.0.0.1:P=echo", "udp://127.0.0.1:P=size"], rule: "same-socket-name" },
  { specs: ["tcp://127.0.0.1:P=echo", "tcp://127.0.0.2:P=whoami"], rule: null },
  // One host name twice leads to one socket name twice, whatever it resolves to.
  { specs: ["tcp://localhost:P=echo", "tcp://localhost:P=whoami"], rule: "same-socket-name" },
  { specs: ["udp://localhost:P=echo", "udp://localhost:P=size"], rule: "same-socket-name" },
  { specs: ["tcp://0.0.0.0:P=echo", "tcp://127.0.0.1:P=whoami"], rule: "ipv4-wildcard" },
  { specs: ["tcp://127.0.0.1:P=echo", "tcp://0.0.0.0:P=whoami"], rule: "ipv4-wildcard" },
  {
    specs: ["udp://0.0.0.0:P=echo?wildcard=kernel", "udp://127.0.0.1:P=size"],
    rule: "ipv4-wildcard",
  },
  // One socket per address: the wildcard leaves 127.0.0.1 to the listener that names it.
  { specs: ["udp://0.0.0.0:P=echo", "udp://127.0.0.1:P=size"], rule: null },
  { specs: ["udp://127.0.0.1:P=size", "udp://0.0.0.0:P=echo"], rule: null },
  { specs: ["udp://0.0.0.0:P=echo", "udp://[::]:P=echo"], rule: null },
  { specs: ["tcp://[::]:P=echo", "tcp://[::1]:P=whoami"], rule: "ipv6-wildcard" },
  {
    specs: ["tcp://[::]:P=echo", "tcp://127.0.0.1:P=whoami"],
    rule: dualStack ? "dual-stack-wildcard" : null,
  },
  {
    specs: ["tcp://0.0.0.0:P=echo", "tcp://[::]:P=whoami"],
    rule: dualStack ? "dual-stack-wildcard" : null,
  },
  {
    specs: ["udp://[::]:P=echo?wildcard=kernel", "udp://127.0.0.1:P=size"],
    rule: dualStack ? "dual-stack-wildcard" : null,
  },
  { specs: ["udp://[::]:P=echo", "udp://127.0.0.1:P=size"], rule: null },
  { specs: ["tcp://[::1]:P=echo", "tcp://127.0.0.1:P=whoami"], rule: null },
  { specs: ["tcp://127.0.0.1:P=echo", "udp://127.0.0.1:P=size"], rule: null },
  { specs: ["tcp://0.0.0.0:P=echo", "udp://127.0.0.1:P=size"], rule: null },
  {
    specs: ["tcp://0.0.0.0:P=echo?reuse=true", "tcp://127.0.0.1:P=whoami?reuse=true"],
    rule: null,
  },
  {
    specs: ["tcp://127.0.0.1:P=echo?reuse=true", "tcp://127.0.0.1:P=whoami?reuse=true"],
    rule: null,
  },
  {
    specs: [
      "udp://0.0.0.0:P=echo?reuse=true&wildcard=kernel",
      "udp://127.0.0.1:P=size?reuse=true",
    ],
    rule: null,
  },
  {
    specs: ["tcp://0.0.0.0:P=echo?reuse=true", "tcp://127.0.0.1:P=whoami"],
    rule: "ipv4-wildcard",
  },
  { specs: ["tcp://198.51.100.7:P=echo"], rule: "address-not-local" },
  // An IPv4-mapped address binds as the IPv4 address it maps, where [::] may take IPv4.
  { specs: ["tcp://[::ffff:127.0.0.1]:P=echo"], rule: dualStack ? null : "ipv4-mapped" },
  { specs: ["udp://[::ffff:127.0.0.1]:P=echo"], rule: dualStack ? null : "ipv4-mapped" },
  {
    specs: ["tcp://[::ffff:127.0.0.1]:P=echo", "tcp://127.0.0.1:P=whoami"],
    rule: "same-socket-name",
    when: dualStack,
  },
  {
    specs: ["udp://127.0.0.1:P=echo", "udp://[::ffff:127.0.0.1]:P=size"],
    rule: "same-socket-name",
    when: dualStack,
  },
  {
    specs: ["tcp://[::ffff:0.0.0.0]:P=echo", "tcp://127.0.0.2:P=whoami"],
    rule: "ipv4-wildcard",
    when: dualStack,
  },
  {
    specs: ["tcp://[::]:P=echo", "tcp://[::ffff:127.0.0.1]:P=whoami"],
    rule: "dual-stack-wildcard",
    when: dualStack,
  },
  {
    specs: ["tcp://[::1]:P=echo", "tcp://[::ffff:127.0.0.1]:P=whoami"],
    rule: null,
    when: dualStack,
  },
  // A link-local address needs a zone id, which listen specs do not carry.
  { specs: ["tcp://[fe80::1]:P=echo"], rule: "link-local" },
  { specs: ["udp://[fe80::1]:P=echo"], rule: "link-local" },
  { specs: ["tcp://127.0.0.1:1000=echo"], rule: root ? null : "privileged-port" },
];

/** The error class the kernel answers with, for each rule that fails a bind. */
const KERNEL_ERROR: Partial<Record<RuleId, new (...args: never[]) => Error>> = {
  "same-socket-name": Deno.errors.AddrInUse,
  "ipv4-wildcard": Deno.errors.AddrInUse,
  "ipv6-wildcard": Deno.errors.AddrInUse,
  "dual-stack-wildcard": Deno.errors.AddrInUse,
  "address-not-local": Deno.errors.AddrNotAvailable,
  "privileged-port": Deno.errors.PermissionDenied,
  // EINVAL has no class of its own in Deno: a TypeError whose code says it.
  "link-local": TypeError,
  "ipv4-mapped": TypeError,
};

for (const c of CASES) {
  Deno.test({
    name: `predict() agrees with the kernel: ${c.specs.join(" then ")} -> ${c.rule ?? "binds"}`,
    ignore: c.when === false,
    fn() {
      const port = freePort("::");
      const { plan, errors } = buildPlan(
        c.specs.map((s, i) => ({
          text: s.replace(":P=", `:${port}=`),
          source: { kind: "argument", index: i + 1 },
        })),
        { interfaces: facts.interfaces },
      );
      assert.deepEqual(errors, []);
      const predicted = predict(plan.listeners, facts, { allowPublic: true }).filter((f) =>
        f.severity === "error"
      );
      assert.deepEqual(predicted.map((f) => f.rule), c.rule ? [c.rule] : []);

      const { bound, failures } = bindAll(plan.listeners);
      try {
        if (c.rule === null) {
          assert.deepEqual(failures.map((f) => String(f.cause)), []);
        } else {
          assert.equal(failures.length, 1, `the kernel bound all of ${c.specs.join(", ")}`);
          // The listener predicted to fail is the one the kernel refused.
          assert.equal(failures[0].listener, predicted[0].listeners[0]);
          assert.ok(
            failures[0].cause instanceof KERNEL_ERROR[c.rule]!,
            `expected ${KERNEL_ERROR[c.rule]!.name}, got ${failures[0].cause}`,
          );
        }
      } finally {
        for (const b of bound) b.socket.close();
      }
    },
  });
}

Deno.test("predict() offers ?reuse=true to two UDP listeners on one name only as what the kernel does with it: the one bound last takes every datagram", async () => {
  const port = freePort("::");
  const plan = (suffix: string) =>
    buildPlan(
      ["echo", "size"].map((service, i) => ({
        text: `udp://127.0.0.1:${port}=${service}${suffix}`,
        source: { kind: "argument", index: 2 * i + 2 },
      })),
      { interfaces: facts.interfaces },
    ).plan;
  const [finding] = predict(plan("").listeners, facts, { allowPublic: false });
  assert.equal(finding.rule, "same-socket-name");
  assert.doesNotMatch(finding.fix, /to share one port on purpose/);
  assert.match(finding.fix, /the socket bound last takes every one, and the other gets none/);

  // With ?reuse=true on both, the kernel binds both and delivers to the second alone.
  const { bound, failures } = bindAll(plan("?reuse=true").listeners);
  const sockets = bound.map((b) => b.socket as Deno.DatagramConn);
  const got = await deliveries(sockets, port, 10);
  assert.deepEqual(failures.map((f) => String(f.cause)), []);
  assert.deepEqual(got, [0, 10]);
});
