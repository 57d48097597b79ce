/**
 * The dashboard under attack, on a real muxd process: a foreign Host header
 * (DNS rebinding) gets a 403 that reveals nothing; a cap's worth of event
 * streams from one address yield their slots to new connections; half-sent
 * requests are closed after the header timeout; a 404 does not echo the
 * path; under `prlimit --nofile=256`, hundreds of idle dashboard
 * connections, or file descriptors running out while the dashboard
 * accepts, leave muxd alive, warning, and serving again once they close; and a cap's worth of event streams all get every arrival.
 */

import assert from "node:assert/strict";
import { get, RawClient } from "../_support/http.ts";
import { SseReader } from "../_support/sse.ts";
import { prlimitProblem } from "../_support/host.ts";
import { assertSpaced, lineTimes } from "../_support/log.ts";
import {
  type MuxdLauncher,
  type MuxdProcess,
  startMuxd,
  underOpenFilesLimit,
} from "../_support/process.ts";
import { closeQuietly, echoRoundTrip } from "../_support/socket.ts";
import { withTimeout } from "../_support/wait.ts";

/** The dashboard's default cap on connections (DashboardLimits.maxClients). */
const MAX_CLIENTS = 64;

const PING = new TextEncoder().encode("ping\n");

/** `muxd serve` with one echo listener and a dashboard, both on ports the OS picks. */
const ECHO_AND_DASHBOARD = ["serve", "-l", "tcp://127.0.0.1:0=echo", "--dashboard", "127.0.0.1:0"];

const noPrlimit = prlimitProblem();
if (noPrlimit !== null) console.log(`dashboard tests under prlimit ignored: ${noPrlimit}`);

const UNDER_256_FILES: MuxdLauncher = underOpenFilesLimit(256);

function dashboardOf(muxd: MuxdProcess): { url: string; port: number; host: string } {
  const url = muxd.ready.dashboard!;
  const port = Number(new URL(url).port);
  return { url, port, host: `127.0.0.1:${port}` };
}

