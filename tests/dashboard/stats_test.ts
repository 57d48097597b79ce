import assert from "node:assert/strict";
import { DashboardStats, socketKey, type SocketRow } from "../../lib/dashboard/mod.ts";
import type { ServerEvent } from "../../lib/events/mod.ts";
import { ev, PEER, type Socket, TCP_ECHO, TCP_WHOAMI, UDP_ECHO } from "./_events.ts";

/** `tcp 0.0.0.0:7000`: one socket for every IPv4 address of the host. */
const TCP_WILDCARD: Socket = {
  transport: "tcp",
  local: { address: "0.0.0.0", port: 7000 },
  service: "whoami",
};

/** The fields of a row that the table compares. */
type Counters = Pick<
  SocketRow,
  | "key"
  | "service"
  | "state"
  | "open"
  | "total"
  | "bytesIn"
  | "bytesOut"
  | "errors"
  | "refused"
  | "suppressed"
>;

function counters(rows: readonly SocketRow[]): Counters[] {
  return rows.map((
    { key, service, state, open, total, bytesIn, bytesOut, errors, refused, suppressed },
  ) => ({ key, service, state, open, total, bytesIn, bytesOut, errors, refused, suppressed }));
}

const idle = { open: 0, total: 0, bytesIn: 0, bytesOut: 0, errors: 0, refused: 0, suppressed: 0 };
const none = { errors: 0, refused: 0, suppressed: 0 };

const cases: { name: string; events: ServerEvent[]; rows: Counters[] }[] = [
  {
    name: "one row per listening socket, in the order they were bound",
    events: [ev.listening(TCP_ECHO), ev.listening(TCP_WHOAMI), ev.listening(UDP_ECHO)],
    rows: [
      { key: "tcp 127.0.0.1:7007", service: "echo", state: "listening", ...idle },
      { key: "tcp 127.0.0.2:7007", service: "whoami", state: "listening", ...idle },
      { key: "udp 127.0.0.2:1060", service: "echo", state: "listening", ...idle },
    ],
  },
  {
    name: "a TCP connection counts as open until it closes, then adds its bytes",
    events: [
      ev.listening(TCP_ECHO),
      ev.opened(TCP_ECHO, 1),
      ev.opened(TCP_ECHO, 2),
      ev.connectionClosed(TCP_ECHO, 5, 5, 1),
    ],
    rows: [{
      key: "tcp 127.0.0.1:7007",
      service: "echo",
      state: "listening",
      open: 1,
      total: 2,
      bytesIn: 5,
      bytesOut: 5,
      ...none,
    }],
  },
  {
    name: "arrivals on one port count on the row of the address they were sent to",
    events: [
      ev.listening(TCP_ECHO),
      ev.listening(TCP_WHOAMI),
      ev.opened(TCP_WHOAMI),
      ev.connectionClosed(TCP_WHOAMI, 0, 120),
    ],
    rows: [
      { key: "tcp 127.0.0.1:7007", service: "echo", state: "listening", ...idle },
      {
        key: "tcp 127.0.0.2:7007",
        service: "whoami",
        state: "listening",
        open: 0,
        total: 1,
        bytesIn: 0,
        bytesOut: 120,
        ...none,
      },
    ],
  },
  {
    name: "UDP datagrams count bytes in, replies count bytes out",
    events: [
      ev.listening(UDP_ECHO),
      ev.datagram(UDP_ECHO, 6),
      ev.reply(UDP_ECHO, 6),
      ev.datagram(UDP_ECHO, 10),
    ],
    rows: [{
      key: "udp 127.0.0.2:1060",
      service: "echo",
      state: "listening",
      open: 0,
      total: 2,
      bytesIn: 16,
      bytesOut: 6,
      ...none,
    }],
  },
  {
    name: "a bind failure is a failed row, listed after the bound ones",
    events: [ev.bindFailed(TCP_WHOAMI), ev.listening(TCP_ECHO)],
    rows: [
      { key: "tcp 127.0.0.1:7007", service: "echo", state: "listening", ...idle },
      { key: "tcp 127.0.0.2:7007", service: "whoami", state: "failed", ...idle },
    ],
  },
  {
    name: "a name another spec did bind stays listening despite a failure for it",
    events: [
      ev.bindFailed({ ...TCP_ECHO, service: "whoami" }),
      ev.listening(TCP_ECHO),
      ev.bindFailed({ ...TCP_ECHO, service: "discard" }),
    ],
    rows: [{ key: "tcp 127.0.0.1:7007", service: "echo", state: "listening", ...idle }],
  },
  {
    name: "errors are counted and a closed listener is closed",
    events: [ev.listening(TCP_ECHO), ev.opened(TCP_ECHO), ev.error(TCP_ECHO), ev.closed(TCP_ECHO)],
    rows: [{
      key: "tcp 127.0.0.1:7007",
      service: "echo",
      state: "closed",
      open: 1,
      total: 1,
      bytesIn: 0,
      bytesOut: 0,
      errors: 1,
      refused: 0,
      suppressed: 0,
    }],
  },
  {
    name: "a wildcard listener counts connections to any of its addresses on its own row",
    events: [
      ev.listening(TCP_WILDCARD),
      ev.opened(TCP_WILDCARD, 1, PEER, { address: "127.0.0.2", port: 7000 }),
      ev.opened(TCP_WILDCARD, 2, PEER, { address: "127.0.0.3", port: 7000 }),
      ev.connectionClosed(TCP_WILDCARD, 1, 2, 1, { address: "127.0.0.2", port: 7000 }),
      ev.refused(TCP_WILDCARD, { address: "127.0.0.4", port: 7000 }),
    ],
    rows: [{
      key: "tcp 0.0.0.0:7000",
      service: "whoami",
      state: "listening",
      open: 1,
      total: 2,
      bytesIn: 1,
      bytesOut: 2,
      errors: 0,
      refused: 1,
      suppressed: 0,
    }],
  },
  {
    name: "a suppressed reply is counted; a cut one adds only the bytes its reply event sent",
    events: [
      ev.listening(UDP_ECHO),
      ev.datagram(UDP_ECHO, 1),
      ev.suppressed(UDP_ECHO),
      ev.datagram(UDP_ECHO, 1),
      ev.suppressed(UDP_ECHO, 3),
      ev.reply(UDP_ECHO, 3),
    ],
    rows: [{
      key: "udp 127.0.0.2:1060",
      service: "echo",
      state: "listening",
      open: 0,
      total: 2,
      bytesIn: 2,
      bytesOut: 3,
      errors: 0,
      refused: 0,
      suppressed: 2,
    }],
  },
  {
    name: "events for a socket without a row change nothing",
    events: [ev.datagram(UDP_ECHO, 6), ev.opened(TCP_ECHO), ev.closed(TCP_ECHO)],
    rows: [],
  },
];

