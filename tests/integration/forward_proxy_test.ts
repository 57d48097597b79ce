/**
 * `forward?proxy=v1|v2` end to end: the PROXY protocol header muxd sends
 * its upstream, read by two receivers muxd's code had no hand in: a Python
 * upstream that parses it as the spec says (and echoes what follows), and
 * HAProxy itself, whose `accept-proxy` answers with the client it learned.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readToEnd, writeAll } from "../_support/socket.ts";
import {
  assertNoStackTrace,
  runMuxdExpectingFailure,
  serveJson,
  startMuxd,
  startMuxdOnFreePort,
} from "../_support/process.ts";
import { eventsOf, logEvents } from "../_support/log.ts";
import { nc } from "../_support/netcat.ts";
import { freePort } from "../_support/socket.ts";
import { seededRandom } from "../_support/random.ts";
import { sleep, withTimeout } from "../_support/wait.ts";
import type { ProxyVersion } from "../../lib/services/proxy_header.ts";

const VERSIONS: readonly ProxyVersion[] = ["v1", "v2"];
const HOSTS = ["127.0.0.1", "::1"] as const;

/** What the Python upstream read from a header. */
interface ParsedHeader {
  readonly version: ProxyVersion;
  readonly family: "TCP4" | "TCP6";
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly headerBytes: number;
}

