/**
 * `forward` over TCP, end to end: muxd as users run it, real netcat as the
 * client, and real upstreams (a Deno server in this test, and muxd's own
 * echo on another port).
 *
 * @module
 */

import assert from "node:assert/strict";
import { silentUpstream } from "../_support/silent_upstream.ts";
import { freePort, readToEnd, writeAll } from "../_support/socket.ts";
import {
  assertNoStackTrace,
  runMuxdExpectingFailure,
  serveJson,
  startMuxd,
  startMuxdOnFreePort,
} from "../_support/process.ts";
import { eventsOf, logEvents } from "../_support/log.ts";
import { nc } from "../_support/netcat.ts";
import { seededRandom } from "../_support/random.ts";
import { withTimeout } from "../_support/wait.ts";

/** An upstream on loopback, port 0, that runs `serve` on each connection; the test closes it. */
function upstream(serve: (conn: Deno.TcpConn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served: Promise<void>[] = [];
  const remotes: Deno.NetAddr[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      remotes.push(conn.remoteAddr);
      served.push(serve(conn).finally(() => conn.close()));
    }
  })();
  return {
    port: listener.addr.port,
    remotes,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.allSettled(served);
    },
  };
}

/** Echoes every byte back, then half-closes at the client's end of stream. */
async function echo(conn: Deno.TcpConn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  for (let n; (n = await conn.read(buffer)) !== null;) await writeAll(conn, buffer.subarray(0, n));
  await conn.closeWrite();
}

/** Random bytes from a seed, any length (crypto.getRandomValues takes 64 KiB at most). */
function bytesOf(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = random.int(0, 255);
  return out;
}

const SIZES = [0, 1, 1023, 65_543, 1_048_576, 3_000_017];

Deno.test("forward relays netcat's bytes to a Deno echo upstream and back, byte-exact, up to 3 MB", async () => {
  await using up = upstream(echo);
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}`),
  );
  for (const [i, size] of SIZES.entries()) {
    const sent = bytesOf(size, i + 1);
    const { stdout, code } = await nc(["-N", "127.0.0.1", `${muxd.port(0)}`], sent);
    assert.equal(code, 0, `nc for ${size} B`);
    assert.equal(stdout.length, size, `bytes back for ${size} B`);
    assert.ok(stdout.every((b, j) => b === sent[j]), `the same bytes for ${size} B`);
  }
  await muxd.stop();
  const closed = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.deepEqual(closed.map((e) => e.bytesIn), SIZES);
  assert.deepEqual(closed.map((e) => e.bytesOut), SIZES);
  assert.ok(closed.every((e) => e.reason === "done"), JSON.stringify(closed));
});

Deno.test("forward relays to muxd's own echo on another port, byte-exact, 2 MB", async () => {
  const { muxd, port } = await startMuxdOnFreePort((p) =>
    serveJson(`tcp://127.0.0.1:${p}=echo`, `tcp://127.0.0.1:0=forward?to=127.0.0.1:${p}`)
  );
  await using _muxd = muxd;
  const sent = bytesOf(2_000_003, 7);
  const { stdout } = await nc(["-N", "127.0.0.1", `${muxd.port(1)}`], sent);
  assert.equal(stdout.length, sent.length);
  assert.ok(stdout.every((b, j) => b === sent[j]));
  await muxd.stop();
  const connected = eventsOf(logEvents(muxd.stderr()), "upstream-connected");
  assert.equal(connected.length, 1);
  assert.deepEqual(connected[0].upstream, { address: "127.0.0.1", port });
});

Deno.test("forward passes the client's half-close to the upstream, which answers after it", async () => {
  // The upstream answers only once it has read to the end of the stream.
  await using up = upstream(async (conn) => {
    const all = await readToEnd(conn);
    await writeAll(conn, new TextEncoder().encode(`got ${all.length} bytes\n`));
  });
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}`),
  );
  const { text } = await nc(["-N", "127.0.0.1", `${muxd.port(0)}`], "twelve bytes");
  assert.equal(text, "got 12 bytes\n");
});

Deno.test("forward passes the upstream's half-close to the client, which can still send", async () => {
  let heard = "";
  // The upstream speaks first and ends its side, then listens to the end.
  await using up = upstream(async (conn) => {
    await writeAll(conn, new TextEncoder().encode("hello\n"));
    await conn.closeWrite();
    heard = new TextDecoder().decode(await readToEnd(conn));
  });
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}`),
  );
  using client = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  // End of stream reaches the client while its own side is still open.
  const greeting = await withTimeout(readToEnd(client), 5000, "the upstream's end of stream");
  assert.equal(new TextDecoder().decode(greeting), "hello\n");
  await writeAll(client, new TextEncoder().encode("still here\n"));
  await client.closeWrite();
  assert.equal((await withTimeout(readToEnd(client), 5000, "the close")).length, 0);
  await muxd.waitForStderr(`"type":"connection-closed"`);
  assert.equal(heard, "still here\n");
});

