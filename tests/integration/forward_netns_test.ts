/**
 * `forward` to an upstream on another host: two network namespaces of the
 * test's own, joined by a veth pair with documentation addresses
 * (198.51.100.0/24). muxd serves on its host's loopback and relays to an
 * upstream at 198.51.100.2 in the other namespace (which needs `--public`),
 * and real netcat and a Python client on muxd's host check TCP byte-exact
 * both ways with half-closes, and UDP datagram boundaries. No traffic
 * leaves the two namespaces.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startMuxd } from "../_support/process.ts";
import { eventsOf, logEvents } from "../_support/log.ts";
import { seededRandom } from "../_support/random.ts";
import {
  CLIENT_ADDRESS,
  namespaceProblem,
  runInNamespace,
  SERVER_ADDRESS,
  TwoHosts,
} from "./_two_hosts.ts";

const problem = await namespaceProblem("fwd");
if (problem) console.log(`forward netns tests ignored: ${problem}`);

/** muxd's host (the TwoHosts server) and the upstream's (the TwoHosts client). */
const MUXD_ADDRESS = SERVER_ADDRESS;
const UPSTREAM_ADDRESS = CLIENT_ADDRESS;

const UPSTREAM_SCRIPT = new URL("./_netns_upstream.py", import.meta.url).pathname;
const CLIENT_SCRIPT = new URL("./_relay_client.py", import.meta.url).pathname;

/** The upstream's ports at UPSTREAM_ADDRESS. */
interface UpstreamPorts {
  readonly echo: number;
  readonly greeter: number;
  readonly udp: number;
}

/**
 * Runs `_netns_upstream.py` inside `ns`; dispose of it to stop it. `lines()`
 * gives what the greeter printed so far.
 */
async function upstreamIn(ns: string) {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, "python3", UPSTREAM_SCRIPT, UPSTREAM_ADDRESS],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const nl = text.indexOf("\n");
      if (nl >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        return line;
      }
      const { value, done } = await lines.read();
      if (done) throw new Error(`the upstream ended its output; so far: ${text}`);
      text += value;
    }
  };
  const ports = JSON.parse(await nextLine()) as UpstreamPorts;
  return {
    ports,
    nextLine,
    async [Symbol.asyncDispose]() {
      await child.stdin.close();
      await lines.cancel();
      await child.status;
    },
  };
}

/** Random bytes from a seed. */
function bytesOf(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length }, () => random.int(0, 255));
}

/** Tells whether two byte arrays hold the same bytes. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** One datagram as `_relay_client.py udp` reports it. */
interface Datagram {
  readonly size: number;
  readonly sha256: string;
}

