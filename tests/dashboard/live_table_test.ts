import assert from "node:assert/strict";
import { LiveTable, type RelayRow, sessionKey } from "../../lib/dashboard/mod.ts";
import type { LiveTraffic } from "../../lib/dispatch/mod.ts";
import type { ServerEvent } from "../../lib/events/mod.ts";
import { start } from "../../lib/server/mod.ts";
import type { SocketName } from "../../lib/spec/mod.ts";
import { planOf } from "../_support/plan.ts";
import { readExactly, writeAll } from "../_support/socket.ts";
import { waitUntil } from "../_support/wait.ts";

const CLIENT: SocketName = { address: "127.0.0.1", port: 40000 };
const UPSTREAM: SocketName = { address: "127.0.0.1", port: 8080 };
const FROM: SocketName = { address: "127.0.0.1", port: 45000 };

const execTcp = {
  transport: "tcp",
  listener: "tcp://127.0.0.1:7300=exec?run=cat",
  service: "exec",
  local: { address: "127.0.0.1", port: 7300 },
  remote: CLIENT,
} as const;

const forwardTcp = {
  transport: "tcp",
  listener: "tcp://127.0.0.1:7200=forward?to=127.0.0.1:8080",
  service: "forward",
  local: { address: "127.0.0.1", port: 7200 },
  remote: CLIENT,
} as const;

const forwardUdp = {
  transport: "udp",
  listener: "udp://127.0.0.1:7253=forward?to=127.0.0.1:8080",
  service: "forward",
  local: { address: "127.0.0.1", port: 7253 },
  remote: CLIENT,
} as const;

const started = (pid: number, id: number | null = 1): ServerEvent => ({
  ...execTcp,
  type: "exec-started",
  time: 1000,
  id,
  pid,
  program: "cat",
});

const exited = (pid: number, signal: string | null = null): ServerEvent => ({
  ...execTcp,
  type: "exec-exited",
  time: 1500,
  id: 1,
  pid,
  program: "cat",
  code: signal === null ? 0 : null,
  signal,
  endedBy: signal === null ? null : "time-limit",
  runMs: 500,
  stderrDropped: 0,
});

const tcpConnected = (id: number): ServerEvent => ({
  ...forwardTcp,
  type: "upstream-connected",
  time: 2000,
  id,
  upstream: UPSTREAM,
  from: FROM,
});

const tcpClosed = (id: number, bytesIn: number, bytesOut: number): ServerEvent => ({
  ...forwardTcp,
  type: "connection-closed",
  time: 2300,
  id,
  bytesIn,
  bytesOut,
  durationMs: 300,
  reason: "done",
});

const udpConnected: ServerEvent = {
  ...forwardUdp,
  type: "upstream-connected",
  time: 3000,
  id: null,
  upstream: UPSTREAM,
  from: FROM,
};

const udpClosed: ServerEvent = {
  ...forwardUdp,
  type: "session-closed",
  time: 4000,
  upstream: UPSTREAM,
  datagramsIn: 2,
  bytesIn: 12,
  datagramsOut: 1,
  bytesOut: 40,
  durationMs: 1000,
  reason: "idle",
};

Deno.test("LiveTable.record() lists a program from exec-started and moves it to the ended rows at exec-exited", () => {
  const live = new LiveTable();
  const change = live.record(started(812));
  assert.equal(change?.key, "exec 812");
  assert.deepEqual(live.state(1200).processes, [{
    kind: "process",
    key: "exec 812",
    transport: "tcp",
    listener: execTcp.listener,
    local: execTcp.local,
    remote: CLIENT,
    id: 1,
    started: 1000,
    pid: 812,
    program: "cat",
  }]);
  const end = live.record(exited(812));
  assert.equal(end?.row, null);
  assert.equal(end?.ended?.how, "exited with status 0");
  const state = live.state();
  assert.deepEqual(state.processes, []);
  assert.deepEqual(
    state.ended.map((e) => [e.row.key, e.ended, e.durationMs, e.how]),
    [["exec 812", 1500, 500, "exited with status 0"]],
  );
});

Deno.test("LiveTable.record() says which signal ended a program and why muxd sent it", () => {
  const live = new LiveTable();
  live.record(started(900, null));
  const end = live.record(exited(900, "SIGTERM"));
  assert.equal(
    end?.ended?.how,
    "killed by SIGTERM (ended by muxd: it ran for max-seconds)",
  );
});

