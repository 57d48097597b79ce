/**
 * UDP wildcards answer from the address that was asked: muxd binds one
 * socket per local address, so a client that called `connect()` (Python's
 * `socket`, as the book's `udp_remote.py` uses it) accepts the reply, and
 * whoami names the address. `?wildcard=kernel` keeps one wildcard socket,
 * and whoami says why it cannot name the address. Traffic goes to loopback
 * only; `netns_udp_wildcard_test.ts` tries other addresses on a second host.
 */

import assert from "node:assert/strict";
import { runMuxd, startMuxd } from "../_support/process.ts";
import { pythonUdp } from "../_support/python_udp.ts";
import { ipv6LoopbackProblem } from "../_support/host.ts";

const ipv6 = ipv6LoopbackProblem();
if (ipv6) console.log(`the IPv6 part of the UDP wildcard test is skipped: ${ipv6}`);

Deno.test("muxd serve binds udp://0.0.0.0:0 one socket per address on one port, and a connected client on 127.0.0.1 is answered by whoami naming 127.0.0.1", async () => {
  const specs = ["udp://0.0.0.0:0=whoami", ...(ipv6 ? [] : ["udp://[::]:0=whoami"])];
  await using muxd = await startMuxd(["serve", "--public", ...specs.flatMap((s) => ["-l", s])]);
  const of = (wildcard: string) => muxd.ready.sockets.filter((s) => s.wildcard === wildcard);
  const v4 = of("udp://0.0.0.0:0=whoami");
  assert.ok(v4.some((s) => s.address === "127.0.0.1"), JSON.stringify(muxd.ready.sockets));
  assert.ok(v4.every((s) => !s.address.includes(":") && s.address !== "0.0.0.0"));
  // The OS picked one port, and every socket of the wildcard has it.
  assert.equal(new Set(v4.map((s) => s.port)).size, 1);
  const port = v4[0].port;

  const reply = await pythonUdp("127.0.0.1", port, { connected: true });
  assert.equal(reply.error, null);
  assert.match(reply.reply ?? "", new RegExp(`^local: 127\\.0\\.0\\.1:${port}$`, "m"));
  assert.match(
    reply.reply ?? "",
    /^listener: udp:\/\/127\.0\.0\.1:0=whoami$/m,
  );
  assert.match(
    muxd.stderr(),
    /udp:\/\/0\.0\.0\.0:0=whoami is one socket per address \(127\.0\.0\.1:/,
  );

  if (!ipv6) {
    const v6 = of("udp://[::]:0=whoami");
    assert.ok(v6.some((s) => s.address === "::1"), JSON.stringify(muxd.ready.sockets));
    assert.ok(v6.every((s) => s.address.includes(":") && !s.address.startsWith("fe80:")));
    const at6 = v6[0].port;
    const six = await pythonUdp("::1", at6, { connected: true });
    assert.match(six.reply ?? "", new RegExp(`^local: \\[::1\\]:${at6}$`, "m"));
  }
  await muxd.stop();
});

Deno.test("muxd serve with ?wildcard=kernel binds one wildcard socket, and whoami explains why it cannot name the local address", async () => {
  await using muxd = await startMuxd([
    "serve",
    "--public",
    "-l",
    "udp://0.0.0.0:0=whoami?wildcard=kernel",
  ]);
  assert.deepEqual(
    muxd.ready.sockets.map((s) => [s.address, s.wildcard]),
    [["0.0.0.0", null]],
  );
  const reply = await pythonUdp("127.0.0.1", muxd.port(0), { connected: true });
  assert.match(
    reply.reply ?? "",
    /^local: unknown \(UDP socket bound to the wildcard 0\.0\.0\.0:\d+: the kernel can tell a program which address a datagram was sent to \(IP_PKTINFO\), but Deno does not expose it; the reply leaves from an address the kernel picks\)$/m,
  );
  await muxd.stop();
});

Deno.test("muxd check notes which addresses a UDP wildcard binds, and why", async () => {
  const out = await runMuxd([
    "check",
    "--public",
    "-l",
    "udp://0.0.0.0:7350=echo",
    "-l",
    "udp://127.0.0.1:7350=whoami",
    "-l",
    "udp://0.0.0.0:7351=echo?wildcard=kernel",
  ]);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  assert.match(
    out.stdout,
    /^note: udp-wildcard\n {2}udp:\/\/0\.0\.0\.0:7350=echo \(argument 3 after check\)\n {2}why: udp:\/\/0\.0\.0\.0:7350=echo binds one UDP socket per IPv4 address this host lists: .*It leaves 127\.0\.0\.1 to udp:\/\/127\.0\.0\.1:7350=whoami, which names it on the same port\. Other 127\.x addresses are local too but not listed, so 127\.0\.0\.2 gets no answer\./m,
  );
  assert.match(
    out.stdout,
    /^note: udp-wildcard\n {2}udp:\/\/0\.0\.0\.0:7351=echo\?wildcard=kernel \(argument 7 after check\)\n {2}why: .*each reply leaves from an address the kernel picks.*Deno does not expose IP_PKTINFO/m,
  );
});

Deno.test("muxd serve rejects ?wildcard on TCP and on an address that is not a wildcard, in one line each", async () => {
  const out = await runMuxd([
    "serve",
    "--public",
    "-l",
    "tcp://0.0.0.0:0=echo?wildcard=kernel",
    "-l",
    "udp://127.0.0.1:0=echo?wildcard=per-address",
  ]);
  assert.equal(out.code, 2);
  assert.equal(
    out.stderr,
    'muxd: Cannot use listen spec "tcp://0.0.0.0:0=echo?wildcard=kernel" (argument 3 after serve): option ' +
      "wildcard is for UDP only: a TCP connection always knows its local address\n" +
      'muxd: Cannot use listen spec "udp://127.0.0.1:0=echo?wildcard=per-address" (argument 5 after serve): ' +
      "option wildcard applies only to a wildcard address (0.0.0.0 or [::])\n",
  );
});