Deno.test({
  name: "forward relays TCP and UDP byte-exact and boundary-exact from muxd's loopback to an " +
    "upstream in a network namespace of the test's own, from muxd's veth address",
  ignore: problem !== null,
  async fn() {
    await using hosts = await TwoHosts.create("fwd");
    await using up = await upstreamIn(hosts.client);
    const { echo, greeter, udp } = up.ports;
    await using muxd = await startMuxd([
      "serve",
      "--public",
      "--log-format",
      "json",
      "-l",
      `tcp://127.0.0.1:0=forward?to=${UPSTREAM_ADDRESS}:${echo}`,
      "-l",
      `tcp://127.0.0.1:0=forward?to=${UPSTREAM_ADDRESS}:${greeter}`,
      "-l",
      `udp://127.0.0.1:0=forward?to=${UPSTREAM_ADDRESS}:${udp}`,
    ], hosts.muxdOnServer);
    const [echoPort, greeterPort, udpPort] = [0, 1, 2].map((i) => muxd.port(i));
    const onMuxdHost = (program: string, args: string[], input: string | Uint8Array = "") =>
      runInNamespace(hosts.server, program, args, input);

    // TCP with real netcat: its end of stream reaches the upstream, which echoes to the end
    // and half-closes in turn, so netcat gets every byte back and then its end of stream.
    for (const [i, size] of [0, 1, 65_543, 2_000_003].entries()) {
      const sent = bytesOf(size, i + 1);
      const r = await onMuxdHost("nc", ["-N", "-w", "10", "127.0.0.1", `${echoPort}`], sent);
      assert.equal(r.code, 0, `nc for ${size} B: ${r.stderr}`);
      assert.ok(same(r.stdout, sent), `netcat's ${size} B came back as ${r.stdout.length} B`);
    }
    // The same with a Python client.
    const sent = bytesOf(1_048_583, 99);
    const py = await onMuxdHost(
      "python3",
      [CLIENT_SCRIPT, "tcp", "127.0.0.1", `${echoPort}`],
      sent,
    );
    assert.equal(py.code, 0, py.stderr);
    assert.ok(same(py.stdout, sent), `Python's 1 MB came back as ${py.stdout.length} B`);

    // The upstream's half-close reaches the client, which still sends on its open side.
    const greeted = await onMuxdHost(
      "python3",
      [CLIENT_SCRIPT, "tcp-read-first", "127.0.0.1", `${greeterPort}`],
      "still here\n",
    );
    assert.equal(greeted.code, 0, greeted.stderr);
    assert.equal(greeted.text, "hello from the namespace\n");
    assert.deepEqual(JSON.parse(await up.nextLine()), { heard: "still here\n" });

    // UDP with real netcat: one datagram, back as itself.
    const nc = await onMuxdHost("nc", ["-u", "-w", "2", "127.0.0.1", `${udpPort}`], "hello\n");
    assert.equal(nc.text, "hello\n");
    // Datagrams of distinct sizes, sent back to back from one client: each comes back whole,
    // as itself (some need several IP fragments on the veth's 1500-byte MTU).
    const sizes = [1, 2, 3, 100, 512, 1472, 1473, 4096, 9000, 20_000];
    const burst = await onMuxdHost("python3", [
      CLIENT_SCRIPT,
      "udp",
      "127.0.0.1",
      `${udpPort}`,
      ...sizes.map(String),
    ]);
    assert.equal(burst.code, 0, burst.stderr);
    const { sent: out, back } = JSON.parse(burst.text) as { sent: Datagram[]; back: Datagram[] };
    const key = (d: Datagram) => `${d.size} ${d.sha256}`;
    assert.deepEqual(back.map(key).sort(), out.map(key).sort());
    // The largest a UDP datagram can be, alone.
    const largest = await onMuxdHost("python3", [
      CLIENT_SCRIPT,
      "udp",
      "127.0.0.1",
      `${udpPort}`,
      "65507",
    ]);
    const one = JSON.parse(largest.text) as { sent: Datagram[]; back: Datagram[] };
    assert.deepEqual(one.back, one.sent);

    await muxd.stop();
    const events = logEvents(muxd.stderr());
    // Every upstream leg leaves from muxd's veth address, to the upstream's.
    const connected = eventsOf(events, "upstream-connected");
    assert.equal(connected.filter((e) => e.transport === "tcp").length, 6);
    assert.ok(connected.some((e) => e.transport === "udp"), "no UDP session");
    for (const e of connected) {
      assert.equal(e.from.address, MUXD_ADDRESS, JSON.stringify(e));
      assert.equal(e.upstream.address, UPSTREAM_ADDRESS, JSON.stringify(e));
      assert.equal(e.local.address, "127.0.0.1", JSON.stringify(e));
    }
    const closed = eventsOf(events, "connection-closed");
    assert.ok(closed.every((e) => e.reason === "done"), JSON.stringify(closed));
    const sessions = eventsOf(events, "session-closed");
    assert.equal(
      sessions.reduce((n, s) => n + s.datagramsIn, 0),
      1 + sizes.length + 1,
      JSON.stringify(sessions),
    );
    assert.equal(
      sessions.reduce((n, s) => n + s.datagramsOut, 0),
      1 + sizes.length + 1,
      JSON.stringify(sessions),
    );
  },
});