Deno.test("LiveTable.record() lists a TCP relay from upstream-connected and ends it with connection-closed's bytes", () => {
  const live = new LiveTable();
  live.record(tcpConnected(3));
  const [row] = live.state().relays;
  assert.deepEqual(
    [row.key, row.upstream, row.from, row.bytesIn, row.bytesOut, row.datagramsIn],
    ["tcp #3", UPSTREAM, FROM, 0, 0, null],
  );
  // Another connection's close (not a relay) changes nothing.
  assert.equal(live.record(tcpClosed(4, 1, 1)), null);
  const end = live.record(tcpClosed(3, 6, 7));
  assert.equal(end?.key, "tcp #3");
  const relay = end?.ended?.row as RelayRow;
  assert.deepEqual([relay.bytesIn, relay.bytesOut, end?.ended?.how], [6, 7, "closed"]);
  assert.deepEqual(live.state().relays, []);
});

Deno.test("LiveTable.record() lists a UDP session by listening socket and client, and ends it with session-closed's counts", () => {
  const live = new LiveTable();
  live.record(udpConnected);
  const key = sessionKey(forwardUdp.local, CLIENT);
  assert.equal(key, "udp 127.0.0.1:7253 <- 127.0.0.1:40000");
  assert.deepEqual(live.state().relays.map((r) => [r.key, r.datagramsIn, r.datagramsOut]), [
    [key, 0, 0],
  ]);
  const end = live.record(udpClosed);
  const relay = end?.ended?.row as RelayRow;
  assert.deepEqual(
    [relay.datagramsIn, relay.bytesIn, relay.datagramsOut, relay.bytesOut, end?.ended?.how],
    [2, 12, 1, 40, "idle"],
  );
  assert.equal(live.relays, 0);
});

Deno.test("LiveTable keeps only the latest ended rows it was asked to", () => {
  const live = new LiveTable(2);
  for (const pid of [1, 2, 3]) {
    live.record(started(pid));
    live.record(exited(pid));
  }
  assert.deepEqual(live.state().ended.map((e) => e.row.key), ["exec 2", "exec 3"]);
});

Deno.test("LiveTable.refresh() reports only the relays whose counts changed since the last refresh", () => {
  const live = new LiveTable();
  live.record(tcpConnected(3));
  live.record(udpConnected);
  let tcp = { bytesIn: 5, bytesOut: 0 };
  const session = { datagramsIn: 1, bytesIn: 3, datagramsOut: 0, bytesOut: 0 };
  const traffic: LiveTraffic = {
    eachConnection: (visit) => {
      visit(3, tcp.bytesIn, tcp.bytesOut);
      visit(9, 100, 100); // not a relay
    },
    eachSession: (visit) => visit(forwardUdp.local, CLIENT, session),
  };
  assert.deepEqual(live.refresh(traffic), [
    { key: "tcp #3", bytesIn: 5, bytesOut: 0, datagramsIn: null, datagramsOut: null },
    { key: sessionKey(forwardUdp.local, CLIENT), ...session },
  ]);
  assert.deepEqual(live.refresh(traffic), []);
  tcp = { bytesIn: 5, bytesOut: 9 };
  assert.deepEqual(live.refresh(traffic).map((u) => [u.key, u.bytesOut]), [["tcp #3", 9]]);
  assert.equal(live.state().relays[0].bytesOut, 9);
});

Deno.test("LiveTable.refresh() reads the live bytes of a running server's TCP relay and UDP session", async () => {
  // A real upstream on loopback for each transport, answering with its own bytes.
  using tcpUpstream = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const udpUpstream = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const udpClient = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const udpPort = (udpUpstream.addr as Deno.NetAddr).port;
  const live = new LiveTable();
  const server = await start(
    planOf(
      `tcp://127.0.0.1:0=forward?to=127.0.0.1:${tcpUpstream.addr.port}`,
      `udp://127.0.0.1:0=forward?to=127.0.0.1:${udpPort}`,
    ),
    { sink: (event) => void live.record(event) },
  );
  try {
    const port = server.sockets[0].local.port;
    using client = await Deno.connect({ hostname: "127.0.0.1", port });
    using upstreamSide = await tcpUpstream.accept();
    await writeAll(client, new Uint8Array(10));
    await readExactly(upstreamSide, 10);
    await writeAll(upstreamSide, new Uint8Array(25));
    await readExactly(client, 25);

    const to = { transport: "udp", hostname: "127.0.0.1", port: server.sockets[1].local.port };
    await udpClient.send(new Uint8Array(7), to as Deno.NetAddr);
    const [, from] = await udpUpstream.receive();
    await udpUpstream.send(new Uint8Array(30), from);
    await udpClient.receive();

    await waitUntil(() => live.relays === 2, 5000, "both relays in the table");
    const updates = live.refresh(server.traffic);
    const byTransport = Object.fromEntries(
      live.state().relays.map((r) => [
        r.transport,
        [r.bytesIn, r.bytesOut, r.datagramsIn, r.datagramsOut],
      ]),
    );
    assert.deepEqual(byTransport, { tcp: [10, 25, null, null], udp: [7, 30, 1, 1] });
    assert.equal(updates.length, 2);
  } finally {
    await server.close({ graceMs: 0 });
    udpClient.close();
    udpUpstream.close();
  }
});