for (const { name, events, rows } of cases) {
  Deno.test(`DashboardStats.record() keeps per-socket counters: ${name}`, () => {
    const stats = new DashboardStats();
    for (const event of events) stats.record(event);
    assert.deepEqual(counters(stats.sockets()), rows);
  });
}

Deno.test("DashboardStats.record() returns the row it changed, or null", () => {
  const stats = new DashboardStats();
  assert.equal(stats.record(ev.listening(UDP_ECHO))?.state, "listening");
  const row = stats.record(ev.datagram(UDP_ECHO, 6, { address: "127.0.0.1", port: 40000 }));
  assert.deepEqual(
    row && [row.key, row.total, row.lastRemote, row.lastArrival],
    ["udp 127.0.0.2:1060", 1, { address: "127.0.0.1", port: 40000 }, 1000],
  );
  assert.equal(stats.record(ev.datagram(TCP_ECHO, 1)), null);
});

Deno.test("DashboardStats.failures() lists every bind failure with its reason", () => {
  const stats = new DashboardStats();
  stats.record(ev.listening(TCP_ECHO));
  stats.record(ev.bindFailed({ ...TCP_ECHO, service: "whoami" }, "another socket holds it"));
  const [failure, ...rest] = stats.failures();
  assert.deepEqual(rest, []);
  assert.deepEqual(
    [failure.listener, failure.code, failure.reason],
    ["tcp://127.0.0.1:7007=whoami", "EADDRINUSE", "another socket holds it"],
  );
  assert.equal(stats.sockets()[0].reason, null);
});

Deno.test("DashboardStats.summary() totals every socket and counts unknown event types", () => {
  const stats = new DashboardStats(5);
  for (
    const event of [
      ev.listening(TCP_ECHO),
      ev.listening(UDP_ECHO),
      ev.bindFailed(TCP_WHOAMI),
      ev.opened(TCP_ECHO),
      ev.datagram(UDP_ECHO, 6),
      ev.reply(UDP_ECHO, 6),
      ev.suppressed(UDP_ECHO),
      // A type added later: counted, but it changes no row.
      { ...ev.datagram(UDP_ECHO, 6), type: "from-the-future" } as unknown as ServerEvent,
    ]
  ) stats.record(event);
  assert.deepEqual(stats.summary(), {
    since: 5,
    sockets: { listening: 2, closed: 0, failed: 1 },
    open: 1,
    connections: 1,
    datagrams: 1,
    refused: 0,
    suppressed: 1,
    bytesIn: 6,
    bytesOut: 6,
    faults: { counts: {}, sockets: [] },
    events: {
      "listening": 2,
      "bind-failed": 1,
      "connection-opened": 1,
      "datagram": 1,
      "reply": 1,
      "reply-suppressed": 1,
      "from-the-future": 1,
    },
  });
});

