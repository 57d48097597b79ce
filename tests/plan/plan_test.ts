import assert from "node:assert/strict";
import { buildPlan, type ListenItem, PlanError } from "../../lib/plan/mod.ts";
import { ListenSpecError } from "../../lib/spec/mod.ts";

const arg = (index: number, text: string): ListenItem => ({
  text,
  source: { kind: "argument", index },
});

Deno.test("buildPlan() turns each spec into one listener with the service's default options", () => {
  const { plan, errors } = buildPlan([
    arg(2, "tcp://127.0.0.1:7007=echo"),
    arg(4, "tcp://127.0.0.1:1060=banner"),
    arg(6, "udp://[::1]:1060=size"),
  ]);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    plan.listeners.map((l) => [l.transport, l.hostname, l.port, l.service, l.spec]),
    [
      ["tcp", "127.0.0.1", 7007, "echo", "tcp://127.0.0.1:7007=echo"],
      ["tcp", "127.0.0.1", 1060, "banner", "tcp://127.0.0.1:1060=banner"],
      ["udp", "::1", 1060, "size", "udp://[::1]:1060=size"],
    ],
  );
  assert.deepEqual(plan.listeners[1].options, { text: "Connection received" });
  assert.deepEqual(plan.listeners[1].source, { kind: "argument", index: 4 });
});

Deno.test("buildPlan() expands a port range into one listener per port", () => {
  const { plan, errors } = buildPlan([arg(1, "tcp://127.0.0.1:9000-9003=whoami")]);
  assert.deepEqual(errors, []);
  assert.deepEqual(plan.listeners.map((l) => l.port), [9000, 9001, 9002, 9003]);
  assert.equal(plan.listeners[2].spec, "tcp://127.0.0.1:9002=whoami");
});

Deno.test("buildPlan() reports every bad spec at once, each with its position", () => {
  const { plan, errors } = buildPlan([
    arg(2, "tcp://127.0.0.1:70000=echo"),
    arg(4, "tcp://127.0.0.1:7007=echo"),
    arg(6, "udp://127.0.0.1:7009=banner"),
    arg(8, "tcp://127.0.0.1:7010=banner?colour=red"),
  ]);
  assert.equal(plan.listeners.length, 1);
  assert.equal(errors.length, 3);
  assert.ok(errors[0] instanceof ListenSpecError);
  assert.match(
    errors[0].message,
    /^Cannot parse listen spec "tcp:\/\/127\.0\.0\.1:70000=echo" \(argument 2\): /,
  );
  assert.ok(errors[1] instanceof PlanError);
  assert.equal(
    errors[1].message,
    'Cannot use listen spec "udp://127.0.0.1:7009=banner" (argument 6): banner is a TCP-only service',
  );
  assert.ok(errors[2] instanceof PlanError);
  assert.match(
    errors[2].message,
    /\(argument 8\): unknown option "colour" for banner; it takes: text, reuse, wildcard, allow, deny, max-conns, /,
  );
});

Deno.test("buildPlan() leaves conflicts between listeners to check and the kernel", () => {
  const { plan, errors } = buildPlan([
    arg(2, "tcp://127.0.0.1:7007=echo"),
    arg(4, "tcp://127.0.0.1:7007=whoami"),
  ]);
  assert.deepEqual(errors, []);
  assert.equal(plan.listeners.length, 2);
});

Deno.test("buildPlan() takes reuse=true as a listener option for any service", () => {
  const { plan, errors } = buildPlan([
    arg(2, "tcp://0.0.0.0:7007=echo?reuse=true"),
    arg(4, "udp://127.0.0.1:7007=size"),
    arg(6, "udp://127.0.0.1:7008=size?reuse=maybe"),
  ]);
  assert.deepEqual(errors.map((e) => e.message), [
    'Cannot use listen spec "udp://127.0.0.1:7008=size?reuse=maybe" (argument 6): option reuse: must be true or false, not "maybe"',
  ]);
  assert.deepEqual(plan.listeners.map((l) => l.reuse), [true, false]);
});

Deno.test("buildPlan() binds each address of an interface named as the host", () => {
  const lo = (address: string, family: "IPv4" | "IPv6"): Deno.NetworkInterfaceInfo => ({
    name: "lo",
    family,
    address,
    netmask: family === "IPv4" ? "255.0.0.0" : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    scopeid: family === "IPv6" ? 0 : null,
    cidr: family === "IPv4" ? `${address}/8` : `${address}/128`,
    mac: "00:00:00:00:00:00",
  });
  const interfaces = [lo("127.0.0.1", "IPv4"), lo("::1", "IPv6"), {
    ...lo("fe80::1", "IPv6"),
    name: "eth0",
  }];
  const { plan, errors } = buildPlan([
    arg(2, "tcp://lo:7000=echo"),
    arg(4, "tcp://localhost:7001=echo"),
    arg(6, "tcp://eth0:7002=echo"),
  ], { interfaces });
  assert.deepEqual(plan.listeners.map((l) => [l.spec, l.family, l.origin]), [
    ["tcp://127.0.0.1:7000=echo", 4, "tcp://lo:7000=echo"],
    ["tcp://[::1]:7000=echo", 6, "tcp://lo:7000=echo"],
    ["tcp://localhost:7001=echo", null, "tcp://localhost:7001=echo"],
  ]);
  assert.equal(errors.length, 1);
  assert.match(
    errors[0].message,
    /\(argument 6\): interface eth0 has only link-local IPv6 addresses/,
  );
});

