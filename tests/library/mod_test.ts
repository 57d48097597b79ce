/**
 * The library entry as a user imports it, by the package's name (deno.json
 * `exports`), and nothing else of muxd: start on port 0, read the ports,
 * add, fault, clear, remove, and read the events, with real clients.
 */

import assert from "node:assert/strict";
import {
  connectedPeersBySs,
  type MuxdServer,
  SpecError,
  start,
  StartError,
  type SubscribedEvent,
  UnknownListenerError,
} from "@muxd/muxd";
import { closeQuietly, freePort, udpRoundTrip } from "../_support/socket.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Sends one datagram to the port and waits up to `ms` for a reply; `null` when none came. */
async function ask(port: number, text: string, ms = 1000): Promise<string | null> {
  const reply = await udpRoundTrip(port, bytes(text), ms);
  return reply === null ? null : new TextDecoder().decode(reply);
}

/** Reads events until one matches, or fails after `ms`. */
async function until(
  events: AsyncIterator<SubscribedEvent>,
  match: (e: SubscribedEvent) => boolean,
  ms = 5000,
): Promise<SubscribedEvent> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no matching event in ${ms} ms`)), ms);
  });
  try {
    for (;;) {
      const next = await Promise.race([events.next(), late]);
      if (next.done) throw new Error("the events ended");
      if (match(next.value)) return next.value;
    }
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("start() from @muxd/muxd serves on port 0; add(), setFaults(), remove() and events work as a test suite uses them", async () => {
  await using server: MuxdServer = await start({ listen: ["tcp://127.0.0.1:0=echo"] });
  const [echo] = server.sockets;
  assert.ok(echo.local.port > 0, "the real port");
  assert.equal(echo.id, `tcp-127.0.0.1-${echo.local.port}`);
  const events = server.events;

  const [udp] = await server.add("udp://127.0.0.1:0=echo");
  assert.equal(udp.origin, "api");
  const listening = await until(events, (e) => e.type === "listening");
  assert.equal(listening.type === "listening" && listening.local.port, udp.local.port);
  assert.equal(await ask(udp.local.port, "one"), "one");

  await server.setFaults(udp.id, "drop=1");
  assert.equal(await ask(udp.local.port, "two", 300), null, "dropped: no reply");
  const fault = await until(events, (e) => e.type === "fault");
  assert.equal(fault.type === "fault" && fault.fault, "drop");

  await server.setFaults(udp.id, null);
  assert.equal(await ask(udp.local.port, "three"), "three");

  {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: echo.local.port });
    await conn.write(bytes("hi"));
    const reply = new Uint8Array(2);
    assert.equal(await conn.read(reply), 2);
  }
  const removed = await server.remove(echo.id);
  assert.equal(removed.socket.id, echo.id);
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: echo.local.port }),
    Deno.errors.ConnectionRefused,
  );
  await until(events, (e) => e.type === "listener-closed");
  await assert.rejects(server.remove(echo.id), UnknownListenerError);
  assert.deepEqual(server.sockets.map((s) => s.id), [udp.id]);
});

Deno.test("start() rejects a bad spec with one line naming it, and binds nothing", async () => {
  const port = freePort();
  await assert.rejects(
    start({ listen: [`tcp://127.0.0.1:${port}=echo`, "tcp://127.0.0.1:0=echo?drop=1"] }),
    (e: unknown) =>
      e instanceof SpecError && !e.message.includes("\n") &&
      e.message.startsWith(
        'Cannot use listen spec "tcp://127.0.0.1:0=echo?drop=1" (spec 2 of start()): ' +
          "option drop applies to UDP listeners only",
      ),
  );
  Deno.listen({ hostname: "127.0.0.1", port }).close();
});

Deno.test("start() refuses an eventBuffer below 1 at once, binding nothing, rather than at each subscription", async () => {
  for (const eventBuffer of [0, -1, 1.5, NaN]) {
    await assert.rejects(
      start({ listen: ["tcp://127.0.0.1:0=echo"], eventBuffer }),
      { name: "RangeError", message: `eventBuffer holds at least 1 event, not ${eventBuffer}` },
    );
  }
});