Deno.test("DashboardStats counts faults per socket by kind, and shows each socket's faults as a reload changes them", () => {
  const stats = new DashboardStats(5);
  const wildcard = { ...TCP_WILDCARD, service: "echo" } as const;
  const events = [
    ev.faultyListening(UDP_ECHO, "?drop=0.5&seed=1", 1),
    ev.listening(TCP_ECHO),
    ev.faultyListening(wildcard, "?latency=100", 77),
    ...Array.from({ length: 3 }, () => ev.fault(UDP_ECHO, "drop")),
    ev.fault(UDP_ECHO, "duplicate"),
    // A connection on the wildcard arrives on another address: counted on the wildcard's row.
    ev.opened(wildcard, 9, PEER, { address: "127.0.0.3", port: 7000 }),
    ev.fault(wildcard, "latency", 9, { address: "127.0.0.3", port: 7000 }),
    ev.faultsChanged(TCP_ECHO, "", "?reset-after=10", 5),
    ev.faultsChanged(UDP_ECHO, "?drop=0.5&seed=1", "", null),
  ];
  for (const event of events) stats.record(event);
  const view = (r: SocketRow) => [r.key, r.faults, r.faultCounts];
  assert.deepEqual(stats.sockets().map(view), [
    ["udp 127.0.0.2:1060", null, { drop: 3, duplicate: 1 }],
    ["tcp 127.0.0.1:7007", { text: "?reset-after=10", seed: 5 }, {}],
    ["tcp 0.0.0.0:7000", { text: "?latency=100", seed: 77 }, { latency: 1 }],
  ]);
  assert.equal(stats.sockets()[1].listener, "tcp://127.0.0.1:7007=echo?reset-after=10");
  assert.deepEqual(stats.summary().faults, {
    counts: { drop: 3, duplicate: 1, latency: 1 },
    sockets: stats.sockets().map((r) => ({ key: r.key, faults: r.faults, counts: r.faultCounts })),
  });
  // A row handed out does not change with later events.
  const before = stats.sockets()[0];
  const changed = stats.record(ev.fault(UDP_ECHO, "drop"));
  assert.deepEqual([before.faultCounts, changed?.faultCounts], [
    { drop: 3, duplicate: 1 },
    { drop: 4, duplicate: 1 },
  ]);
});

Deno.test("DashboardStats.arrivals() lists the latest 100 connections and datagrams, oldest first", () => {
  const stats = new DashboardStats();
  stats.record(ev.listening(TCP_ECHO));
  stats.record(ev.listening(UDP_ECHO));
  const peer = (port: number) => ({ address: "127.0.0.1", port });
  // 150 arrivals, each from its own port, with events that are no arrivals between them.
  for (let i = 1; i <= 150; i++) {
    stats.record(
      i % 2 === 0
        ? ev.datagram(UDP_ECHO, 6, peer(40000 + i))
        : ev.opened(TCP_ECHO, i, peer(40000 + i)),
    );
    stats.record(ev.reply(UDP_ECHO, 6));
    stats.record(ev.connectionClosed(TCP_ECHO, 1, 1, i));
  }
  const arrivals = stats.arrivals();
  assert.equal(arrivals.length, 100);
  assert.deepEqual(
    arrivals.map((a) => [a.type, a.remote.port]),
    Array.from({ length: 100 }, (_, k) => {
      const i = 51 + k;
      return [i % 2 === 0 ? "datagram" : "connection-opened", 40000 + i];
    }),
  );
});

Deno.test("DashboardStats.arrivals() lists every arrival while there are fewer than it keeps", () => {
  const stats = new DashboardStats(0, 3);
  assert.deepEqual(stats.arrivals(), []);
  stats.record(ev.datagram(UDP_ECHO, 6));
  stats.record(ev.suppressed(UDP_ECHO));
  stats.record(ev.opened(TCP_ECHO));
  assert.deepEqual(stats.arrivals().map((a) => a.type), ["datagram", "connection-opened"]);
});

Deno.test("DashboardStats instances share nothing", () => {
  const a = new DashboardStats();
  const b = new DashboardStats();
  a.record(ev.listening(TCP_ECHO));
  assert.equal(a.sockets().length, 1);
  assert.equal(b.sockets().length, 0);
});

Deno.test("socketKey() names the transport and the socket name, IPv6 in brackets", () => {
  assert.equal(socketKey("udp", { address: "::1", port: 1060 }), "udp [::1]:1060");
  assert.equal(socketKey("tcp", PEER), "tcp 127.0.0.1:51234");
});

Deno.test("DashboardStats.record() keeps the rows of the 64 most recently closed listeners, and every listening one", () => {
  const stats = new DashboardStats();
  const socket = (port: number): Socket => ({
    transport: "udp",
    local: { address: "127.0.0.1", port },
    service: "echo",
  });
  stats.record(ev.listening(TCP_ECHO));
  // Listeners added and removed through the control API, one after another.
  for (let port = 20000; port < 21000; port++) {
    stats.record(ev.listening(socket(port)));
    stats.record(ev.closed(socket(port)));
  }
  const rows = stats.sockets();
  assert.equal(rows.length, 1 + 64);
  assert.equal(rows[0].key, socketKey("tcp", TCP_ECHO.local));
  assert.deepEqual(
    rows.slice(1).map((r) => r.key),
    Array.from({ length: 64 }, (_, i) => socketKey("udp", socket(20936 + i).local)),
  );
  assert.equal(stats.summary().sockets.closed, 64);
});