/** Connects `count` times to 127.0.0.1:port, all at once. */
function connectMany(port: number, count: number): Promise<Deno.TcpConn[]> {
  return Promise.all(
    Array.from({ length: count }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
}

/** Asks the dashboard for /api/stats until it answers 200, for at most `ms`. */
async function statsAnswered(url: string, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  let last = "no answer";
  while (performance.now() < deadline) {
    try {
      const response = await fetch(new URL("/api/stats", url), {
        signal: AbortSignal.timeout(2000),
      });
      await response.body?.cancel();
      if (response.status === 200) return 200;
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the dashboard did not answer /api/stats in ${ms} ms: ${last}`);
}

/** Sends, unless the server has closed the connection already (as it does past the cap). */
async function sendIfOpen(client: RawClient, text: string): Promise<void> {
  try {
    await client.send(text);
  } catch (error) {
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
    ) {
      throw error;
    }
  }
}

/** Checks that the echo listener (socket 0) still answers a new connection. */
async function echoAnswers(muxd: MuxdProcess): Promise<void> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  assert.ok(await withTimeout(echoRoundTrip(conn, PING), 5000, "an echo round trip"));
}

Deno.test("muxd serve --dashboard answers 403 to a foreign Host header and reveals no socket or peer", async () => {
  await using muxd = await startMuxd(ECHO_AND_DASHBOARD);
  await echoAnswers(muxd);
  const { port } = dashboardOf(muxd);
  const secrets = new RegExp(`${muxd.port(0)}|echo|127\\.0\\.0\\.1|listening`);
  for (const path of ["/api/sockets", "/api/stats", "/api/events", "/"]) {
    using client = await RawClient.connect(port);
    // What a browser sends once a page's own name has been re-pointed at 127.0.0.1.
    await client.send(get(path, `rebind.attacker.example:${port}`));
    const response = await client.response();
    assert.equal(response?.status, 403, path);
    assert.doesNotMatch(response.body, secrets, path);
    const rest = await client.end(5000);
    assert.equal(rest.how, "eof", `${path}: the connection ends after the 403`);
    assert.equal(rest.text, "", `${path}: nothing follows the 403`);
  }
  // The same request with the dashboard's own address is answered.
  using client = await RawClient.connect(port);
  await client.send(get("/api/sockets", `127.0.0.1:${port}`));
  const response = await client.response();
  assert.equal(response?.status, 200);
  assert.match(response.body, secrets);
});

Deno.test("muxd serve --dashboard answers past its cap of 64 event streams that never read, from one address, by ending the oldest", async () => {
  await using muxd = await startMuxd(ECHO_AND_DASHBOARD);
  const { port, host } = dashboardOf(muxd);
  const pages: RawClient[] = [];
  try {
    for (let i = 0; i < MAX_CLIENTS; i++) {
      const page = await RawClient.connect(port);
      pages.push(page);
      await page.send(get("/api/events", host));
      assert.equal((await page.response())?.status, 200, `event stream ${i + 1}`);
    }
    // 127.0.0.1 holds more than its share of 6 streams: the oldest yields its slot.
    for (let i = 0; i < 3; i++) {
      using over = await RawClient.connect(port);
      await over.send(get("/api/stats", host, "Connection: close\r\n"));
      assert.equal((await over.response(5000))?.status, 200, `request ${i}`);
    }
    assert.notEqual((await pages[0].end(5000)).how, "open", "the oldest stream ended");
    await echoAnswers(muxd);
  } finally {
    for (const page of pages) page[Symbol.dispose]();
  }
});

Deno.test("muxd serve --dashboard closes 300 half-sent requests after its header timeout", async () => {
  await using muxd = await startMuxd(ECHO_AND_DASHBOARD);
  const { port, host } = dashboardOf(muxd);
  const clients = await Promise.all(Array.from({ length: 300 }, () => RawClient.connect(port)));
  try {
    await Promise.all(clients.map((c) => sendIfOpen(c, `GET / HTTP/1.1\r\nHost: ${host}\r\n`)));
    // 5 s of header timeout, with room for a busy machine; without it they stay open.
    const ends = await Promise.all(clients.map((c) => c.end(15_000)));
    const open = ends.filter((e) => e.how === "open").length;
    assert.equal(open, 0, `${open} of 300 half-sent requests still open after 15 s`);
    // None of them got a page: those past the cap a 503 at most.
    for (const { text } of ends) assert.doesNotMatch(text, /^HTTP\/1\.1 200/);
    assert.equal(await statsAnswered(muxd.ready.dashboard!, 10_000), 200);
  } finally {
    for (const client of clients) client[Symbol.dispose]();
  }
});

Deno.test("muxd serve --dashboard does not echo the requested path in its 404", async () => {
  await using muxd = await startMuxd(ECHO_AND_DASHBOARD);
  const { port, host } = dashboardOf(muxd);
  using client = await RawClient.connect(port);
  await client.send(get("/%3Cimg%20src=x%20onerror=alert(1)%3E-needle", host));
  const response = await client.response();
  assert.equal(response?.status, 404);
  assert.doesNotMatch(response.body, /needle|img|onerror|%3C/);
});

Deno.test({
  name:
    "muxd serve under prlimit --nofile=256 survives 300 idle dashboard connections and serves again once they close",
  ignore: noPrlimit !== null,
}, async () => {
  await using muxd = await startMuxd(ECHO_AND_DASHBOARD, UNDER_256_FILES);
  const { port, url } = dashboardOf(muxd);
  const idle = await connectMany(port, 300);
  try {
    // Give muxd the time to accept them all (and, before the fix, to crash on EMFILE).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.doesNotMatch(muxd.stderr(), /Uncaught|Too many open files \(os error 24\)\n\s+at/);
  } finally {
    for (const conn of idle) closeQuietly(conn);
  }
  assert.equal(await statsAnswered(url, 10_000), 200);
  await echoAnswers(muxd);
  const { code, stderr } = await muxd.stop();
  assert.equal(code, 0, stderr);
});

Deno.test({
  name:
    "muxd serve under prlimit --nofile=256 warns when the dashboard cannot accept for want of file descriptors, and recovers",
  ignore: noPrlimit !== null,
}, async () => {
  await using muxd = await startMuxd(ECHO_AND_DASHBOARD, UNDER_256_FILES);
  const { port, url } = dashboardOf(muxd);
  // The start-up check of the open-files limit runs prlimit, whose pipes take
  // descriptors for a moment: once it has warned, they are free again.
  await muxd.waitForStderr(/WRN muxd's limits allow \d+ open files/, 10_000);
  // Echo connections take every file descriptor muxd has left.
  const echo = await connectMany(muxd.port(0), 250);
  const waiting: Deno.TcpConn[] = [];
  try {
    await muxd.waitForStderr(/-> echo cannot accept \(EMFILE\)/, 10_000);
    // These wait in the dashboard's backlog: its accept fails with EMFILE.
    waiting.push(...await connectMany(port, 10));
    await muxd.waitForStderr(
      /WRN the dashboard at http:\/\/127\.0\.0\.1:\d+\/ cannot accept \(EMFILE\): .*ulimit -n/,
      10_000,
    );
  } finally {
    for (const conn of echo) closeQuietly(conn);
  }
  await muxd.waitForStderr(/WRN the dashboard at .* accepting again after \d+ ms/, 10_000);
  for (const conn of waiting) closeQuietly(conn);
  assert.equal(await statsAnswered(url, 10_000), 200);
  await echoAnswers(muxd);
  const { code, stderr } = await muxd.stop();
  assert.equal(code, 0, stderr);
  assertSpaced(
    lineTimes(stderr, /the dashboard at .* cannot accept/),
    10_000,
    "dashboard warnings",
  );
  assertSpaced(lineTimes(stderr, /-> echo cannot accept/), 5000, "echo listener warnings");
});

Deno.test("muxd serve --dashboard sends every arrival to each of 64 event streams", async () => {
  await using muxd = await startMuxd(ECHO_AND_DASHBOARD);
  const { url } = dashboardOf(muxd);
  const readers = await Promise.all(
    Array.from({ length: MAX_CLIENTS }, async () => {
      const response = await fetch(new URL("/api/events", url));
      assert.equal(response.status, 200);
      const reader = new SseReader(response.body!);
      assert.equal((await reader.next())?.event, "snapshot");
      return reader;
    }),
  );
  try {
    const ARRIVALS = 20;
    const clientPorts = new Set<number>();
    for (let i = 0; i < ARRIVALS; i++) {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
      clientPorts.add((conn.localAddr as Deno.NetAddr).port);
      assert.ok(await echoRoundTrip(conn, PING));
    }
    await Promise.all(readers.map(async (reader, index) => {
      const seen = new Set<number>();
      await withTimeout(
        (async () => {
          while (seen.size < ARRIVALS) {
            const message = await reader.next();
            assert.ok(message !== null, `stream ${index} ended`);
            if (message.event !== "message") continue;
            const event = JSON.parse(message.data);
            if (event.type === "connection-opened" && clientPorts.has(event.remote.port)) {
              seen.add(event.remote.port);
            }
          }
        })(),
        15_000,
        `stream ${index} seeing ${ARRIVALS} arrivals (saw ${seen.size})`,
      );
    }));
  } finally {
    await Promise.all(readers.map((reader) => reader.cancel()));
  }
});

/**
 * Opens `count` event streams to the dashboard, each from its own source
 * address on loopback (127.0.0.2, 127.0.0.3, …), reads their answers' first
 * line, prints `open`, and holds them, never reading again, until its
 * standard input closes.
 */
const SPREAD_STREAMS = `
import socket, sys
port, host, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
held = []
for i in range(count):
    s = socket.socket()
    s.bind((f"127.0.0.{2 + i}", 0))
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET /api/events HTTP/1.1\\r\\nHost: {host}\\r\\n\\r\\n".encode())
    assert s.recv(12).startswith(b"HTTP/1.1 200")
    held.append(s)
print("open", flush=True)
sys.stdin.read()
`;

Deno.test("muxd serve --dashboard answers past its cap of 64 event streams spread over 64 loopback addresses: loopback is one source", async () => {
  await using muxd = await startMuxd(ECHO_AND_DASHBOARD);
  const { port, host } = dashboardOf(muxd);
  const holder = new Deno.Command("python3", {
    args: ["-c", SPREAD_STREAMS, `${port}`, host, `${MAX_CLIENTS}`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    assert.equal((await withTimeout(lines.read(), 10_000, "the streams")).value?.trim(), "open");
    for (let i = 0; i < 3; i++) {
      using page = await RawClient.connect(port);
      await page.send(get("/api/stats", host, "Connection: close\r\n"));
      assert.equal((await page.response(5000))?.status, 200, `request ${i}`);
    }
  } finally {
    await holder.stdin.close();
    await lines.cancel();
    await holder.status;
  }
});
