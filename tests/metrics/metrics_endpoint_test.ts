/**
 * End-to-end tests of `GET /metrics`: muxd runs as a real subprocess with
 * its dashboard, real clients (OpenBSD netcat, Deno sockets) send it
 * traffic, and the answer is read with a real Prometheus text parser.
 */

import assert from "node:assert/strict";
import { startMuxd } from "../_support/process.ts";
import { nc } from "../_support/netcat.ts";
import {
  closeQuietly,
  firstRead,
  readToEnd,
  sendAndHalfClose,
  udpRoundTrip,
} from "../_support/socket.ts";
import { waitUntil } from "../_support/wait.ts";
import { type Family, parseMetrics, seriesCount, seriesOf, valueOf } from "./_prometheus.ts";

const encoder = new TextEncoder();

/** GETs /metrics from a dashboard and parses it; checks the status and content type. */
async function scrape(dashboard: string): Promise<{ text: string; families: Map<string, Family> }> {
  const response = await fetch(new URL("/metrics", dashboard));
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.equal(
    response.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8",
  );
  return { text, families: await parseMetrics(text) };
}

/** Scrapes until `done(families)` holds, for at most 10 s: muxd counts a connection as it closes. */
async function scrapeUntil(
  dashboard: string,
  what: string,
  done: (families: Map<string, Family>) => boolean,
): Promise<Map<string, Family>> {
  let last = { text: "", families: new Map<string, Family>() };
  await waitUntil(
    async () => done((last = await scrape(dashboard)).families),
    10_000,
    what,
    () => last.text,
  );
  return last.families;
}

Deno.test("muxd serve --dashboard answers GET /metrics with the counts of real connections, datagrams, a refusal and a fault", async () => {
  await using muxd = await startMuxd([
    "serve",
    "-l",
    "tcp://127.0.0.1:0=echo",
    "-l",
    "udp://127.0.0.1:0=echo",
    "-l",
    "tcp://127.0.0.1:0=echo?deny=127.0.0.1",
    "-l",
    "udp://127.0.0.1:0=discard?drop=1&seed=1",
    "--dashboard",
    "127.0.0.1:0",
  ]);
  const dashboard = muxd.ready.dashboard!;
  const [tcp, udp, denied, dropping] = [0, 1, 2, 3].map((i) => muxd.port(i));
  const tcpEcho = { transport: "tcp", local: `127.0.0.1:${tcp}`, service: "echo" };
  const udpEcho = { transport: "udp", local: `127.0.0.1:${udp}`, service: "echo" };
  const deniedEcho = { transport: "tcp", local: `127.0.0.1:${denied}`, service: "echo" };
  const droppingDiscard = { transport: "udp", local: `127.0.0.1:${dropping}`, service: "discard" };

  for (const line of ["one\n", "two, longer\n", "three\n"]) {
    const result = await nc(["-N", "127.0.0.1", String(tcp)], line);
    assert.equal(result.text, line, result.stderr);
  }
  for (const payload of ["ping", "ping again"]) {
    const reply = await udpRoundTrip(udp, encoder.encode(payload));
    assert.equal(new TextDecoder().decode(reply!), payload);
  }
  {
    using refused = await Deno.connect({ hostname: "127.0.0.1", port: denied });
    assert.ok(["eof", "reset"].includes(await firstRead(refused) as string));
  }
  assert.equal(await udpRoundTrip(dropping, encoder.encode("lost"), 200), null);
  assert.equal(await udpRoundTrip(dropping, encoder.encode("lost too"), 200), null);

  const families = await scrapeUntil(
    dashboard,
    "every connection and datagram counted",
    (f) =>
      valueOf(f, "muxd_connections_closed_total", { ...tcpEcho, reason: "done" }) === 3 &&
      valueOf(f, "muxd_connections_refused_total", deniedEcho) === 1 &&
      valueOf(f, "muxd_faults_applied_total", { ...droppingDiscard, kind: "drop" }) === 2 &&
      valueOf(f, "muxd_replies_sent_total", udpEcho) === 2,
  );
  const value = (name: string, labels: Record<string, string>) => valueOf(families, name, labels);

  assert.equal(value("muxd_listener_up", tcpEcho), 1);
  assert.equal(value("muxd_connections_opened_total", tcpEcho), 3);
  assert.equal(value("muxd_connections_open", tcpEcho), 0);
  const tcpBytes = "one\n".length + "two, longer\n".length + "three\n".length;
  assert.equal(value("muxd_bytes_received_total", tcpEcho), tcpBytes);
  assert.equal(value("muxd_bytes_sent_total", tcpEcho), tcpBytes);
  assert.equal(value("muxd_connection_duration_seconds", tcpEcho), 3, "_count");
  const histogram = seriesOf(families, "muxd_connection_duration_seconds", tcpEcho)!;
  assert.ok(histogram.sum! > 0, "the durations add up to more than 0 s");
  assert.equal(histogram.buckets!["300"], 3, "every connection lasted under 5 min");

  assert.equal(value("muxd_datagrams_received_total", udpEcho), 2);
  assert.equal(value("muxd_bytes_received_total", udpEcho), "pingping again".length);
  assert.equal(value("muxd_bytes_sent_total", udpEcho), "pingping again".length);
  assert.equal(
    value("muxd_connections_opened_total", udpEcho),
    undefined,
    "UDP has no connections",
  );

  assert.equal(value("muxd_connections_refused_total", { ...deniedEcho, reason: "denied" }), 1);
  assert.equal(value("muxd_connections_opened_total", deniedEcho), 0);

  // Received, then dropped by the fault.
  assert.equal(value("muxd_datagrams_received_total", droppingDiscard), 2);

  for (const name of ["process_resident_memory_bytes", "process_cpu_seconds_total"]) {
    assert.ok(value(name, {})! > 0, name);
  }
  const started = value("process_start_time_seconds", {})!;
  assert.ok(started > Date.now() / 1000 - 600 && started <= Date.now() / 1000, String(started));
  // deno task serve runs without --allow-all: procfs cannot be read, and its figures are left out.
  assert.equal(families.has("process_open_fds"), false);
});

