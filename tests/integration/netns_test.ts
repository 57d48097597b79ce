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