Deno.test("MuxdServer.add() binds nothing when the 2nd of 2 specs fails to bind", async () => {
  await using server = await start();
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = freePort();
  await assert.rejects(
    server.add([`tcp://127.0.0.1:${port}=echo`, `tcp://127.0.0.1:${held.addr.port}=echo`]),
    (e: unknown) =>
      e instanceof StartError &&
      e.message.startsWith(
        `Cannot bind tcp 127.0.0.1:${held.addr.port} (tcp://127.0.0.1:${held.addr.port}=echo): `,
      ),
  );
  assert.deepEqual(server.sockets, []);
  Deno.listen({ hostname: "127.0.0.1", port }).close();
  await assert.rejects(server.add("udp://127.0.0.1:0=nope"), SpecError);
  assert.deepEqual(server.sockets, []);
});

Deno.test("MuxdServer.subscribe() keeps a slow reader's memory bounded: the oldest events go, and a gap counts them", async () => {
  await using server = await start();
  const events = server.subscribe({ buffer: 2 });
  const added = await server.add([
    "udp://127.0.0.1:0=echo",
    "udp://127.0.0.1:0=echo",
    "udp://127.0.0.1:0=echo",
    "udp://127.0.0.1:0=echo",
  ]);
  const first = await events.next();
  assert.deepEqual(first.value, { type: "gap", time: first.value?.time, dropped: 2 });
  const rest = [(await events.next()).value, (await events.next()).value];
  assert.deepEqual(
    rest.map((e) => e?.type === "listening" && e.local.port),
    added.slice(2).map((s) => s.local.port),
  );
  assert.equal(events.dropped, 2);
});

Deno.test("MuxdServer.events ends once the server has closed, after the shutdown's events", async () => {
  const server = await start({ listen: ["udp://127.0.0.1:0=echo"] });
  const events = server.events;
  await server.close();
  const seen: string[] = [];
  for await (const e of events) seen.push(e.type);
  assert.deepEqual(seen, ["listener-closed"]);
  // One opened after the close ends at once: no event will come.
  const late: string[] = [];
  for await (const e of server.events) late.push(e.type);
  assert.deepEqual(late, []);
});

Deno.test("MuxdServer.setFaults() on a UDP forward listener: the sessions that follow name the listener with its new faults", async () => {
  // The upstream: an echo server in this process.
  const upstream = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const echoing = (async () => {
    try {
      for (;;) {
        const [data, from] = await upstream.receive();
        await upstream.send(data, from);
      }
    } catch (error) {
      const closed = error instanceof Deno.errors.BadResource ||
        error instanceof Deno.errors.Interrupted;
      if (!closed) throw error;
    }
  })();
  try {
    const to = (upstream.addr as Deno.NetAddr).port;
    await using server = await start({ listen: [`udp://127.0.0.1:0=forward?to=127.0.0.1:${to}`] });
    const [udp] = server.sockets;
    await server.setFaults(udp.id, "duplicate=0&seed=1");
    const events = server.events[Symbol.asyncIterator]();
    assert.equal(await ask(udp.local.port, "hi"), "hi");
    const session = await until(events, (e) => e.type === "upstream-connected");
    assert.equal((session as { listener: string }).listener, server.sockets[0].spec);
    assert.match(server.sockets[0].spec, /duplicate=0&seed=1/);
    await events.return?.();
  } finally {
    upstream.close();
    await echoing;
  }
});

Deno.test("start({ connectedPeers }) lets the UDP loop rule spare a loopback client its lookup says is connected", async () => {
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const me = `127.0.0.1 ${(client.addr as Deno.NetAddr).port}`;
  let asked = 0;
  await using server = await start({
    listen: ["udp://127.0.0.1:0=echo"],
    connectedPeers: () => (asked++, Promise.resolve(new Set([me]))),
  });
  const to = {
    transport: "udp" as const,
    hostname: "127.0.0.1",
    port: server.sockets[0].local.port,
  };
  // A suppressed reply would leave a receive waiting: the timer ends it.
  const timer = setTimeout(() => client.close(), 3000);
  let replies = 0;
  try {
    for (let i = 0; i < 150; i++) {
      await client.send(bytes("ping"), to);
      await client.receive();
      replies++;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
      throw error;
    }
  } finally {
    clearTimeout(timer);
    closeQuietly(client);
  }
  assert.equal(replies, 150);
  assert.equal(asked, 1);
});