Deno.test("muxd serve's control API counts every UDP reply in GET /metrics, and the log writes one line per datagram, at each log level", async () => {
  // The log takes no reply event below debug, nor a datagram event above
  // info: muxd makes those only when something takes them, and the metrics do.
  for (const level of ["warning", "info", "debug"]) {
    await using muxd = await startMuxd([
      "serve",
      "--log-level",
      level,
      "-l",
      "udp://127.0.0.1:0=echo",
      "--control",
      "127.0.0.1:0",
    ]);
    const { url, token } = muxd.ready.control!;
    const port = muxd.port(0);
    for (const payload of ["ping", "ping again", "pong"]) {
      const reply = await udpRoundTrip(port, encoder.encode(payload));
      assert.equal(new TextDecoder().decode(reply!), payload);
    }
    const udpEcho = { transport: "udp", local: `127.0.0.1:${port}`, service: "echo" };
    let text = "";
    await waitUntil(
      async () => {
        const response = await fetch(new URL("/metrics", url), {
          headers: { authorization: `Bearer ${token}` },
        });
        text = await response.text();
        const families = await parseMetrics(text);
        return valueOf(families, "muxd_replies_sent_total", udpEcho) === 3 &&
          valueOf(families, "muxd_datagrams_received_total", udpEcho) === 3 &&
          valueOf(families, "muxd_bytes_sent_total", udpEcho) === "pingping againpong".length;
      },
      10_000,
      `three replies counted at --log-level ${level}`,
      () => text,
    );
    const arrivals = new RegExp(`udp 127\\.0\\.0\\.1:${port} <- 127\\.0\\.0\\.1:\\d+ -> echo \\(`);
    const replies = new RegExp(`udp 127\\.0\\.0\\.1:${port} -> 127\\.0\\.0\\.1:\\d+ reply `);
    const count = (pattern: RegExp) =>
      muxd.stderr().split("\n").filter((l) => pattern.test(l)).length;
    const expected = { arrivals: level === "warning" ? 0 : 3, replies: level === "debug" ? 3 : 0 };
    // The log writes in batches: wait for what it should write, then a batch more.
    await waitUntil(
      () => count(arrivals) === expected.arrivals && count(replies) === expected.replies,
      10_000,
      `the log lines of --log-level ${level}`,
      () => muxd.stderr(),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual({ arrivals: count(arrivals), replies: count(replies) }, expected);
  }
});

Deno.test("muxd serve's GET /metrics keeps one set of series however many clients come: 1,000 client ports", async () => {
  await using muxd = await startMuxd([
    "serve",
    "-l",
    "tcp://127.0.0.1:0=echo",
    "-l",
    "udp://127.0.0.1:0=discard",
    "--dashboard",
    "127.0.0.1:0",
  ]);
  const dashboard = muxd.ready.dashboard!;
  const [tcp, udp] = [muxd.port(0), muxd.port(1)];
  const tcpEcho = { transport: "tcp", local: `127.0.0.1:${tcp}`, service: "echo" };
  const udpDiscard = { transport: "udp", local: `127.0.0.1:${udp}`, service: "discard" };
  const clients = async (count: number) => {
    const deadline = performance.now() + 60_000;
    for (let i = 0; i < count && performance.now() < deadline; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: tcp });
      try {
        await sendAndHalfClose(conn, encoder.encode("x"));
        assert.equal((await readToEnd(conn)).length, 1);
      } finally {
        closeQuietly(conn);
      }
      const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      try {
        await socket.send(encoder.encode("y"), {
          transport: "udp",
          hostname: "127.0.0.1",
          port: udp,
        });
      } finally {
        socket.close();
      }
    }
  };
  const counted = (n: number) => (f: Map<string, Family>) =>
    valueOf(f, "muxd_connections_closed_total", { ...tcpEcho, reason: "done" }) === n &&
    valueOf(f, "muxd_datagrams_received_total", udpDiscard) === n;

  await clients(1);
  const before = await scrapeUntil(dashboard, "the first client counted", counted(1));
  await clients(1000);
  const after = await scrapeUntil(dashboard, "1,001 clients counted", counted(1001));
  assert.equal(seriesCount(after), seriesCount(before));
  assert.deepEqual([...after.keys()], [...before.keys()]);
});

