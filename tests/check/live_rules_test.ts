/**
 * The rules for sockets that exist now: holderEffect() for each kind of
 * holder, and the finding liveFinding() makes of them. The holders are the
 * ones `ss` showed on this project's test host (see live_vs_kernel_test.ts
 * for the same verdicts against real binds).
 */

import assert from "node:assert/strict";
import { type HolderEffect, holderEffect, liveFinding } from "../../lib/check/mod.ts";
import type { Holder } from "../../lib/holder/mod.ts";
import { buildPlan, type PlannedListener } from "../../lib/plan/mod.ts";
import { formatSocketName } from "../../lib/spec/mod.ts";

const FACTS = { ephemeralPorts: { first: 32768, last: 60999 }, bindV6Only: false };

/** The one listener of a spec. */
function planned(text: string): PlannedListener {
  const { plan, errors } = buildPlan([{ text, source: { kind: "argument", index: 2 } }]);
  assert.deepEqual(errors, []);
  return plan.listeners[0];
}

const NC = { pid: 12899, name: "nc" } as const;

/** A holder, with what `ss` shows of a socket. */
function holder(fields: Partial<Holder> & Pick<Holder, "local">): Holder {
  return {
    transport: "tcp",
    remote: null,
    state: "LISTEN",
    kind: "listening",
    uid: 0,
    inode: 92251,
    process: NC,
    ...fields,
  };
}

const LISTENING = holder({ local: { address: "127.0.0.1", port: 7777 } });
const WILDCARD = holder({ local: { address: "0.0.0.0", port: 7777 } });
const DUAL_STACK = holder({ local: { address: "::", port: 7777 }, v6Only: false });
const UDP = holder({
  transport: "udp",
  local: { address: "127.0.0.1", port: 7777 },
  state: "UNCONN",
  kind: "bound",
});
const CLOSED = {
  state: "TIME-WAIT",
  kind: "time-wait",
  inode: 0,
  process: null,
  processUnknownReason: "no process owns it; the kernel keeps it for about 60 s after close",
} as const;
const SERVER_TIME_WAIT = holder({
  ...CLOSED,
  local: { address: "127.0.0.1", port: 7777 },
  remote: { address: "127.0.0.1", port: 50986 },
});
const CLIENT_TIME_WAIT = holder({
  ...CLOSED,
  local: { address: "127.0.0.1", port: 45000 },
  remote: { address: "127.0.0.1", port: 7781 },
});
const ACCEPTED = holder({
  local: { address: "127.0.0.1", port: 7777 },
  remote: { address: "127.0.0.1", port: 50990 },
  state: "ESTAB",
  kind: "connection",
});
const CLIENT = holder({
  local: { address: "127.0.0.1", port: 45000 },
  remote: { address: "192.0.2.8", port: 443 },
  state: "ESTAB",
  kind: "connection",
});

const CASES: readonly (readonly [string, Holder, HolderEffect])[] = [
  ["tcp://127.0.0.1:7777=echo", LISTENING, "blocks"],
  ["tcp://127.0.0.1:7777=echo?reuse=true", LISTENING, "may-share"],
  ["tcp://127.0.0.1:7777=echo", WILDCARD, "blocks"],
  ["tcp://127.0.0.1:7777=echo", DUAL_STACK, "blocks"],
  ["tcp://localhost:7777=echo", LISTENING, "may-block"],
  ["udp://127.0.0.1:7777=echo", UDP, "blocks"],
  ["udp://127.0.0.1:7777=echo?reuse=true", UDP, "may-share"],
  ["tcp://127.0.0.1:7777=echo", SERVER_TIME_WAIT, "closed"],
  ["tcp://127.0.0.1:7777=echo?reuse=true", SERVER_TIME_WAIT, "closed"],
  ["tcp://127.0.0.1:45000=echo", CLIENT_TIME_WAIT, "blocks"],
  ["tcp://127.0.0.1:7777=echo", ACCEPTED, "may-block"],
  ["tcp://127.0.0.1:45000=echo", CLIENT, "blocks"],
  ["tcp://0.0.0.0:45000=echo", CLIENT, "blocks"],
];

for (const [spec, h, effect] of CASES) {
  const name = `${h.transport} ${formatSocketName(h.local)} ${h.state}`;
  Deno.test(`holderEffect() of ${name} on ${spec} is ${effect}`, () => {
    assert.equal(holderEffect(planned(spec), h, FACTS), effect);
  });
}

