/**
 * A real second host: two network namespaces joined by a veth pair, with
 * addresses from the documentation range 198.51.100.0/24, reproduce the
 * classic experiment of binding to an interface address versus loopback
 * versus the wildcard.
 */

import assert from "node:assert/strict";
import {
  MAIN,
  runMuxdExpectingFailure,
  SERVE_PERMISSIONS,
  startMuxd,
} from "../_support/process.ts";
import { withTimeout } from "../_support/wait.ts";
import { CLIENT_ADDRESS, namespaceProblem, SERVER_ADDRESS, TwoHosts } from "./_two_hosts.ts";

const problem = await namespaceProblem("netns");
if (problem) console.log(`netns tests ignored: ${problem}`);

Deno.test({
  name: "muxd serve on a veth address is reached from another host, not from its own loopback, " +
    "and a wildcard bind on that port is explained with its holder",
  ignore: problem !== null,
  async fn() {
    await using hosts = await TwoHosts.create("netns");
    {
      const port = 7400 + Math.floor(Math.random() * 500);
      await using onVeth = await startMuxd(
        ["serve", "--public", "-l", `tcp://${SERVER_ADDRESS}:${port}=whoami`],
        hosts.muxdOnServer,
      );
      // From the other host, the veth address answers, naming both ends.
      const fromClient = await hosts.run(hosts.client, "nc", [
        "-d",
        "-w",
        "5",
        SERVER_ADDRESS,
        `${port}`,
      ]);
      assert.equal(fromClient.code, 0, fromClient.stderr);
      assert.match(
        fromClient.text,
        new RegExp(`^local: ${SERVER_ADDRESS.replaceAll(".", "\\.")}:${port}$`, "m"),
      );
      assert.match(
        fromClient.text,
        new RegExp(`^remote: ${CLIENT_ADDRESS.replaceAll(".", "\\.")}:\\d+$`, "m"),
      );

      // Inside the server's own host, 127.0.0.1 on that port is another socket name: refused.
      const loop = await hosts.run(hosts.server, "nc", ["-z", "-w", "2", "127.0.0.1", `${port}`]);
      assert.notEqual(loop.code, 0, "127.0.0.1 answered though nothing is bound there");

      // A second muxd on 127.0.0.1 with the same port works alongside.
      await using onLoopback = await startMuxd(
        ["serve", "-l", `tcp://127.0.0.1:${port}=echo`],
        hosts.muxdOnServer,
      );
      const echo = await hosts.run(
        hosts.server,
        "nc",
        ["-N", "-w", "5", "127.0.0.1", `${port}`],
        "hello\n",
      );
      assert.equal(echo.text, "hello\n");
      const still = await hosts.run(hosts.client, "nc", [
        "-d",
        "-w",
        "5",
        SERVER_ADDRESS,
        `${port}`,
      ]);
      assert.match(still.text, /^service: whoami$/m);

      // The wildcard on that port conflicts with both, and the failure names a holder.
      const wildcard = await runMuxdExpectingFailure(
        ["serve", "--public", "-l", `tcp://0.0.0.0:${port}=echo`],
        hosts.muxdOnServer,
      );
      assert.equal(wildcard.code, 1);
      assert.match(wildcard.stderr, /address already in use/);
      const holders = [onVeth.ready.pid, onLoopback.ready.pid];
      assert.ok(
        holders.some((pid) => wildcard.stderr.includes(`${pid}`)),
        `the explanation names neither holder (pids ${holders.join(", ")}):\n${wildcard.stderr}`,
      );
      await onLoopback.stop();
      await onVeth.stop();
    }
  },
});

Deno.test({
  name:
    "TwoHosts.run() passes 1 MiB through a program that answers as it reads, without a deadlock",
  ignore: problem !== null,
  async fn() {
    await using hosts = await TwoHosts.create("netns");
    const input = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
    const big = await withTimeout(
      hosts.run(hosts.client, "cat", [], input),
      20_000,
      "cat of 1 MiB",
    );
    assert.equal(big.code, 0, big.stderr);
    assert.deepEqual(big.stdout, input);
  },
});