Deno.test("MuxdServer.close() ends the loop rule's ss lookup under way and waits for it: nothing is left running (the test's sanitizers)", async () => {
  // An ss that takes 0.3 s to end after its SIGTERM: close() must wait for it.
  const slowSs = async (_: readonly string[], signal?: AbortSignal) => {
    const script = "trap '' TERM; sleep 0.3";
    const out = await new Deno.Command("sh", { args: ["-c", script], signal, stdout: "piped" })
      .output();
    return { code: out.code, stdout: "", stderr: "" };
  };
  const server = await start({
    listen: ["udp://127.0.0.1:0=echo"],
    connectedPeers: connectedPeersBySs(slowSs, () => true),
  });
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to = {
    transport: "udp" as const,
    hostname: "127.0.0.1",
    port: server.sockets[0].local.port,
  };
  try {
    // The 100th identical datagram trips the rule: muxd asks ss, answers, and
    // is closed as its reply comes, with ss still running.
    for (let i = 0; i < 100; i++) {
      await client.send(bytes("ping"), to);
      await client.receive();
    }
  } finally {
    client.close();
  }
  await server.close({ graceMs: 0 });
});

Deno.test("MuxdServer.close() a second time at once ends the wait for a UDP exec reply on its way at once", async () => {
  const server = await start({ listen: ["udp://127.0.0.1:0=exec?run=sh,-c,sleep%205"] });
  const events = server.events[Symbol.asyncIterator]();
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const to = {
      transport: "udp" as const,
      hostname: "127.0.0.1",
      port: server.sockets[0].local.port,
    };
    await client.send(bytes("ping"), to);
    await until(events, (e) => e.type === "exec-started");
  } finally {
    client.close();
  }
  const started = performance.now();
  const first = server.close({ graceMs: 20_000 });
  await server.close();
  await first;
  const took = performance.now() - started;
  assert.ok(took < 3000, `closing took ${took.toFixed(0)} ms`);
  await events.return?.();
});

Deno.test("MuxdServer.subscribe() opened after start() without a sink gets each datagram's datagram and reply events, and so does one opened again later", async () => {
  // Nothing takes a datagram's events until the subscription: muxd makes them from then on.
  await using server = await start({ listen: ["udp://127.0.0.1:0=echo"] });
  const [udp] = server.sockets;
  assert.equal(await ask(udp.local.port, "unseen"), "unseen");
  for (const round of ["first", "second"]) {
    const events = server.subscribe();
    for (const text of [`${round} a`, `${round} bb`]) {
      assert.equal(await ask(udp.local.port, text), text);
    }
    const seen: string[] = [];
    while (seen.length < 4) {
      const e = await until(events, (e) => e.type === "datagram" || e.type === "reply");
      if (e.type === "datagram") seen.push(`datagram ${e.bytesIn}`);
      if (e.type === "reply") seen.push(`reply ${e.bytesOut}`);
    }
    const n = round.length;
    assert.deepEqual(seen, [
      `datagram ${n + 2}`,
      `reply ${n + 2}`,
      `datagram ${n + 3}`,
      `reply ${n + 3}`,
    ]);
    await events.return();
    assert.equal(await ask(udp.local.port, "between"), "between");
  }
});

Deno.test("MuxdServer.close() ends every subscription also when it rejects with what onUnbound threw", async () => {
  const server = await start({ listen: ["tcp://127.0.0.1:0=echo"] });
  const events = server.subscribe();
  const failure = new Error("the harness's callback failed");
  await assert.rejects(
    server.close({
      graceMs: 0,
      onUnbound: () => {
        throw failure;
      },
    }),
    (e) => e === failure,
  );
  const types: string[] = [];
  for await (const e of events) types.push(e.type);
  assert.ok(types.includes("listener-closed"), types.join(" "));
});
