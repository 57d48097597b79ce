/**
 * A real second host: two network namespaces joined by a veth pair, with
 * addresses from the documentation range 198.51.100.0/24, reproduce the
 * classic experiment of binding to an interface address versus loopback
 * versus the wildcard.
 */

import assert from "node:assert/strict";
import { MAIN, runMuxdExpectingFailure, SERVE_PERMISSIONS, startMuxd } from "./muxd_process.ts";

const SERVER_ADDRESS = "198.51.100.1";
const CLIENT_ADDRESS = "198.51.100.2";
const tag = `${Deno.pid % 100000}`;
const SERVER_NS = `muxd-srv-${tag}`;
const CLIENT_NS = `muxd-cli-${tag}`;

async function ip(...args: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  return { ok: r.success, out: text };
}

/** Why namespaces cannot be made here, or `null` when they can. */
async function namespaceProblem(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "network namespaces are Linux-only";
  if (Deno.uid() !== 0) return "creating network namespaces needs root";
  try {
    const probe = `muxd-probe-${tag}`;
    const made = await ip("netns", "add", probe);
    if (!made.ok) return `ip netns add failed: ${made.out.trim()}`;
    await ip("netns", "del", probe);
    return null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "the ip tool (iproute2) is not installed";
    throw error;
  }
}

const problem = await namespaceProblem();
if (problem) console.log(`netns tests ignored: ${problem}`);

/** Runs a command inside a namespace; returns its output and exit code. */
async function inNamespace(ns: string, program: string, args: string[], input = "") {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, program, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

async function setUp(): Promise<void> {
  const veth = `mx${tag}`;
  const steps: string[][] = [
    ["netns", "add", SERVER_NS],
    ["netns", "add", CLIENT_NS],
    ["link", "add", `${veth}s`, "type", "veth", "peer", "name", `${veth}c`],
    ["link", "set", `${veth}s`, "netns", SERVER_NS],
    ["link", "set", `${veth}c`, "netns", CLIENT_NS],
    ["-n", SERVER_NS, "addr", "add", `${SERVER_ADDRESS}/24`, "dev", `${veth}s`],
    ["-n", CLIENT_NS, "addr", "add", `${CLIENT_ADDRESS}/24`, "dev", `${veth}c`],
    ["-n", SERVER_NS, "link", "set", "lo", "up"],
    ["-n", CLIENT_NS, "link", "set", "lo", "up"],
    ["-n", SERVER_NS, "link", "set", `${veth}s`, "up"],
    ["-n", CLIENT_NS, "link", "set", `${veth}c`, "up"],
  ];
  for (const step of steps) {
    const r = await ip(...step);
    if (!r.ok) throw new Error(`ip ${step.join(" ")} failed: ${r.out}`);
  }
}

async function tearDown(): Promise<void> {
  // Deleting a namespace also deletes the veth end inside it, and with it the pair.
  await ip("netns", "del", SERVER_NS);
  await ip("netns", "del", CLIENT_NS);
}

/** muxd started inside the server's namespace, as `deno task serve` would run it there. */
const inServer = {
  program: "ip",
  args: ["netns", "exec", SERVER_NS, "deno", "run", ...SERVE_PERMISSIONS, MAIN],
};

Deno.test({
  name: "muxd serve on a veth address is reached from another host, not from its own loopback, " +
    "and a wildcard bind on that port is explained with its holder",
  ignore: problem !== null,
  async fn() {
    await setUp();
    try {
      const port = 7400 + Math.floor(Math.random() * 500);
      await using onVeth = await startMuxd(
        ["serve", "--public", "-l", `tcp://${SERVER_ADDRESS}:${port}=whoami`],
        inServer,
      );
      // From the other host, the veth address answers, naming both ends.
      const fromClient = await inNamespace(CLIENT_NS, "nc", [
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
      const loop = await inNamespace(SERVER_NS, "nc", ["-z", "-w", "2", "127.0.0.1", `${port}`]);
      assert.notEqual(loop.code, 0, "127.0.0.1 answered though nothing is bound there");

      // A second muxd on 127.0.0.1 with the same port works alongside.
      await using onLoopback = await startMuxd(
        ["serve", "-l", `tcp://127.0.0.1:${port}=echo`],
        inServer,
      );
      const echo = await inNamespace(
        SERVER_NS,
        "nc",
        ["-N", "-w", "5", "127.0.0.1", `${port}`],
        "hello\n",
      );
      assert.equal(echo.text, "hello\n");
      const still = await inNamespace(CLIENT_NS, "nc", [
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
        inServer,
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
    } finally {
      await tearDown();
    }
  },
});