/** The Python upstream of `_proxy_upstream.py`, on 127.0.0.1; dispose of it to stop it. */
async function pythonUpstream() {
  const child = new Deno.Command("python3", {
    args: [new URL("./_proxy_upstream.py", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  const port = Number(new TextDecoder().decode(value).trim());
  return {
    port,
    async [Symbol.asyncDispose]() {
      await child.stdin.close();
      await reader.cancel();
      await child.status;
    },
  };
}

/** Random bytes from a seed: the client's payload, which must follow the header untouched. */
function bytesOf(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length }, () => random.int(0, 255));
}

/** `[::1]` for an IPv6 address in a listen spec, the address itself otherwise. */
const bracketed = (host: string) => host.includes(":") ? `[${host}]` : host;

Deno.test("forward?proxy=v1 and v2 give a Python upstream the client's socket name and the listener's, then the client's bytes, over IPv4 and IPv6", async () => {
  await using up = await pythonUpstream();
  const specs = HOSTS.flatMap((host) =>
    VERSIONS.map((v) => `tcp://${bracketed(host)}:0=forward?to=127.0.0.1:${up.port}&proxy=${v}`)
  );
  await using muxd = await startMuxd(serveJson(...specs));
  const payload = bytesOf(300_007, 11);
  for (const [i, host] of HOSTS.flatMap((h) => VERSIONS.map(() => h)).entries()) {
    const version = VERSIONS[i % 2];
    const what = `${version} on ${host}`;
    using client = await Deno.connect({ hostname: host, port: muxd.port(i) });
    const [, back] = await Promise.all([
      writeAll(client, payload).then(() => client.closeWrite()),
      withTimeout(readToEnd(client), 10_000, `the echo of ${what}`),
    ]);
    const newline = back.indexOf(0x0a);
    const parsed = JSON.parse(new TextDecoder().decode(back.subarray(0, newline)));
    const family = host === "::1" ? "TCP6" : "TCP4";
    const expected: ParsedHeader = {
      version,
      family,
      source: client.localAddr.hostname,
      destination: host,
      sourcePort: client.localAddr.port,
      destinationPort: muxd.port(i),
      headerBytes: version === "v2" ? (family === "TCP4" ? 28 : 52) : (
        `PROXY ${family} ${client.localAddr.hostname} ${host} ` +
        `${client.localAddr.port} ${muxd.port(i)}\r\n`
      ).length,
    };
    assert.deepEqual(parsed, expected, what);
    const rest = back.subarray(newline + 1);
    assert.equal(rest.length, payload.length, `bytes after the header for ${what}`);
    assert.ok(rest.every((b, j) => b === payload[j]), `the same bytes after the header, ${what}`);
  }
  await muxd.stop();
  const connected = eventsOf(logEvents(muxd.stderr()), "upstream-connected");
  assert.deepEqual(connected.map((e) => e.proxy).sort(), ["v1", "v1", "v2", "v2"]);
  const closed = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.ok(closed.every((e) => e.reason === "done" && e.bytesIn === payload.length));
});

Deno.test("forward?proxy=v2 names its header in the upstream-connected log line", async () => {
  await using up = await pythonUpstream();
  await using muxd = await startMuxd([
    "serve",
    "-l",
    `tcp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}&proxy=v2`,
  ]);
  using client = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  await client.closeWrite();
  await withTimeout(readToEnd(client), 5000, "the upstream's answer");
  await muxd.waitForStderr(
    new RegExp(
      `tcp 127\\.0\\.0\\.1:${muxd.port(0)} <- 127\\.0\\.0\\.1:${client.localAddr.port} -> ` +
        `forward -> 127\\.0\\.0\\.1:${up.port} \\(from 127\\.0\\.0\\.1:\\d+, sent PROXY v2\\)`,
    ),
  );
});

Deno.test("forward?proxy=v1 and v2 through muxd's own echo show netcat the header before its bytes", async () => {
  const { muxd } = await startMuxdOnFreePort((p) =>
    serveJson(
      `tcp://127.0.0.1:${p}=echo`,
      `tcp://127.0.0.1:0=forward?to=127.0.0.1:${p}&proxy=v1`,
      `tcp://127.0.0.1:0=forward?to=127.0.0.1:${p}&proxy=v2`,
    )
  );
  await using _muxd = muxd;
  const v1 = await nc(["-N", "127.0.0.1", `${muxd.port(1)}`], "hello\n");
  assert.match(
    v1.text,
    new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${muxd.port(1)}\r\nhello\n$`),
  );
  const v2 = await nc(["-N", "127.0.0.1", `${muxd.port(2)}`], "hello\n");
  assert.equal(v2.stdout.length, 28 + 6);
  assert.deepEqual(
    [...v2.stdout.subarray(0, 20)],
    [
      0x0d,
      0x0a,
      0x0d,
      0x0a,
      0x00,
      0x0d,
      0x0a,
      0x51,
      0x55,
      0x49,
      0x54,
      0x0a,
      0x21,
      0x11,
      0,
      12,
      127,
      0,
      0,
      1,
    ],
  );
  // Source port at byte 24, destination port (the listener's) at 26.
  const listenerPort = new DataView(v2.stdout.buffer, v2.stdout.byteOffset).getUint16(26);
  assert.equal(listenerPort, muxd.port(2));
  assert.equal(new TextDecoder().decode(v2.stdout.subarray(28)), "hello\n");
});

Deno.test("muxd serve refuses proxy= on a UDP forward, in one line naming the option and why", async () => {
  const result = await runMuxdExpectingFailure([
    "serve",
    "-l",
    "udp://127.0.0.1:0=forward?to=127.0.0.1:53&proxy=v2",
  ]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `muxd: Cannot use listen spec "udp://127.0.0.1:0=forward?proxy=v2&to=127.0.0.1:53" ` +
      `(argument 2 after serve): option proxy applies to TCP listeners only (the PROXY protocol does not ` +
      `say where its header goes in a flow of datagrams, and one before each would push the ` +
      `largest (65,507 B) past what UDP carries), and this one is UDP; remove it\n`,
  );
  assertNoStackTrace(result);
});

Deno.test("muxd serve refuses proxy=v3 on a forward, naming the values it takes", async () => {
  const result = await runMuxdExpectingFailure([
    "serve",
    "-l",
    "tcp://127.0.0.1:0=forward?to=127.0.0.1:80&proxy=v3",
  ]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `muxd: Cannot use listen spec "tcp://127.0.0.1:0=forward?proxy=v3&to=127.0.0.1:80" ` +
      `(argument 2 after serve): option proxy: must be "none", "v1" or "v2", not "v3"\n`,
  );
  assertNoStackTrace(result);
});

// HAProxy, as Debian installs it: the reference receiver of the protocol.
const HAPROXY = "/usr/sbin/haproxy";
const haproxyProblem = await Deno.stat(HAPROXY).then(
  () => null,
  (error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return `${HAPROXY} is not installed (Debian's haproxy package)`;
  },
);
if (haproxyProblem) console.log(`HAProxy test ignored: ${haproxyProblem}`);

/**
 * HAProxy on 127.0.0.1 with `accept-proxy`, answering every HTTP request
 * with the client and destination it took from the PROXY header: a header
 * it rejects closes the connection without an answer.
 */
async function haproxy() {
  const port = freePort();
  const config = await Deno.makeTempFile({ prefix: "muxd-haproxy-", suffix: ".cfg" });
  await Deno.writeTextFile(
    config,
    [
      "defaults",
      "  mode http",
      "  timeout connect 5s",
      "  timeout client 5s",
      "  timeout server 5s",
      "frontend from_muxd",
      `  bind 127.0.0.1:${port} accept-proxy`,
      '  http-request return status 200 content-type text/plain lf-string "%[src] %[src_port] %[dst] %[dst_port]\\n"',
      "",
    ].join("\n"),
  );
  const child = new Deno.Command(HAPROXY, {
    args: ["-db", "-f", config],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // it had exited
    }
    const out = await output;
    await Deno.remove(config);
    return new TextDecoder().decode(out.stderr);
  };
  // Ready once it accepts: at most 100 tries, 50 ms apart.
  for (let attempt = 0;; attempt++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused) || attempt >= 100) {
        throw new Error(`HAProxy did not start on port ${port}:\n${await stop()}`);
      }
      await sleep(50);
    }
  }
  return { port, stop, [Symbol.asyncDispose]: async () => void await stop() };
}

Deno.test({
  name: "forward?proxy=v1 and v2 give HAProxy's accept-proxy a header it takes, and it sees the " +
    "client's socket name and the listener's, over IPv4 and IPv6",
  ignore: haproxyProblem !== null,
  async fn() {
    await using hp = await haproxy();
    const specs = HOSTS.flatMap((host) =>
      VERSIONS.map((v) => `tcp://${bracketed(host)}:0=forward?to=127.0.0.1:${hp.port}&proxy=${v}`)
    );
    await using muxd = await startMuxd(serveJson(...specs));
    for (const [i, host] of HOSTS.flatMap((h) => VERSIONS.map(() => h)).entries()) {
      const what = `${VERSIONS[i % 2]} on ${host}`;
      using client = await Deno.connect({ hostname: host, port: muxd.port(i) });
      await writeAll(client, new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
      const answer = new TextDecoder().decode(
        await withTimeout(readToEnd(client), 10_000, `HAProxy's answer to ${what}`),
      );
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/, `HAProxy refused the header of ${what}`);
      const body = answer.slice(answer.indexOf("\r\n\r\n") + 4);
      assert.equal(
        body,
        `${client.localAddr.hostname} ${client.localAddr.port} ${host} ${muxd.port(i)}\n`,
        what,
      );
    }
  },
});
