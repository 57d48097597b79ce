import assert from "node:assert/strict";
import {
  DashboardBindError,
  EventStreams,
  serveDashboard,
  type Snapshot,
  type SocketRow,
  type StatsSummary,
} from "../../lib/dashboard/mod.ts";
import { EventHub } from "../../lib/events/mod.ts";
import { ev, TCP_ECHO, TCP_WHOAMI, UDP_ECHO } from "./_events.ts";
import { SseReader } from "./_sse.ts";

const LOOPBACK_ANY_PORT = { hostname: "127.0.0.1", port: 0 };

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

Deno.test("EventStreams.publish() drops messages for a slow stream, counts them, then sends a snapshot", async () => {
  let version = 0;
  const streams = new EventStreams(
    () => ({
      sockets: [],
      failures: [],
      stats: { since: version } as unknown as StatsSummary,
    }),
    { queueLimit: 4 },
  );
  const sse = new SseReader(streams.open());
  try {
    // The stream holds retry and a snapshot; a few more fit, the rest are dropped.
    for (let i = 0; i < 10; i++) streams.publish(ev.datagram(UDP_ECHO, i), null);
    const dropped = streams.dropped;
    assert.ok(dropped >= 5 && dropped < 10, `dropped ${dropped} of 10`);
    version = 1;
    assert.equal((await sse.next())?.event, "snapshot");
    const delivered = [];
    for (;;) {
      const message = await sse.next();
      if (message?.event !== "message") {
        // Once the browser has caught up it gets the state as it is now.
        assert.equal(message?.event, "snapshot");
        const snapshot = JSON.parse(message.data) as Snapshot;
        assert.deepEqual([snapshot.dropped, snapshot.stats.since], [dropped, 1]);
        break;
      }
      delivered.push(JSON.parse(message.data).bytesIn);
    }
    assert.deepEqual(delivered, [...Array(10 - dropped).keys()], "the first events, in order");
    // Caught up: events flow again.
    streams.publish(ev.datagram(UDP_ECHO, 42), null);
    assert.equal(JSON.parse((await sse.next())!.data).bytesIn, 42);
  } finally {
    streams.close();
    await sse.cancel();
  }
  assert.equal(streams.clients, 0);
});

Deno.test("EventStreams.open() after close() gives a stream that has already ended", async () => {
  const streams = new EventStreams(() => ({
    sockets: [],
    failures: [],
    stats: {} as StatsSummary,
  }));
  streams.close();
  const sse = new SseReader(streams.open());
  assert.equal(await sse.next(), null);
  assert.equal(streams.clients, 0);
});