Deno.test("buildPlan() lets the same port coexist on other addresses, other transports and port 0", () => {
  const { plan, errors } = buildPlan([
    arg(1, "tcp://127.0.0.1:7007=echo"),
    arg(2, "tcp://127.0.0.2:7007=whoami"),
    arg(3, "udp://127.0.0.1:7007=whoami"),
    arg(4, "tcp://[::1]:7007=whoami"),
    arg(5, "tcp://127.0.0.1:0=echo"),
    arg(6, "tcp://127.0.0.1:0=echo"),
  ]);
  assert.deepEqual(errors, []);
  assert.equal(plan.listeners.length, 6);
});

Deno.test("buildPlan() checks option values before anything is bound", () => {
  const { errors } = buildPlan([arg(2, "tcp://127.0.0.1:7017=qotd?quote=caf%C3%A9")]);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof PlanError);
  assert.match(errors[0].message, /\(argument 2\): option quote: /);
});

Deno.test("buildPlan() reports exec without run= as one PlanError naming the option", () => {
  const { errors } = buildPlan([arg(2, "tcp://127.0.0.1:7300=exec")]);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof PlanError);
  assert.equal(
    errors[0].message,
    'Cannot use listen spec "tcp://127.0.0.1:7300=exec" (argument 2): exec needs the option run: ' +
      "it must name the " +
      "program to run, such as run=python3,server.py (program, then each argument, separated " +
      "by commas)",
  );
});

Deno.test("buildPlan() rejects an option of one transport on a listener of the other, naming both and the position", () => {
  const { plan, errors } = buildPlan([
    arg(2, "udp://127.0.0.1:7100=echo?max-conns=5"),
    arg(4, "tcp://127.0.0.1:7100=echo?reply-rate=5"),
    arg(6, "udp://127.0.0.1:7019=chargen?max-bytes=10"),
    arg(8, "tcp://127.0.0.1:7101=echo?max-conns=5&idle=3"),
    arg(10, "udp://127.0.0.1:7101=echo?reply-rate=5&allow=127.0.0.0/8"),
  ]);
  assert.deepEqual(errors.map((e) => e.message), [
    'Cannot use listen spec "udp://127.0.0.1:7100=echo?max-conns=5" (argument 2): option ' +
    "max-conns applies to TCP listeners only, and this one is UDP; remove it",
    'Cannot use listen spec "tcp://127.0.0.1:7100=echo?reply-rate=5" (argument 4): option ' +
    "reply-rate applies to UDP listeners only, and this one is TCP; remove it",
    'Cannot use listen spec "udp://127.0.0.1:7019=chargen?max-bytes=10" (argument 6): option ' +
    "max-bytes applies to TCP listeners only, and this one is UDP; remove it",
  ]);
  assert.deepEqual(plan.listeners.map((l) => l.port), [7101, 7101]);
});

Deno.test("buildPlan() calls a name written like an interface but not one of this host's a typo, listing the interfaces", () => {
  const row = (name: string, address: string): Deno.NetworkInterfaceInfo => ({
    name,
    family: "IPv4",
    address,
    netmask: "255.255.255.0",
    scopeid: null,
    cidr: `${address}/24`,
    mac: "00:00:00:00:00:00",
  });
  const interfaces = [row("lo", "127.0.0.1"), row("eth0", "192.0.2.7"), row("eth0", "192.0.2.8")];
  const { plan, errors } = buildPlan([
    arg(2, "tcp://eth9:7100=echo"),
    arg(4, "udp://wlan0:7100=echo"),
    arg(6, "tcp://localhost:7100=echo"),
    arg(8, "tcp://db1.example:7100=echo"),
    arg(10, "tcp://myhost:7100=echo"),
  ], { interfaces });
  assert.deepEqual(errors.map((e) => e.message), [
    'Cannot use listen spec "tcp://eth9:7100=echo" (argument 2): eth9 is not a network ' +
    "interface of this host, whose interfaces are lo, eth0",
    'Cannot use listen spec "udp://wlan0:7100=echo" (argument 4): wlan0 is not a network ' +
    "interface of this host, whose interfaces are lo, eth0",
  ]);
  assert.deepEqual(plan.listeners.map((l) => l.hostname), ["localhost", "db1.example", "myhost"]);
});
