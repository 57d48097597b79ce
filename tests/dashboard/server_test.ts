import assert from "node:assert/strict";
import {
  DashboardBindError,
  serveDashboard,
  type Snapshot,
  type SocketRow,
  type StatsSummary,
} from "../../lib/dashboard/mod.ts";
import { EventHub, type ServerEvent } from "../../lib/events/mod.ts";
import { ev, TCP_ECHO, TCP_WHOAMI, UDP_ECHO } from "./_events.ts";
import { SseReader } from "../_support/sse.ts";
import { get, RawClient } from "../_support/http.ts";
import { withTimeout } from "../_support/wait.ts";
import { start } from "../../mod.ts";
import { serveControl } from "../../lib/control/mod.ts";
import { caller } from "../control/_client.ts";

const LOOPBACK_ANY_PORT = { hostname: "127.0.0.1", port: 0 };

Deno.test("serveDashboard() shows each socket's faults and the faults that hit it in /api/sockets and /api/stats", async () => {
  const hub = new EventHub();
  await using dashboard = serveDashboard(hub, LOOPBACK_ANY_PORT);
  hub.emit(ev.faultyListening(UDP_ECHO, "?drop=0.5&seed=1", 1));
  hub.emit(ev.listening(TCP_ECHO));
  hub.emit(ev.fault(UDP_ECHO, "drop"));
  hub.emit(ev.fault(UDP_ECHO, "drop"));
  hub.emit(ev.fault(UDP_ECHO, "corrupt"));
  const json = async (path: string) => {
    const response = await fetch(new URL(path, dashboard.url));
    assert.equal(response.status, 200);
    return await response.json();
  };
  const { sockets } = await json("/api/sockets") as { sockets: SocketRow[] };
  assert.deepEqual(sockets.map((r) => [r.key, r.faults, r.faultCounts]), [
    ["udp 127.0.0.2:1060", { text: "?drop=0.5&seed=1", seed: 1 }, { drop: 2, corrupt: 1 }],
    ["tcp 127.0.0.1:7007", null, {}],
  ]);
  const stats = await json("/api/stats") as StatsSummary;
  assert.deepEqual(stats.faults, {
    counts: { drop: 2, corrupt: 1 },
    sockets: [{
      key: "udp 127.0.0.2:1060",
      faults: { text: "?drop=0.5&seed=1", seed: 1 },
      counts: { drop: 2, corrupt: 1 },
    }],
  });
});