Deno.test("forward closes the connection with one line naming an upstream that refuses", async () => {
  // Nothing listens there: the kernel refuses at once.
  const port = freePort();
  await using muxd = await startMuxd(serveJson(`tcp://127.0.0.1:0=forward?to=127.0.0.1:${port}`));
  const { stdout } = await nc(["-N", "127.0.0.1", `${muxd.port(0)}`], "hello\n");
  assert.equal(stdout.length, 0);
  await muxd.waitForStderr(`"type":"connection-closed"`);
  const [closed] = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.equal(closed.reason, "upstream");
  assert.equal(closed.detail, `upstream 127.0.0.1:${port} refused the connection`);
  assert.equal(eventsOf(logEvents(muxd.stderr()), "error").length, 0);
});

Deno.test("forward closes the connection after connect-timeout when the upstream never accepts", async () => {
  await using silent = await silentUpstream();
  const { port } = silent;
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=forward?to=127.0.0.1:${port}&connect-timeout=0.5`),
  );
  const started = performance.now();
  const { stdout } = await nc(["-N", "127.0.0.1", `${muxd.port(0)}`], "hello\n");
  assert.equal(stdout.length, 0);
  assert.ok(performance.now() - started >= 400, "closed before the connect timeout");
  await muxd.waitForStderr(`"type":"connection-closed"`);
  const [closed] = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.equal(closed.reason, "upstream");
  assert.equal(
    closed.detail,
    `upstream 127.0.0.1:${port} did not answer within 0.5 s (connect-timeout)`,
  );
});

Deno.test("forward ends a connect still waiting when muxd shuts down, with reason upstream, not at connect-timeout", async () => {
  await using silent = await silentUpstream();
  const { port } = silent;
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=forward?to=127.0.0.1:${port}&connect-timeout=60`),
  );
  using _client = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  await muxd.waitForStderr(`"type":"connection-opened"`);
  const started = performance.now();
  const finished = await muxd.stop("SIGTERM");
  assert.ok(performance.now() - started < 4000, "shutdown waited for the connect");
  assertNoStackTrace(finished);
  const [closed] = eventsOf(logEvents(finished.stderr), "connection-closed");
  assert.equal(closed.reason, "upstream");
  assert.equal(closed.detail, `muxd stopped while connecting to upstream 127.0.0.1:${port}`);
});

Deno.test("forward's log line names both legs: client, listener, upstream and muxd's own source", async () => {
  await using up = upstream(echo);
  await using muxd = await startMuxd([
    "serve",
    "-l",
    `tcp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}`,
  ]);
  using client = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  await writeAll(client, new TextEncoder().encode("hi\n"));
  await client.closeWrite();
  await withTimeout(readToEnd(client), 5000, "the echo");
  const from = up.remotes[0];
  const line = `tcp 127.0.0.1:${muxd.port(0)} <- 127.0.0.1:${client.localAddr.port} -> forward ` +
    `-> 127.0.0.1:${up.port} (from 127.0.0.1:${from.port})`;
  await muxd.waitForStderr(line);
});

Deno.test("muxd serve refuses a forward to an upstream outside loopback without --public, in one line", async () => {
  const result = await runMuxdExpectingFailure([
    "serve",
    "-l",
    "tcp://127.0.0.1:0=forward?to=192.0.2.1:80",
    "-l",
    "udp://127.0.0.1:0=forward?to=example.com:53",
  ]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `muxd: Cannot use listen spec "tcp://127.0.0.1:0=forward?to=192.0.2.1:80" (argument 2 after serve): ` +
      `its upstream 192.0.2.1:80 is not a loopback address: muxd would send to another host. ` +
      `muxd relays to loopback only unless you pass --public (or "public": true in the config ` +
      `file)\n` +
      `muxd: Cannot use listen spec "udp://127.0.0.1:0=forward?to=example.com:53" (argument 4 after serve): ` +
      `its upstream example.com:53 is a host name that may resolve beyond loopback. muxd relays ` +
      `to loopback only unless you pass --public (or "public": true in the config file)\n`,
  );
  assertNoStackTrace(result);
});