Deno.test("liveFinding() makes an in-use error that names the holder's socket and process", () => {
  const f = liveFinding(planned("tcp://127.0.0.1:7777=echo"), [LISTENING], FACTS);
  assert.equal(f?.rule, "in-use");
  assert.equal(f?.severity, "error");
  assert.deepEqual(f?.holders, [LISTENING]);
  assert.equal(
    f?.explanation,
    "Process 12899 (nc) listens on tcp 127.0.0.1:7777, and a socket name can be held by only " +
      "one socket at a time.",
  );
  assert.equal(f?.fix, "Stop process 12899 (nc), or choose another port.");
});

Deno.test("liveFinding() explains the wildcard and the dual-stack [::] that cover an address", () => {
  const at = planned("tcp://127.0.0.1:7777=echo");
  assert.match(
    liveFinding(at, [WILDCARD], FACTS)?.explanation ?? "",
    /0\.0\.0\.0 covers every IPv4 address of this host, 127\.0\.0\.1 among them/,
  );
  assert.match(
    liveFinding(at, [DUAL_STACK], FACTS)?.explanation ?? "",
    /a dual-stack socket: it covers every IPv4 address of this host too, 127\.0\.0\.1/,
  );
  assert.match(
    liveFinding(planned("tcp://0.0.0.0:7777=echo"), [LISTENING], FACTS)?.explanation ?? "",
    /; 0\.0\.0\.0 covers every IPv4 address of this host, 127\.0\.0\.1 among them/,
  );
});

Deno.test("liveFinding() warns, naming SO_REUSEPORT, when ?reuse=true may share the port", () => {
  const f = liveFinding(planned("tcp://127.0.0.1:7777=echo?reuse=true"), [LISTENING], FACTS);
  assert.equal(f?.severity, "warning");
  assert.match(f?.explanation ?? "", /only if that socket set SO_REUSEPORT too/);
  assert.doesNotMatch(f?.explanation ?? "", /only one socket/);
});

Deno.test("liveFinding() calls a TCP listener of another user an error even with ?reuse=true: SO_REUSEPORT shares only within one user", () => {
  const spec = planned("tcp://127.0.0.1:7777=echo?reuse=true");
  const theirs = holder({ local: { address: "127.0.0.1", port: 7777 }, uid: 65534 });
  const f = liveFinding(spec, [theirs], { ...FACTS, uid: 0 });
  assert.equal(f?.severity, "error");
  assert.match(
    f?.explanation ?? "",
    /\?reuse=true shares a TCP port only between sockets of one user \(SO_REUSEPORT\), and this one is uid 65534's, where muxd runs as uid 0\./,
  );
  // One's own: it may share.
  assert.equal(liveFinding(spec, [theirs], { ...FACTS, uid: 65534 })?.severity, "warning");
  // A UDP socket shares by SO_REUSEADDR, across users.
  const udp = holder({ transport: "udp", local: { address: "127.0.0.1", port: 7777 }, uid: 65534 });
  assert.equal(
    liveFinding(planned("udp://127.0.0.1:7777=echo?reuse=true"), [udp], { ...FACTS, uid: 0 })
      ?.severity,
    "warning",
  );
});

Deno.test("liveFinding() calls a client's connection on an ephemeral port an error", () => {
  const f = liveFinding(planned("tcp://127.0.0.1:45000=echo"), [CLIENT_TIME_WAIT], FACTS);
  assert.equal(f?.severity, "error");
  assert.match(f?.explanation ?? "", /^A connection tcp 127\.0\.0\.1:45000 -> 127\.0\.0\.1:7781 /);
  assert.match(f?.explanation ?? "", /ephemeral range 32768-60999/);
});

Deno.test("liveFinding() warns of a name only TIME-WAIT holds: ss cannot show whether it blocks", () => {
  const f = liveFinding(planned("tcp://127.0.0.1:7777=echo"), [SERVER_TIME_WAIT], FACTS);
  assert.equal(f?.rule, "time-wait");
  assert.equal(f?.severity, "warning");
  assert.match(f?.explanation ?? "", /Deno sets SO_REUSEADDR on every TCP listener/);
  assert.match(f?.explanation ?? "", /Which kind these are, ss cannot show\.$/);
  assert.match(f?.fix ?? "", /^If muxd serve fails on it, wait about 60 s/);
});

Deno.test("liveFinding() reports the worst holder: an error over a warning over a note", () => {
  const at = planned("tcp://127.0.0.1:7777=echo");
  const all = liveFinding(at, [SERVER_TIME_WAIT, ACCEPTED, LISTENING], FACTS);
  assert.deepEqual([all?.severity, all?.holders], ["error", [LISTENING]]);
  const some = liveFinding(at, [SERVER_TIME_WAIT, ACCEPTED], FACTS);
  assert.deepEqual([some?.severity, some?.holders], ["warning", [ACCEPTED]]);
  assert.equal(liveFinding(at, [], FACTS), null);
});
