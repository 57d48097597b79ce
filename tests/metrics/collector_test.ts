import assert from "node:assert/strict";
import { EventHub } from "../../lib/events/mod.ts";
import { MetricsCollector } from "../../lib/metrics/mod.ts";
import { ev, PEER, type Socket, TCP_ECHO, UDP_ECHO } from "../dashboard/_events.ts";

const WILDCARD: Socket = {
  transport: "tcp",
  local: { address: "0.0.0.0", port: 7000 },
  service: "echo",
};

/** A collector subscribed to a fresh hub. */
function collecting(options?: ConstructorParameters<typeof MetricsCollector>[0]) {
  const hub = new EventHub((e) => {
    throw e;
  });
  const metrics = new MetricsCollector(options);
  hub.subscribe(metrics.record);
  return { hub, metrics };
}

Deno.test("MetricsCollector counts a wildcard listener's connection on the listener's series", () => {
  const { hub, metrics } = collecting();
  const to = { address: "127.0.0.2", port: 7000 };
  hub.emit(ev.listening(WILDCARD));
  hub.emit(ev.opened(WILDCARD, 7, PEER, to));
  hub.emit(ev.fault(WILDCARD, "latency", 7, to));
  hub.emit(ev.connectionClosed(WILDCARD, 10, 20, 7, to));
  hub.emit(ev.refused(WILDCARD, to));
  const all = metrics.series();
  assert.equal(all.length, 1);
  const [s] = all;
  assert.deepEqual(s.labels, { transport: "tcp", local: "0.0.0.0:7000", service: "echo" });
  assert.equal(s.counters.opened, 1);
  assert.equal(s.open, 0);
  assert.deepEqual([...s.counters.closed], [["done", 1]]);
  assert.deepEqual([...s.counters.faults], [["latency", 1]]);
  assert.deepEqual([...s.counters.refused], [["listener-full", 1]]);
  assert.equal(s.counters.bytesIn, 10);
  assert.equal(s.counters.bytesOut, 20);
  assert.equal(s.counters.durations.snapshot().count, 1);
});

Deno.test("MetricsCollector.reset() zeroes the counters and keeps the open connections and states", () => {
  let clock = 1000;
  const { hub, metrics } = collecting({ now: () => clock });
  hub.emit(ev.listening(TCP_ECHO));
  hub.emit(ev.listening(UDP_ECHO));
  hub.emit(ev.opened(TCP_ECHO, 1));
  hub.emit(ev.datagram(UDP_ECHO, 5));
  hub.emit(ev.suppressed(UDP_ECHO));
  clock = 5000;
  metrics.reset();
  assert.equal(metrics.since, 5000);
  const [tcp, udp] = metrics.series();
  assert.equal(tcp.counters.opened, 0);
  assert.equal(tcp.open, 1);
  assert.equal(tcp.up, true);
  assert.equal(udp.counters.datagrams, 0);
  assert.equal(udp.counters.suppressed.size, 0);
  // The connection opened before the reset still closes on its series.
  hub.emit(ev.connectionClosed(TCP_ECHO, 3, 3, 1));
  assert.equal(metrics.series()[0].open, 0);
  assert.equal(metrics.series()[0].counters.bytesIn, 3);
});

Deno.test("MetricsCollector keeps the series of the latest closed listeners only, and a listener that binds again goes on counting", () => {
  const { hub, metrics } = collecting({ keepClosed: 2 });
  const sockets: Socket[] = [1, 2, 3, 4].map((n) => ({
    ...TCP_ECHO,
    local: { address: "127.0.0.1", port: n },
  }));
  for (const s of sockets) {
    hub.emit(ev.listening(s));
    hub.emit(ev.opened(s, s.local.port));
    hub.emit(ev.connectionClosed(s, 1, 1, s.local.port));
  }
  hub.emit(ev.closed(sockets[0]));
  hub.emit(ev.closed(sockets[1]));
  hub.emit(ev.listening(sockets[1])); // bound again: no longer closed
  hub.emit(ev.closed(sockets[2]));
  hub.emit(ev.closed(sockets[3]));
  // Closed, oldest first: 1, 3, 4; two are kept.
  assert.deepEqual(
    metrics.series().map((s) => [s.labels.local, s.up, s.counters.opened]),
    [["127.0.0.1:2", true, 1], ["127.0.0.1:3", false, 1], ["127.0.0.1:4", false, 1]],
  );
});

Deno.test("MetricsCollector ignores the events of a listener it has not seen listening", () => {
  const { hub, metrics } = collecting();
  hub.emit(ev.datagram(UDP_ECHO, 5));
  hub.emit(ev.opened(TCP_ECHO));
  assert.equal(metrics.series().length, 0);
});