Deno.test({
  name: "muxd check and serve in a new network namespace, whose lo is down, say that lo is down " +
    "and how to bring it up",
  ignore: problem !== null,
  async fn() {
    // A namespace of its own with lo left as new (down, without 127.0.0.1), and one address
    // on a veth pair: with any address there, the kernel refuses to bind 127.0.0.1.
    const ns = `muxd-lo-${Deno.pid % 100000}`;
    const made = await new Deno.Command("ip", { args: ["netns", "add", ns] }).output();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    try {
      for (
        const step of [
          ["-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
          ["-n", ns, "addr", "add", "198.51.100.1/24", "dev", "v0"],
        ]
      ) {
        const r = await new Deno.Command("ip", { args: step }).output();
        assert.ok(r.success, `ip ${step.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
      }
      const muxd = ["netns", "exec", ns, "deno", "run", ...SERVE_PERMISSIONS, MAIN];
      const spec = "tcp://127.0.0.1:30401=whoami";
      const fix = "The loopback interface lo is down, so no 127.x address is on it (a new " +
        "network namespace starts with lo down): sudo ip link set lo up";

      const checked = await new Deno.Command("ip", {
        args: [...muxd, "check", "-l", spec],
        env: { NO_COLOR: "1" },
      }).output();
      const check = new TextDecoder().decode(checked.stdout);
      assert.equal(checked.code, 1, check);
      assert.match(check, /^error: address-not-local$/m);
      assert.ok(check.includes(`fix: ${fix}`), check);

      const serve = await runMuxdExpectingFailure(["serve", "-l", spec], {
        program: "ip",
        args: muxd,
      });
      assert.equal(serve.code, 1, serve.stderr);
      assert.ok(
        serve.stderr.includes(`cannot bind tcp 127.0.0.1:30401 (${spec}): address not available`) &&
          serve.stderr.includes(`Fix: ${fix}`),
        serve.stderr,
      );
      // It said "a loopback address such as 127.0.0.1" of 127.0.0.1 itself.
      assert.doesNotMatch(serve.stderr, /such as 127\.0\.0\.1/);
    } finally {
      await new Deno.Command("ip", { args: ["netns", "del", ns] }).output();
    }
  },
});

Deno.test({
  name:
    "docs/lessons.md lesson 3: loopback, a veth address and the wildcard each answer where their names say, and a UDP reply to another host waits for amplification=30",
  ignore: problem !== null,
  async fn() {
    await using hosts = await TwoHosts.create("lesson");
    const specs = (udp: string) => [
      "-l",
      "tcp://127.0.0.1:30001=whoami",
      "-l",
      `tcp://${SERVER_ADDRESS}:30002=whoami`,
      "-l",
      "tcp://0.0.0.0:30003=whoami",
      "-l",
      udp,
    ];
    const refused = await runMuxdExpectingFailure(
      ["serve", ...specs("udp://0.0.0.0:30003=whoami")],
      hosts.muxdOnServer,
    );
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /198\.51\.100\.1 is not a loopback address/);
    assert.match(refused.stderr, /0\.0\.0\.0 is the wildcard/);

    {
      await using muxd = await startMuxd(
        ["serve", "--public", ...specs("udp://0.0.0.0:30003=whoami")],
        hosts.muxdOnServer,
      );
      const pid = muxd.ready.pid;
      const who = async (ns: string, address: string, port: number) =>
        await hosts.run(ns, "nc", ["-d", "-w", "5", address, `${port}`]);
      const local = (text: string) => text.match(/^local: (.*)$/m)?.[1];

      const veth = await who(hosts.client, SERVER_ADDRESS, 30002);
      assert.equal(local(veth.text), `${SERVER_ADDRESS}:30002`, veth.text);
      assert.match(
        veth.text,
        new RegExp(`^remote: ${CLIENT_ADDRESS.replaceAll(".", "\\.")}:\\d+$`, "m"),
      );
      assert.match(veth.text, new RegExp(`^process: ${pid}$`, "m"));
      const wildcard = await who(hosts.client, SERVER_ADDRESS, 30003);
      assert.equal(local(wildcard.text), `${SERVER_ADDRESS}:30003`, wildcard.text);
      assert.match(wildcard.text, /^listener: tcp:\/\/0\.0\.0\.0:30003=whoami$/m);
      assert.notEqual((await who(hosts.client, SERVER_ADDRESS, 30001)).code, 0);

      assert.equal(local((await who(hosts.server, "127.0.0.1", 30001)).text), "127.0.0.1:30001");
      assert.notEqual((await who(hosts.server, "127.0.0.1", 30002)).code, 0);
      const inside = await who(hosts.server, "127.0.0.1", 30003);
      assert.equal(local(inside.text), "127.0.0.1:30003", inside.text);
      assert.match(inside.text, /^listener: tcp:\/\/0\.0\.0\.0:30003=whoami$/m);

      // The kernel's view: one TCP wildcard socket, and the UDP wildcard as one socket per address.
      const tcp = await hosts.run(hosts.server, "ss", ["-Htlnp"]);
      const udp = await hosts.run(hosts.server, "ss", ["-Hulnp"]);
      const names = (text: string) =>
        text.split("\n").filter((l) => l.includes(`pid=${pid},`)).map((l) => l.split(/\s+/)[3])
          .sort();
      assert.deepEqual(names(tcp.text), [
        "0.0.0.0:30003",
        "127.0.0.1:30001",
        `${SERVER_ADDRESS}:30002`,
      ]);
      assert.deepEqual(names(udp.text), ["127.0.0.1:30003", `${SERVER_ADDRESS}:30003`]);

      // A UDP reply to the other host is 141 bytes for 6: the amplification guard holds it back.
      const udpArgs = ["-u", "-w", "1", SERVER_ADDRESS, "30003"];
      const guarded = await hosts.run(hosts.client, "nc", udpArgs, "hello\n");
      assert.equal(guarded.text, "");
      const loopback = await hosts.run(
        hosts.server,
        "nc",
        ["-u", "-w", "1", "127.0.0.1", "30003"],
        "hello\n",
      );
      assert.match(loopback.text, /^local: 127\.0\.0\.1:30003$/m);
      const { stderr } = await muxd.stop("SIGTERM");
      assert.match(
        stderr,
        /WRN udp 198\.51\.100\.1:30003 <- 198\.51\.100\.2:\d+ no reply from whoami \(amplification\)/,
      );
    }
    await using allowed = await startMuxd(
      ["serve", "--public", ...specs("udp://0.0.0.0:30003=whoami?amplification=30")],
      hosts.muxdOnServer,
    );
    const reply = await hosts.run(
      hosts.client,
      "nc",
      ["-u", "-w", "1", SERVER_ADDRESS, "30003"],
      "hello\n",
    );
    assert.match(reply.text, /^local: 198\.51\.100\.1:30003$/m);
    assert.match(reply.text, new RegExp(`^process: ${allowed.ready.pid}$`, "m"));
  },
});

Deno.test({
  name: "muxd check lists the host's interfaces with an escape code in a name escaped, so the " +
    "name cannot clear the terminal",
  ignore: problem !== null,
  async fn() {
    await using hosts = await TwoHosts.create("ifname");
    // Linux lets root name an interface with any byte but "/", ":" and white space.
    const hostile = "ev\x1b[2J0";
    for (
      const step of [
        ["-n", hosts.server, "link", "set", "dev", hosts.serverLink, "down"],
        ["-n", hosts.server, "link", "set", "dev", hosts.serverLink, "name", hostile],
      ]
    ) {
      const r = await new Deno.Command("ip", { args: step, stderr: "piped" }).output();
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    }
    const typo = await runMuxdExpectingFailure(
      ["check", "-l", "tcp://eth9:7400=echo"],
      hosts.muxdOnServer,
    );
    assert.equal(typo.code, 2, typo.stderr);
    assert.ok(!typo.stderr.includes("\x1b"), JSON.stringify(typo.stderr));
    assert.match(typo.stderr, /whose interfaces are lo, ev\\x1b\[2J0$/m);
  },
});