Deno.test("serveDashboard() serves the sockets, the stats and the event stream as JSON and SSE", async () => {
  const hub = new EventHub();
  await using dashboard = serveDashboard(hub, LOOPBACK_ANY_PORT);
  assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  hub.emit(ev.listening(TCP_ECHO));
  hub.emit(ev.listening(UDP_ECHO));
  hub.emit(ev.bindFailed(TCP_WHOAMI, "another socket already holds tcp 127.0.0.2:7007"));

  const sockets = await fetch(new URL("/api/sockets", dashboard.url));
  assert.equal(sockets.headers.get("content-type"), "application/json; charset=utf-8");
  const body = await sockets.json() as { sockets: SocketRow[]; failures: { reason: string }[] };
  assert.deepEqual(
    body.sockets.map((r) => [r.key, r.state]),
    [
      ["tcp 127.0.0.1:7007", "listening"],
      ["udp 127.0.0.2:1060", "listening"],
      ["tcp 127.0.0.2:7007", "failed"],
    ],
  );
  assert.deepEqual(body.failures.map((f) => f.reason), [
    "another socket already holds tcp 127.0.0.2:7007",
  ]);

  const events = await fetch(new URL("/api/events", dashboard.url));
  assert.equal(events.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const sse = new SseReader(events.body!);
  try {
    const first = await sse.next();
    assert.equal(first?.event, "snapshot");
    const snapshot = JSON.parse(first.data) as Snapshot;
    assert.equal(snapshot.sockets.length, 3);
    assert.equal(snapshot.dropped, 0);

    hub.emit(ev.datagram(UDP_ECHO, 6));
    const event = await sse.next();
    assert.equal(event?.event, "message");
    assert.equal(JSON.parse(event.data).type, "datagram");
    const row = await sse.next();
    assert.equal(row?.event, "socket");
    assert.deepEqual(
      (({ key, total, bytesIn }) => ({ key, total, bytesIn }))(JSON.parse(row.data) as SocketRow),
      { key: "udp 127.0.0.2:1060", total: 1, bytesIn: 6 },
    );

    const stats = await (await fetch(new URL("/api/stats", dashboard.url))).json() as
      & StatsSummary
      & { streams: number; dropped: number };
    assert.deepEqual(
      [stats.sockets, stats.datagrams, stats.bytesIn, stats.streams, stats.dropped],
      [{ listening: 2, closed: 0, failed: 1 }, 1, 6, 1, 0],
    );
  } finally {
    await sse.cancel();
  }
});

Deno.test("serveDashboard() lists the latest 100 arrivals in /api/sockets and in the event stream's first snapshot", async () => {
  const hub = new EventHub();
  await using dashboard = serveDashboard(hub, LOOPBACK_ANY_PORT);
  hub.emit(ev.listening(UDP_ECHO));
  // 120 datagrams before any page is open, each from its own port.
  for (let port = 40001; port <= 40120; port++) {
    hub.emit(ev.datagram(UDP_ECHO, 6, { address: "127.0.0.1", port }));
    hub.emit(ev.reply(UDP_ECHO, 6));
  }
  const ports = Array.from({ length: 100 }, (_, i) => 40021 + i);
  const remotePorts = (arrivals: readonly ServerEvent[]) =>
    arrivals.map((a) => a.type === "datagram" ? a.remote.port : a.type);

  const api = await (await fetch(new URL("/api/sockets", dashboard.url))).json() as {
    arrivals: ServerEvent[];
  };
  assert.deepEqual(remotePorts(api.arrivals), ports);

  const sse = new SseReader((await fetch(new URL("/api/events", dashboard.url))).body!);
  try {
    const first = await sse.next();
    assert.equal(first?.event, "snapshot");
    const snapshot = JSON.parse(first.data) as Snapshot;
    assert.equal(snapshot.sockets[0].total, 120);
    assert.deepEqual(remotePorts(snapshot.arrivals), ports);
    assert.deepEqual(snapshot.arrivals.at(-1), {
      ...ev.datagram(UDP_ECHO, 6, { address: "127.0.0.1", port: 40120 }),
    });
  } finally {
    await sse.cancel();
  }
});

Deno.test("serveDashboard() serves the page, its stylesheet and its script from memory", async () => {
  await using dashboard = serveDashboard(new EventHub(), LOOPBACK_ANY_PORT);
  const expected: [string, string, RegExp][] = [
    ["/", "text/html; charset=utf-8", /<table id="sockets">/],
    ["/style.css", "text/css; charset=utf-8", /tbody tr\.hit/],
    ["/app.js", "text/javascript; charset=utf-8", /new EventSource\("\/api\/events"\)/],
  ];
  for (const [path, type, content] of expected) {
    const response = await fetch(new URL(path, dashboard.url));
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("content-type"), type);
    assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.match(await response.text(), content);
  }
  // Fetched without JavaScript (curl, a text browser), the page says where the figures are.
  const page = await (await fetch(dashboard.url)).text();
  assert.match(page, /<noscript>[^]*href="\/api\/sockets"[^]*<\/noscript>/);
});