Deno.test("muxd serve --dashboard counts each refusal on its own wildcard socket when two listeners have one spec text", async () => {
  // Port 0 twice: two sockets of one spec. A refusal names the address the
  // client reached (127.0.0.2), not the socket's 0.0.0.0: its port tells which.
  const spec = "tcp://0.0.0.0:0=echo?deny=127.0.0.0/8";
  await using muxd = await startMuxd([
    "serve",
    "--public",
    "-l",
    spec,
    "-l",
    spec,
    "--dashboard",
    "127.0.0.1:0",
  ]);
  const dashboard = muxd.ready.dashboard!;
  const ports = [muxd.port(0), muxd.port(1)];
  for (const [port, n] of [[ports[0], 2], [ports[1], 1]]) {
    for (let i = 0; i < n; i++) {
      using refused = await Deno.connect({ hostname: "127.0.0.2", port });
      assert.ok(["eof", "reset"].includes(await firstRead(refused) as string));
    }
  }
  const denied = (port: number) => ({
    transport: "tcp",
    local: `0.0.0.0:${port}`,
    service: "echo",
    reason: "denied",
  });
  const families = await scrapeUntil(
    dashboard,
    "three refusals counted",
    (f) =>
      (valueOf(f, "muxd_connections_refused_total", denied(ports[0])) ?? 0) +
          (valueOf(f, "muxd_connections_refused_total", denied(ports[1])) ?? 0) === 3,
  );
  assert.deepEqual(
    ports.map((p) => valueOf(families, "muxd_connections_refused_total", denied(p))),
    [2, 1],
  );
  const { sockets } = await (await fetch(new URL("/api/sockets", dashboard))).json();
  assert.deepEqual(
    ports.map((p) => sockets.find((s: { key: string }) => s.key === `tcp 0.0.0.0:${p}`)?.refused),
    [2, 1],
    "the dashboard's rows",
  );
});
