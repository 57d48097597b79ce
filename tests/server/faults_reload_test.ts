/**
 * A listener's faults are part of what start() reports, and a reload that
 * changes only them keeps the socket and its connections.
 */

import assert from "node:assert/strict";
import type { ServerEvent } from "../../lib/events/mod.ts";
import { start } from "../../lib/server/mod.ts";
import { planOf } from "../_support/plan.ts";
import { echoRoundTrip } from "../_support/socket.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("start() reports each listener's faults and seed in its listening event and its socket", async () => {
  const events: ServerEvent[] = [];
  const server = await start(
    planOf(
      "udp://127.0.0.1:0=size?drop=0.5&seed=1",
      "tcp://127.0.0.1:0=echo?latency=20",
      "tcp://127.0.0.1:0=echo",
    ),
    { sink: (e) => events.push(e) },
  );
  try {
    const listening = events.filter((e) => e.type === "listening");
    assert.deepEqual(listening[0].faults, { text: "?drop=0.5&seed=1", seed: 1 });
    assert.equal(listening[1].faults?.text, "?latency=20");
    assert.ok(Number.isInteger(listening[1].faults?.seed), "muxd picks a seed");
    assert.ok(!("faults" in listening[2]), "a listener without faults says nothing of them");
    assert.deepEqual(server.sockets.map((s) => s.faults), listening.map((e) => e.faults ?? null));
  } finally {
    await server.close({ graceMs: 0 });
  }
});

Deno.test("RunningServer.reconfigure() changes only the faults of a listener whose faults alone changed", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf("tcp://127.0.0.1:0=echo", "udp://127.0.0.1:0=echo"), {
    sink: (e) => events.push(e),
  });
  try {
    const ports = server.sockets.map((s) => s.local.port);
    using before = await Deno.connect({ hostname: "127.0.0.1", port: ports[0] });
    assert.ok(await echoRoundTrip(before, bytes("before\n")));
    events.length = 0;

    const r = await server.reconfigure(
      planOf("tcp://127.0.0.1:0=echo?latency=50", "udp://127.0.0.1:0=echo?drop=1&seed=3"),
    );
    assert.deepEqual([r.added, r.removed, r.kept, r.failures], [0, 0, 2, 0]);
    assert.deepEqual(r.faultsChanged.map((s) => s.local.port), ports);
    assert.deepEqual(server.sockets.map((s) => s.local.port), ports, "the same sockets");
    assert.equal(server.sockets[0].faults?.text, "?latency=50");
    assert.deepEqual(server.sockets[1].faults, { text: "?drop=1&seed=3", seed: 3 });
    assert.deepEqual(server.sockets[1].spec, "udp://127.0.0.1:0=echo?drop=1&seed=3");
    const changed = events.filter((e) => e.type === "faults-changed");
    assert.deepEqual(
      changed.map((e) => [e.transport, e.local.port, e.before, e.after]),
      [["tcp", ports[0], "", "?latency=50"], ["udp", ports[1], "", "?drop=1&seed=3"]],
    );
    assert.equal(changed[0].seed, server.sockets[0].faults?.seed);
    assert.equal(changed[1].seed, 3);
    assert.deepEqual(
      events.filter((e) => e.type !== "faults-changed").map((e) => e.type),
      [],
      "nothing closed, nothing bound",
    );
    assert.ok(await echoRoundTrip(before, bytes("after\n")), "the open connection goes on");

    // The same faults again: nothing changes.
    events.length = 0;
    const same = await server.reconfigure(
      planOf("tcp://127.0.0.1:0=echo?latency=50", "udp://127.0.0.1:0=echo?drop=1&seed=3"),
    );
    assert.deepEqual([same.kept, same.faultsChanged.length, events.length], [2, 0, 0]);

    // No faults any more.
    const none = await server.reconfigure(
      planOf("tcp://127.0.0.1:0=echo", "udp://127.0.0.1:0=echo"),
    );
    assert.deepEqual([none.kept, none.faultsChanged.length], [2, 2]);
    assert.deepEqual(server.sockets.map((s) => s.faults), [null, null]);
    assert.deepEqual(
      events.map((e) => e.type === "faults-changed" && [e.before, e.after, e.seed]),
      [["?latency=50", "", null], ["?drop=1&seed=3", "", null]],
    );
    assert.ok(await echoRoundTrip(before, bytes("still\n")));
  } finally {
    await server.close({ graceMs: 0 });
  }
});

Deno.test("RunningServer.reconfigure() changes nothing, faults included, when a new listener fails to bind", async () => {
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = await start(planOf("udp://127.0.0.1:0=echo"));
  try {
    await assert.rejects(
      server.reconfigure(
        planOf("udp://127.0.0.1:0=echo?drop=1", `tcp://127.0.0.1:${held.addr.port}=echo`),
      ),
    );
    assert.equal(server.sockets[0].faults, null);
  } finally {
    await server.close({ graceMs: 0 });
  }
});

Deno.test("RunningServer.reconfigure() that changes only a UDP listener's faults names the new spec in its datagram, reply and suppression events", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf("udp://127.0.0.1:0=echo"), { sink: (e) => events.push(e) });
  try {
    const port = server.sockets[0].local.port;
    const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const to = { transport: "udp", hostname: "127.0.0.1", port } as const;
    const ask = async () => {
      await client.send(bytes("hi"), to);
      await client.receive();
    };
    await ask();
    await server.reconfigure(planOf("udp://127.0.0.1:0=echo?delay=1&seed=1"));
    events.length = 0;
    await ask();
    const spec = server.sockets[0].spec;
    assert.equal(spec, "udp://127.0.0.1:0=echo?delay=1&seed=1");
    const named = events.filter((e) => e.type === "datagram" || e.type === "reply")
      .map((e) => [e.type, e.listener]);
    assert.deepEqual(named, [["datagram", spec], ["reply", spec]]);
    client.close();
  } finally {
    await server.close({ graceMs: 0 });
  }
});