Deno.test("serveDashboard() is read-only: other methods get 405, unknown paths 404", async () => {
  await using dashboard = serveDashboard(new EventHub(), LOOPBACK_ANY_PORT);
  const post = await fetch(new URL("/api/sockets", dashboard.url), { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
  const missing = await fetch(new URL("/nope", dashboard.url));
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const head = await fetch(new URL("/api/events", dashboard.url), { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-type"), "text/event-stream; charset=utf-8");
  await head.body?.cancel();
});

Deno.test("serveDashboard() close() ends open event streams at once", async () => {
  const hub = new EventHub();
  const dashboard = serveDashboard(hub, LOOPBACK_ANY_PORT);
  const response = await fetch(new URL("/api/events", dashboard.url));
  const sse = new SseReader(response.body!);
  assert.equal((await sse.next())?.event, "snapshot");
  const started = performance.now();
  await dashboard.close();
  assert.ok(performance.now() - started < 1000, "close() took a second or more");
  // The stream ends, or is cut with the connection, instead of hanging.
  try {
    assert.equal(await sse.next(), null);
  } catch (error) {
    assert.ok(error instanceof TypeError, String(error));
  }
  // Events after close reach nobody and throw nothing.
  hub.emit(ev.listening(TCP_ECHO));
  assert.equal(dashboard.stats.sockets().length, 0);
});

Deno.test("serveDashboard() throws a DashboardBindError naming the address when it is in use", () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  assert.throws(
    () => serveDashboard(new EventHub(), { hostname: "127.0.0.1", port: taken.addr.port }),
    (error: unknown) => {
      assert.ok(error instanceof DashboardBindError);
      assert.equal(error.code, "EADDRINUSE");
      assert.match(error.reason, /^address already in use: another socket already holds tcp /);
      assert.ok(error.cause instanceof Deno.errors.AddrInUse);
      return true;
    },
  );
});

Deno.test("serveDashboard() answers 403 to a foreign Host header and reveals nothing", async () => {
  const hub = new EventHub();
  await using dashboard = serveDashboard(hub, LOOPBACK_ANY_PORT);
  hub.emit(ev.listening(TCP_ECHO));
  hub.emit(ev.opened(TCP_ECHO));
  const port = dashboard.address.port;
  for (const path of ["/", "/api/sockets", "/api/stats", "/api/events", "/app.js", "/metrics"]) {
    using client = await RawClient.connect(port);
    await client.send(get(path, `rebind.attacker.example:${port}`));
    const response = await client.response();
    assert.equal(response?.status, 403, path);
    assert.doesNotMatch(response.body, /7007|51234|echo|listening|attacker|api/, path);
    assert.equal((await client.end(5000)).how, "eof", "the connection is closed after a 403");
  }
  assert.equal(dashboard.stats.sockets().length, 1);
  const stats = await (await fetch(new URL("/api/stats", dashboard.url))).json();
  assert.equal(stats.streams, 0, "no event stream was opened for a foreign Host");
});

Deno.test("serveDashboard() answers requests addressed to localhost with its port", async () => {
  await using dashboard = serveDashboard(new EventHub(), LOOPBACK_ANY_PORT);
  using client = await RawClient.connect(dashboard.address.port);
  await client.send(get("/api/stats", `localhost:${dashboard.address.port}`));
  assert.equal((await client.response())?.status, 200);
});

Deno.test("serveDashboard() answers a target in absolute form addressed to itself, and 403 to a foreign one", async () => {
  await using dashboard = serveDashboard(new EventHub(), LOOPBACK_ANY_PORT);
  const port = dashboard.address.port;
  const own = `127.0.0.1:${port}`;
  const ask = async (target: string, host: string) => {
    using client = await RawClient.connect(port);
    await client.send(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    return await client.response();
  };
  // RFC 9112 §3.2.2: a server must accept the absolute form.
  const stats = await ask(`http://${own}/api/stats`, own);
  assert.equal(stats?.status, 200);
  assert.equal(typeof JSON.parse(stats.body).streams, "number");
  assert.equal((await ask(`http://localhost:${port}/`, own))?.status, 200);
  assert.equal((await ask(`http://${own}`, own))?.status, 200, "an empty path is /");
  // The authority is what the request is for: it wins over Host, both ways.
  assert.equal((await ask(`http://${own}/api/stats`, `evil.example:${port}`))?.status, 200);
  for (const foreign of [`rebind.attacker.example:${port}`, `127.0.0.1:${port + 1}`]) {
    const refused = await ask(`http://${foreign}/api/stats`, own);
    assert.equal(refused?.status, 403, foreign);
    assert.doesNotMatch(refused.body, /attacker|api/);
  }
});

Deno.test("serveDashboard() answers 400 to a request without a Host header or that does not parse", async () => {
  await using dashboard = serveDashboard(new EventHub(), LOOPBACK_ANY_PORT);
  for (
    const text of ["GET / HTTP/1.1\r\n\r\n", "HELLO\r\n\r\n", "GET / HTTP/1.1\r\nHost a\r\n\r\n"]
  ) {
    using client = await RawClient.connect(dashboard.address.port);
    await client.send(text);
    const response = await client.response();
    assert.equal(response?.status, 400, JSON.stringify(text));
    assert.doesNotMatch(response.body, /HELLO|Host a/);
  }
});

Deno.test("serveDashboard() does not echo the requested path or anything else of a request in its 404", async () => {
  await using dashboard = serveDashboard(new EventHub(), LOOPBACK_ANY_PORT);
  const marker = "/%3Cscript%3Ealert(1)%3C/script%3E-needle";
  using client = await RawClient.connect(dashboard.address.port);
  await client.send(get(marker, dashboard.url.slice(7, -1), "X-Needle: needle\r\n"));
  const response = await client.response();
  assert.equal(response?.status, 404);
  assert.doesNotMatch(response.body, /needle|script|alert/);
  assert.doesNotMatch([...response.headers.values()].join("\n"), /needle/);
});

Deno.test("serveDashboard() answers 413 to a request with a body and 431 to a head over maxHeadBytes", async () => {
  await using dashboard = serveDashboard(new EventHub(), {
    ...LOOPBACK_ANY_PORT,
    maxHeadBytes: 1024,
  });
  const host = dashboard.url.slice(7, -1);
  {
    using client = await RawClient.connect(dashboard.address.port);
    await client.send(get("/api/stats", host, "Content-Length: 5\r\n") + "hello");
    assert.equal((await client.response())?.status, 413);
    assert.equal((await client.end(5000)).how, "eof", "closed cleanly, the body read and dropped");
  }
  {
    using client = await RawClient.connect(dashboard.address.port);
    await client.send(get("/api/stats", host, `X-Long: ${"x".repeat(2000)}\r\n`));
    const response = await client.response();
    assert.equal(response?.status, 431);
    assert.doesNotMatch(response.body, /xxx/);
  }
});

Deno.test("serveDashboard() answers requests one after the other on a kept connection, pipelined too", async () => {
  await using dashboard = serveDashboard(new EventHub(), LOOPBACK_ANY_PORT);
  const host = dashboard.url.slice(7, -1);
  using client = await RawClient.connect(dashboard.address.port);
  await client.send(get("/api/stats", host));
  assert.equal((await client.response())?.status, 200);
  await client.send(
    get("/style.css", host) + get("/nope", host) + get("/", host, "Connection: close\r\n"),
  );
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await client.response())?.status);
  assert.deepEqual(statuses, [200, 404, 200]);
  assert.equal((await client.end(5000)).how, "eof", "closed after the request that asked for it");
});

Deno.test("serveDashboard() closes a connection whose request head does not arrive within headerTimeoutMs", async () => {
  await using dashboard = serveDashboard(new EventHub(), {
    ...LOOPBACK_ANY_PORT,
    headerTimeoutMs: 200,
  });
  using silent = await RawClient.connect(dashboard.address.port);
  using halfSent = await RawClient.connect(dashboard.address.port);
  await halfSent.send(`GET / HTTP/1.1\r\nHost: ${dashboard.url.slice(7, -1)}\r\n`);
  // Without a header timeout both would stay open for as long as the clients like.
  assert.equal((await silent.end(10_000)).how, "eof");
  assert.equal((await halfSent.end(10_000)).how, "eof");
});

Deno.test("serveDashboard() closes a kept connection that sends no next request within idleTimeoutMs", async () => {
  await using dashboard = serveDashboard(new EventHub(), {
    ...LOOPBACK_ANY_PORT,
    idleTimeoutMs: 200,
  });
  using client = await RawClient.connect(dashboard.address.port);
  await client.send(get("/api/stats", dashboard.url.slice(7, -1)));
  assert.equal((await client.response())?.status, 200);
  assert.equal((await client.end(10_000)).how, "eof");
});

Deno.test("serveDashboard() serves maxClients connections at once and answers 503 to the next", async () => {
  const hub = new EventHub();
  await using dashboard = serveDashboard(hub, { ...LOOPBACK_ANY_PORT, maxClients: 3 });
  const host = dashboard.url.slice(7, -1);
  const streams: RawClient[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const client = await RawClient.connect(dashboard.address.port);
      streams.push(client);
      await client.send(get("/api/events", host));
      assert.equal((await client.response())?.status, 200);
    }
    {
      using over = await RawClient.connect(dashboard.address.port);
      const response = await over.response();
      assert.equal(response?.status, 503);
      assert.equal(response.headers.get("retry-after"), "5");
      assert.equal((await over.end(5000)).how, "eof");
    }
    // One page goes away: the heartbeats after its FIN find it gone, and there is room again.
    streams.pop()![Symbol.dispose]();
    let status: number | undefined;
    for (let tries = 0; tries < 100 && status !== 200; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      using again = await RawClient.connect(dashboard.address.port);
      await again.send(get("/api/stats", host));
      status = (await again.response())?.status;
    }
    assert.equal(status, 200);
  } finally {
    for (const client of streams) client[Symbol.dispose]();
  }
});

Deno.test("serveDashboard() streams events to a client that half-closed its side, and frees a closed one's stream", async () => {
  const hub = new EventHub();
  await using dashboard = serveDashboard(hub, { ...LOOPBACK_ANY_PORT, flushMs: 1 });
  const host = dashboard.url.slice(7, -1);
  {
    // As `printf 'GET /api/events ...' | nc -N` does: the request, then FIN.
    using client = await RawClient.connect(dashboard.address.port);
    await client.send(get("/api/events", host));
    await client.conn.closeWrite();
    assert.equal((await client.response())?.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    hub.emit(ev.datagram(UDP_ECHO, 4242));
    const { how, text } = await client.end(1000);
    assert.equal(how, "open", "the stream is still open");
    assert.match(text, /"bytesIn":4242/, "the half-closed client got the event");
  }
  // A client that half-closed and then closes for good, having read all it
  // got (so that its kernel sends no reset), sends nothing more: only the
  // heartbeats find it gone, the first after the close drawing a reset and
  // the next failing, within two heartbeat intervals (2 s each). (A dashboard
  // of its own: the first client's stream ends the same way meanwhile.)
  await using other = serveDashboard(hub, { ...LOOPBACK_ANY_PORT, flushMs: 1 });
  const otherStreams = async () =>
    (await (await fetch(new URL("/api/stats", other.url))).json()).streams;
  {
    using client = await RawClient.connect(other.address.port);
    await client.send(get("/api/events", other.url.slice(7, -1)));
    await client.conn.closeWrite();
    assert.equal((await client.response())?.status, 200);
    assert.equal(await otherStreams(), 1);
    // Reads for 300 ms, which takes the snapshot and the first two heartbeats, then closes.
    const { how, text } = await client.end(300);
    assert.equal(how, "open");
    assert.match(text, /:\n\n:\n\n$/, "two heartbeats, all read");
  }
  const closed = performance.now();
  let open = 1;
  while (open > 0 && performance.now() - closed < 4500) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    open = await otherStreams();
  }
  assert.equal(open, 0, "a half-closed client gone for good frees its stream within 4.5 s");
});

Deno.test("serveDashboard() gives a new connection the slot of the oldest one that waits for a request head", async () => {
  await using dashboard = serveDashboard(new EventHub(), { ...LOOPBACK_ANY_PORT, maxClients: 4 });
  const host = dashboard.url.slice(7, -1);
  const port = dashboard.address.port;
  const held: RawClient[] = [];
  try {
    // Every slot taken by a connection that holds it idly: two that send
    // nothing, one that sends half a head (slowloris), one kept idle after a request.
    held.push(await RawClient.connect(port), await RawClient.connect(port));
    const half = await RawClient.connect(port);
    held.push(half);
    await half.send(`GET / HTTP/1.1\r\nHost: ${host}\r\n`);
    const kept = await RawClient.connect(port);
    held.push(kept);
    await kept.send(get("/api/stats", host));
    assert.equal((await kept.response())?.status, 200);
    // Each newcomer takes the slot of the oldest idle one; without that, each
    // would get a 503 until the 5 s header or idle timeout.
    const fresh: RawClient[] = [];
    for (let i = 0; i < 4; i++) {
      const client = await RawClient.connect(port);
      held.push(client);
      fresh.push(client);
      await client.send(get("/api/stats", host));
      assert.equal((await client.response(2000))?.status, 200, `request ${i}`);
    }
    for (const idle of held.slice(0, 4)) {
      assert.notEqual((await idle.end(2000)).how, "open", "an idle connection yielded its slot");
    }
    // The newcomers, kept idle in turn, yield theirs to the next.
    using last = await RawClient.connect(port);
    await last.send(get("/api/stats", host));
    assert.equal((await last.response(2000))?.status, 200);
    assert.notEqual((await fresh[0].end(2000)).how, "open", "the oldest newcomer yielded");
  } finally {
    for (const client of held) client[Symbol.dispose]();
  }
});

Deno.test("serveDashboard() gives a new connection the slot of one that lingers after its answer without reading or closing", async () => {
  await using dashboard = serveDashboard(new EventHub(), { ...LOOPBACK_ANY_PORT, maxClients: 2 });
  const host = dashboard.url.slice(7, -1);
  const port = dashboard.address.port;
  // Each slot held by a client that got its answer and its end of stream,
  // and neither closes nor sends anything: muxd lingers 1 s for its close.
  using asksToClose = await RawClient.connect(port);
  await asksToClose.send(get("/api/stats", host, "Connection: close\r\n"));
  assert.equal((await asksToClose.response())?.status, 200);
  using badHead = await RawClient.connect(port);
  await badHead.send("NOT HTTP\r\n\r\n");
  assert.equal((await badHead.response())?.status, 400);
  // Without yielding, each newcomer would get a 503 for that second.
  for (let i = 0; i < 2; i++) {
    using client = await RawClient.connect(port);
    await client.send(get("/api/stats", host));
    assert.equal((await client.response(2000))?.status, 200, `request ${i}`);
  }
  assert.notEqual((await asksToClose.end(2000)).how, "open");
  assert.notEqual((await badHead.end(2000)).how, "open");
});

Deno.test("serveDashboard() gives a new connection the slot of the oldest event stream of a source holding more than 6", async () => {
  await using dashboard = serveDashboard(new EventHub(), { ...LOOPBACK_ANY_PORT, maxClients: 8 });
  const host = dashboard.url.slice(7, -1);
  const port = dashboard.address.port;
  const streams: RawClient[] = [];
  try {
    // Every slot an event stream from 127.0.0.1 that never reads past its head.
    for (let i = 0; i < 8; i++) {
      const client = await RawClient.connect(port);
      streams.push(client);
      await client.send(get("/api/events", host));
      assert.equal((await client.response())?.status, 200);
    }
    // A page opens, and its event stream too: each takes the slot of the oldest stream.
    for (let i = 0; i < 2; i++) {
      const client = await RawClient.connect(port);
      streams.push(client);
      await client.send(get("/api/events", host));
      assert.equal((await client.response(2000))?.status, 200, `stream ${8 + i}`);
      assert.notEqual((await streams[i].end(2000)).how, "open", `the oldest stream ${i} yielded`);
    }
    {
      using client = await RawClient.connect(port);
      await client.send(get("/api/stats", host));
      assert.equal((await client.response(2000))?.status, 200);
      assert.notEqual((await streams[2].end(2000)).how, "open", "the oldest stream yielded");
    }
    assert.equal((await streams[3].end(100)).how, "open", "the next stream stays");
  } finally {
    for (const client of streams) client[Symbol.dispose]();
  }
});

Deno.test("serveDashboard() keeps serving other pages while one event stream never reads", async () => {
  const hub = new EventHub();
  await using dashboard = serveDashboard(hub, { ...LOOPBACK_ANY_PORT, flushMs: 1 });
  hub.emit(ev.listening(UDP_ECHO));
  using stuck = await RawClient.connect(dashboard.address.port);
  await stuck.send(get("/api/events", dashboard.url.slice(7, -1)));
  const reader = new SseReader((await fetch(new URL("/api/events", dashboard.url))).body!);
  try {
    assert.equal((await reader.next())?.event, "snapshot");
    // The page reads all along, and sees the marker once it has caught up.
    const MARKER = 4242;
    const seen = (async () => {
      for (;;) {
        const message = await reader.next();
        if (message === null) return false;
        if (message.event === "message" && JSON.parse(message.data).bytesIn === MARKER) return true;
      }
    })();
    // Far more than the socket buffers of the stuck stream hold, published without waiting.
    const peer = { address: "127.0.0.1", port: 1 };
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 250; i++) hub.emit(ev.datagram(UDP_ECHO, 1000, peer));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    let found = false;
    seen.then((result) => found = result);
    for (let tries = 0; tries < 200 && !found; tries++) {
      hub.emit(ev.datagram(UDP_ECHO, MARKER));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(await seen, "the reading page's stream ended before it saw the marker");
    const stats = await (await fetch(new URL("/api/stats", dashboard.url))).json();
    assert.ok(stats.dropped > 0, "the stuck stream dropped events");
    assert.equal(stats.streams, 2);
  } finally {
    await reader.cancel();
  }
});

Deno.test("serveDashboard() shows running programs and relays in /api/sockets, the first snapshot, and live and traffic messages", async () => {
  const hub = new EventHub();
  await using dashboard = serveDashboard(hub, LOOPBACK_ANY_PORT);
  const client = { address: "127.0.0.1", port: 40000 };
  const forward = {
    time: 1000,
    transport: "tcp",
    listener: "tcp://127.0.0.1:7200=forward?to=127.0.0.1:8080",
    service: "forward",
    local: { address: "127.0.0.1", port: 7200 },
    remote: client,
  } as const;
  hub.emit({
    ...forward,
    type: "exec-started",
    listener: "tcp://127.0.0.1:7300=exec?run=cat",
    service: "exec",
    id: 1,
    pid: 812,
    program: "cat",
  });
  hub.emit({
    ...forward,
    type: "upstream-connected",
    id: 2,
    upstream: { address: "127.0.0.1", port: 8080 },
    from: { address: "127.0.0.1", port: 45000 },
  });
  let bytes = { bytesIn: 6, bytesOut: 0 };
  dashboard.follow({
    eachConnection: (visit) => visit(2, bytes.bytesIn, bytes.bytesOut),
    eachSession: () => {},
  });

  const api = await (await fetch(new URL("/api/sockets", dashboard.url))).json() as {
    live: Snapshot["live"];
  };
  assert.deepEqual(api.live.processes.map((p) => [p.pid, p.program]), [[812, "cat"]]);
  assert.deepEqual(api.live.relays.map((r) => [r.key, r.bytesIn, r.bytesOut]), [["tcp #2", 6, 0]]);
  const stats = await (await fetch(new URL("/api/stats", dashboard.url))).json();
  assert.deepEqual([stats.processes, stats.relays], [1, 1]);

  const sse = new SseReader((await fetch(new URL("/api/events", dashboard.url))).body!);
  try {
    const first = await sse.next();
    assert.equal(first?.event, "snapshot");
    const snapshot = JSON.parse(first.data) as Snapshot;
    assert.equal(snapshot.live.processes[0].pid, 812);
    assert.equal(snapshot.live.relays[0].bytesIn, 6);

    // Live counts arrive from the once-a-second read, without an event per chunk.
    bytes = { bytesIn: 6, bytesOut: 11 };
    const traffic = await withTimeout(sse.next(), 5000, "the traffic message");
    assert.equal(traffic?.event, "traffic");
    assert.deepEqual(JSON.parse(traffic.data), [
      { key: "tcp #2", bytesIn: 6, bytesOut: 11, datagramsIn: null, datagramsOut: null },
    ]);

    hub.emit({
      ...forward,
      type: "connection-closed",
      id: 2,
      bytesIn: 6,
      bytesOut: 12,
      durationMs: 40,
      reason: "done",
    });
    assert.equal((await sse.next())?.event, "message");
    const ended = await sse.next();
    assert.equal(ended?.event, "live");
    const change = JSON.parse(ended.data);
    assert.deepEqual(
      [change.key, change.row, change.ended.row.bytesOut, change.ended.how],
      ["tcp #2", null, 12, "closed"],
    );
  } finally {
    await sse.cancel();
  }
});

Deno.test("serveDashboard() keeps the latest 64 bind failures and failed rows when specs that cannot bind are added through the control API by the hundred", async () => {
  const hub = new EventHub();
  await using server = await start({ sink: hub.emit });
  await using dashboard = serveDashboard(hub, LOOPBACK_ANY_PORT);
  await using control = serveControl(server, LOOPBACK_ANY_PORT);
  const call = caller(control.url, control.token);
  // Each socket name is held by another socket, so each add fails to bind.
  const held = Array.from({ length: 100 }, () => Deno.listen(LOOPBACK_ANY_PORT));
  try {
    for (const holder of held) {
      const response = await call(
        "POST",
        "/v1/listeners",
        `tcp://127.0.0.1:${holder.addr.port}=echo`,
      );
      assert.equal(response.status, 409);
      await response.body?.cancel();
    }
    const body = await (await fetch(new URL("/api/sockets", dashboard.url))).json() as {
      sockets: SocketRow[];
      failures: { local: { port: number } }[];
    };
    const latest = held.slice(-64).map((h) => h.addr.port);
    assert.deepEqual(body.failures.map((f) => f.local.port), latest);
    assert.deepEqual(
      body.sockets.map((r) => [r.local.port, r.state]),
      latest.map((port) => [port, "failed"]),
    );
  } finally {
    for (const holder of held) holder.close();
  }
});
