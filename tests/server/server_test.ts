import assert from "node:assert/strict";
import type { ServerEvent } from "../../lib/events/mod.ts";
import type { ExplainBinds } from "../../lib/explain/mod.ts";
import { ServerClosedError, start, StartError } from "../../lib/server/mod.ts";
import { SERVICES } from "../../lib/services/registry.ts";
import { planOf } from "../_support/plan.ts";
import { freePort, readToEnd } from "../_support/socket.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("start() binds port 0, reports the real port and emits events naming both ends", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf("tcp://127.0.0.1:0=echo"), { sink: (e) => events.push(e) });
  try {
    const { port } = server.sockets[0].local;
    assert.notEqual(port, 0);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("hello"));
    await conn.closeWrite();
    assert.equal(text(await readToEnd(conn)), "hello");
    const client = conn.localAddr as Deno.NetAddr;
    conn.close();
    while (!events.some((e) => e.type === "connection-closed")) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const opened = events.find((e) => e.type === "connection-opened");
    const closed = events.find((e) => e.type === "connection-closed");
    assert.deepEqual(opened && [opened.local, opened.remote], [
      { address: "127.0.0.1", port },
      { address: "127.0.0.1", port: client.port },
    ]);
    assert.ok(closed?.type === "connection-closed");
    assert.deepEqual([closed.bytesIn, closed.bytesOut, closed.reason], [5, 5, "done"]);
    assert.equal(events[0].type, "listening");
  } finally {
    await server.close();
  }
});

Deno.test("start() names the address a connection reached on a wildcard listener, and the listener's own elsewhere", async () => {
  const events: ServerEvent[] = [];
  // The wildcard only on loopback traffic: the test connects to 127.0.0.3 and ::1 only.
  const server = await start(planOf("tcp://0.0.0.0:0=whoami", "tcp://127.0.0.2:0=whoami"), {
    sink: (e) => events.push(e),
  });
  try {
    const [wild, own] = server.sockets.map((s) => s.local.port);
    for (const [hostname, port] of [["127.0.0.3", wild], ["127.0.0.2", own]] as const) {
      const conn = await Deno.connect({ hostname, port });
      const reply = text(await readToEnd(conn));
      conn.close();
      assert.ok(reply.includes(`${hostname}:${port}`), reply);
    }
    while (events.filter((e) => e.type === "connection-closed").length < 2) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const opened = events.filter((e) => e.type === "connection-opened");
    assert.deepEqual(opened.map((e) => [e.local, e.bound]), [
      [{ address: "127.0.0.3", port: wild }, { address: "0.0.0.0", port: wild }],
      [{ address: "127.0.0.2", port: own }, { address: "127.0.0.2", port: own }],
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("start() binds all or nothing: one failure closes the rest and names the cause", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const free = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const events: ServerEvent[] = [];
  await assert.rejects(
    start(planOf(`tcp://127.0.0.1:${free}=echo`, `tcp://127.0.0.1:${taken}=whoami`), {
      sink: (e) => events.push(e),
    }),
    (error: unknown) => {
      assert.ok(error instanceof StartError);
      assert.equal(error.failures.length, 1);
      assert.ok(error.failures[0].cause instanceof Deno.errors.AddrInUse);
      assert.equal(error.failures[0].code, "EADDRINUSE");
      assert.match(error.failures[0].message, /address already in use/);
      return true;
    },
  );
  assert.deepEqual(events.map((e) => e.type), ["bind-failed"]);
  // The listener that did bind was closed again: its port is free.
  using again = Deno.listen({ hostname: "127.0.0.1", port: free });
  assert.equal((again.addr as Deno.NetAddr).port, free);
});

Deno.test("start() with keepGoing serves what bound and lists what did not", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  const server = await start(planOf("tcp://127.0.0.1:0=echo", `tcp://127.0.0.1:${taken}=whoami`), {
    keepGoing: true,
  });
  try {
    assert.equal(server.sockets.length, 1);
    assert.deepEqual(server.failures.map((f) => f.listener.port), [taken]);
  } finally {
    await server.close();
  }
});

Deno.test("reconfigure() keeps going as start() did: a listener still held does not stop the rest of a reload", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  const echo = "tcp://127.0.0.1:0=echo";
  const whoami = `tcp://127.0.0.1:${taken}=whoami`;
  const explain: ExplainBinds = (failed) => Promise.resolve(failed.map(() => "held by a test"));
  const server = await start(planOf(echo, whoami), { keepGoing: true, explain });
  try {
    const result = await server.reconfigure(planOf(echo, whoami, "udp://127.0.0.1:0=daytime"));
    assert.deepEqual([result.kept, result.added, result.failures], [1, 1, 1]);
    assert.deepEqual(server.sockets.map((s) => s.service), ["echo", "daytime"]);
    assert.deepEqual(server.failures.map((f) => f.listener.spec), [whoami]);
    // Asked not to, or with nothing of the new config able to serve, it refuses as before.
    await assert.rejects(
      server.reconfigure(planOf(echo, whoami), { keepGoing: false }),
      StartError,
    );
    await assert.rejects(server.reconfigure(planOf(whoami)), StartError);
    assert.deepEqual(server.sockets.map((s) => s.service), ["echo", "daytime"]);
  } finally {
    await server.close();
  }
});

Deno.test("reconfigure() that a close() overtakes while it explains a failure adds nothing: it rejects with ServerClosedError", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  const echo = "tcp://127.0.0.1:0=echo";
  const whoami = `tcp://127.0.0.1:${taken}=whoami`;
  // The explainer (ss and sysctl in muxd: the slow part of a reload) waits
  // until the server has begun to close, as a SIGTERM during a SIGHUP does.
  const asked = Promise.withResolvers<void>();
  const go = Promise.withResolvers<void>();
  const explain: ExplainBinds = async (failed) => {
    asked.resolve();
    await go.promise;
    return failed.map(() => "held by a test");
  };
  const events: ServerEvent[] = [];
  const server = await start(planOf(echo), {
    keepGoing: true,
    explain,
    sink: (e) => events.push(e),
  });
  const reloading = server.reconfigure(planOf(echo, whoami, "udp://127.0.0.1:0=daytime"));
  await asked.promise;
  const closing = server.close({ graceMs: 0 });
  go.resolve();
  await assert.rejects(reloading, ServerClosedError);
  await closing;
  const listening = events.filter((e) => e.type === "listening").map((e) => e.service);
  assert.deepEqual(listening, ["echo"], "a listener was added to a server that was closing");
});

Deno.test("reconfigure() binds a changed exec listener's socket name again before its old programs have exited", async () => {
  const port = freePort();
  const exec = (seconds: number) =>
    `tcp://127.0.0.1:${port}=exec?run=sh,-c,sleep%2030&max-seconds=${seconds}`;
  const events: ServerEvent[] = [];
  const server = await start(planOf(exec(10)), { sink: (e) => events.push(e) });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await waitUntil(() => events.some((e) => e.type === "exec-started"), 5000, "the program");
      // Same socket name, another option: closed, its program ended, bound anew.
      await server.reconfigure(planOf(exec(11)));
    } finally {
      conn.close();
    }
    const order = events
      .filter((e) => e.type === "listening" || e.type === "exec-exited")
      .map((e) => e.type);
    // Bound again first: waiting for the old program's exit (up to the 1 s
    // before its SIGKILL) refused every connection meanwhile.
    assert.deepEqual(order, ["listening", "listening", "exec-exited"]);
  } finally {
    await server.close({ graceMs: 0 });
  }
});

Deno.test("reconfigure() that a close() overtakes while the old programs end adds nothing and holds no listener open: it rejects with ServerClosedError", async () => {
  const port = freePort();
  // A program that ignores SIGTERM: the reload waits for its SIGKILL, 1 s later.
  const exec = (seconds: number) =>
    `tcp://127.0.0.1:${port}=exec?run=sh,-c,trap%20%27%27%20TERM%3B%20sleep%2030` +
    `&max-seconds=${seconds}`;
  const events: ServerEvent[] = [];
  const server = await start(planOf(exec(10)), { sink: (e) => events.push(e) });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let reloading: Promise<unknown> | null = null;
  try {
    await waitUntil(() => events.some((e) => e.type === "exec-started"), 5000, "the program");
    reloading = server.reconfigure(planOf(exec(11)));
    // Bound anew; the reload now waits for the old program's exit.
    await waitUntil(
      () => events.filter((e) => e.type === "listening").length === 2,
      5000,
      "the listener bound anew",
    );
    assert.equal(
      events.some((e) => e.type === "exec-exited"),
      false,
      "the program is still ending",
    );
  } finally {
    conn.close();
    const closing = server.close({ graceMs: 0 });
    // A SIGTERM during a SIGHUP: the reload must not report listeners
    // added (and a ready record naming them) after muxd began to stop.
    if (reloading !== null) await assert.rejects(reloading, ServerClosedError);
    await closing;
  }
  // And at once: the new listener closes before the old program has exited
  // (the reload does not make the shutdown wait for it).
  const order = events
    .filter((e) => e.type === "listener-closed" || e.type === "exec-exited")
    .map((e) => e.type);
  assert.deepEqual(order, ["listener-closed", "listener-closed", "exec-exited"]);
});

Deno.test("reconfigure() lists only the new config's failures: one that binds now, or is gone, is not listed", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  const echo = "tcp://127.0.0.1:0=echo";
  const whoami = `tcp://127.0.0.1:${taken}=whoami`;
  const server = await start(planOf(echo, whoami), {
    keepGoing: true,
    explain: (failed) => Promise.resolve(failed.map(() => "held by a test")),
  });
  try {
    assert.deepEqual(server.failures.map((f) => f.listener.spec), [whoami]);
    // Freed, the port binds at the next reload, which the ready record then says.
    blocker.close();
    await server.reconfigure(planOf(echo, whoami));
    assert.deepEqual(server.sockets.map((s) => s.service), ["echo", "whoami"]);
    assert.deepEqual(server.failures, []);
    // A reload without the listener: nothing of it is listed either.
    await server.reconfigure(planOf(echo));
    assert.deepEqual(server.failures, []);
  } finally {
    await server.close();
  }
});

/** An explainer that records what it was asked and answers `explained by a test (N)`. */
function recordingExplainer(): { explain: ExplainBinds; asked: [string[], string[]][] } {
  const asked: [string[], string[]][] = [];
  const explain: ExplainBinds = (failures, held) => {
    asked.push([failures.map((f) => f.listener.spec), held.map((l) => l.spec)]);
    return Promise.resolve(failures.map((_, i) => `explained by a test (${asked.length}.${i})`));
  };
  return { explain, asked };
}

Deno.test("start() explains bind failures with its explain option, told which listeners it bound", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  const { explain, asked } = recordingExplainer();
  const events: ServerEvent[] = [];
  const server = await start(planOf("tcp://127.0.0.1:0=echo", `tcp://127.0.0.1:${taken}=whoami`), {
    keepGoing: true,
    explain,
    sink: (e) => events.push(e),
  });
  try {
    assert.deepEqual(asked, [[[`tcp://127.0.0.1:${taken}=whoami`], ["tcp://127.0.0.1:0=echo"]]]);
    const [failure] = server.failures;
    assert.equal(failure.reason, "explained by a test (1.0)");
    assert.equal(
      failure.message,
      `Cannot bind tcp 127.0.0.1:${taken} (tcp://127.0.0.1:${taken}=whoami): explained by a test (1.0)`,
    );
    assert.equal(failure.code, "EADDRINUSE");
    const failed = events.find((e) => e.type === "bind-failed");
    assert.ok(failed?.type === "bind-failed" && failed.reason === "explained by a test (1.0)");
  } finally {
    await server.close();
  }
});

Deno.test("start() explains nothing when everything binds", async () => {
  const { explain, asked } = recordingExplainer();
  const server = await start(planOf("tcp://127.0.0.1:0=echo"), { explain });
  await server.close();
  assert.deepEqual(asked, []);
});

Deno.test("reconfigure() explains with the explainer start() was given, or with its own", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  const fromStart = recordingExplainer();
  const server = await start(planOf("tcp://127.0.0.1:0=echo"), { explain: fromStart.explain });
  try {
    const next = planOf(
      "tcp://127.0.0.1:0=echo",
      `udp://127.0.0.1:0=echo`,
      `tcp://127.0.0.1:${taken}=whoami`,
    );
    const rejected = (reason: string) => (error: unknown) => {
      assert.ok(error instanceof StartError);
      assert.deepEqual(error.failures.map((f) => f.reason), [reason]);
      return true;
    };
    await assert.rejects(server.reconfigure(next), rejected("explained by a test (1.0)"));
    // The listeners it held when the bind failed: the running echo (by its
    // new entry), and the UDP one of the new plan, bound then undone, which a
    // later entry may clash with.
    assert.deepEqual(fromStart.asked, [[[`tcp://127.0.0.1:${taken}=whoami`], [
      "tcp://127.0.0.1:0=echo",
      "udp://127.0.0.1:0=echo",
    ]]]);
    const own = recordingExplainer();
    await assert.rejects(
      server.reconfigure(next, { explain: own.explain }),
      rejected("explained by a test (1.0)"),
    );
    assert.equal(own.asked.length, 1);
    assert.equal(fromStart.asked.length, 1);
    assert.equal(server.sockets.length, 1, "a rejected reconfiguration changes nothing");
  } finally {
    await server.close();
  }
});

Deno.test("start() without an explainer explains a failure from the OS error alone", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  await assert.rejects(start(planOf(`tcp://127.0.0.1:${taken}=echo`)), (error: unknown) => {
    assert.ok(error instanceof StartError);
    assert.equal(
      error.failures[0].reason,
      `address already in use: another socket already holds tcp 127.0.0.1:${taken}. ` +
        "Stop the program that holds it, or choose another port.",
    );
    return true;
  });
});

Deno.test("start() keeps a listener serving after its service throws on one connection", async () => {
  const events: ServerEvent[] = [];
  let calls = 0;
  const services = {
    ...SERVICES,
    echo: {
      ...SERVICES.echo,
      tcp: (
        stream: Parameters<NonNullable<typeof SERVICES.echo.tcp>>[0],
        ctx: Parameters<NonNullable<typeof SERVICES.echo.tcp>>[1],
      ) => {
        if (++calls === 1) throw new TypeError("boom");
        return SERVICES.echo.tcp!(stream, ctx);
      },
    },
  };
  const server = await start(planOf("tcp://127.0.0.1:0=echo"), {
    sink: (e) => events.push(e),
    services,
  });
  try {
    const { port } = server.sockets[0].local;
    const first = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.equal((await readToEnd(first)).length, 0);
    first.close();
    const second = await Deno.connect({ hostname: "127.0.0.1", port });
    await second.write(new TextEncoder().encode("still here"));
    await second.closeWrite();
    assert.equal(text(await readToEnd(second)), "still here");
    second.close();
    const error = events.find((e) => e.type === "error");
    assert.ok(error?.type === "error");
    assert.deepEqual([error.name, error.message, error.local.port], ["TypeError", "boom", port]);
    assert.ok(error.remote !== null && error.remote.address === "127.0.0.1");
  } finally {
    await server.close();
  }
});

Deno.test("RunningServer.close() waits for the grace period, then closes what is still open", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf("tcp://127.0.0.1:0=echo"), { sink: (e) => events.push(e) });
  const { port } = server.sockets[0].local;
  const idle = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    while (server.openConnections === 0) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    const result = await server.close({ graceMs: 200 });
    const took = performance.now() - started;
    assert.equal(result.forced, 1);
    assert.ok(took >= 150, `closed after ${took} ms, before the grace period`);
    const closed = events.find((e) => e.type === "connection-closed");
    assert.ok(closed?.type === "connection-closed" && closed.reason === "shutdown");
    assert.equal(await idle.read(new Uint8Array(1)), null);
  } finally {
    idle.close();
  }
});

Deno.test("RunningServer.close() called again during the grace period closes at once", async () => {
  const server = await start(planOf("tcp://127.0.0.1:0=echo"));
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.sockets[0].local.port });
  try {
    while (server.openConnections === 0) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    const first = server.close({ graceMs: 60_000 });
    await new Promise((r) => setTimeout(r, 20));
    await server.close();
    assert.equal((await first).forced, 1);
    assert.ok(performance.now() - started < 5_000);
  } finally {
    idle.close();
  }
});

Deno.test("start() answers UDP from the bound socket name and emits datagram and reply events", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf("udp://127.0.0.1:0=size"), { sink: (e) => events.push(e) });
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = server.sockets[0].local;
    await client.send(new Uint8Array(5), { transport: "udp", hostname: "127.0.0.1", port });
    const [reply, from] = await client.receive();
    assert.match(text(reply), /^Your data was 5 bytes/);
    assert.equal((from as Deno.NetAddr).port, port);
    assert.deepEqual(events.map((e) => e.type), ["listening", "datagram", "reply"]);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("start() makes no datagram event that nothing wants, and answers all the same", async () => {
  const events: ServerEvent[] = [];
  let wantReplies = false;
  const server = await start(planOf("udp://127.0.0.1:0=echo"), {
    sink: (e) => events.push(e),
    wanted: (type) => type !== "reply" || wantReplies,
  });
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const to = {
      transport: "udp",
      hostname: "127.0.0.1",
      port: server.sockets[0].local.port,
    } as const;
    await client.send(new TextEncoder().encode("one"), to);
    assert.equal(text((await client.receive())[0]), "one");
    // Asked at each datagram: a sink that comes later gets the next one's.
    wantReplies = true;
    await client.send(new TextEncoder().encode("two"), to);
    assert.equal(text((await client.receive())[0]), "two");
    assert.deepEqual(events.map((e) => e.type), ["listening", "datagram", "datagram", "reply"]);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("start() drops only the datagram whose service throws", async () => {
  const events: ServerEvent[] = [];
  let calls = 0;
  const services = {
    ...SERVICES,
    echo: {
      ...SERVICES.echo,
      udp: (request: Uint8Array, ctx: Parameters<NonNullable<typeof SERVICES.echo.udp>>[1]) => {
        if (++calls === 1) throw new RangeError("bad datagram");
        return SERVICES.echo.udp!(request, ctx);
      },
    },
  };
  const server = await start(planOf("udp://127.0.0.1:0=echo"), {
    sink: (e) => events.push(e),
    services,
  });
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const to = {
      transport: "udp",
      hostname: "127.0.0.1",
      port: server.sockets[0].local.port,
    } as const;
    await client.send(new TextEncoder().encode("one"), to);
    await client.send(new TextEncoder().encode("two"), to);
    const [reply] = await client.receive();
    assert.equal(text(reply), "two");
    const error = events.find((e) => e.type === "error");
    assert.ok(error?.type === "error" && error.name === "RangeError");
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("reconfigure() keeps the socket of a port-0 listener whose config now names the port the OS gave it", async () => {
  const server = await start(planOf("tcp://127.0.0.1:0=echo", "udp://127.0.0.1:0=echo"));
  try {
    const [tcp, udp] = server.sockets.map((s) => s.local.port);
    using before = await Deno.connect({ hostname: "127.0.0.1", port: tcp });
    const r = await server.reconfigure(
      planOf(`tcp://127.0.0.1:${tcp}=echo`, `udp://127.0.0.1:${udp}=echo`),
    );
    assert.deepEqual([r.added, r.removed, r.kept, r.failures], [0, 0, 2, 0]);
    assert.deepEqual(server.sockets.map((s) => s.local.port), [tcp, udp]);
    await before.write(new TextEncoder().encode("hi"));
    const reply = new Uint8Array(2);
    assert.equal(await before.read(reply), 2, "the connection opened before still echoes");
    // A reload that asks for another port binds it anew.
    const again = await server.reconfigure(planOf("tcp://127.0.0.1:0=echo"));
    assert.deepEqual([again.added, again.removed], [1, 2]);
  } finally {
    await server.close({ graceMs: 0 });
  }
});

/**
 * Binds each of `ports` on 127.0.0.1 at once (TCP or UDP) and closes it:
 * what a harness does that starts the next server on the same ports.
 *
 * @returns The ports that are still taken.
 */
function stillTaken(transport: "tcp" | "udp", ports: readonly number[]): number[] {
  const taken: number[] = [];
  for (const port of ports) {
    try {
      const socket = transport === "tcp"
        ? Deno.listen({ hostname: "127.0.0.1", port })
        : Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
      socket.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      taken.push(port);
    }
  }
  return taken;
}

Deno.test("RunningServer.close() calls onUnbound once every port is free to bind, before the grace period of an open connection ends", async () => {
  const specs = Array.from({ length: 8 }, () => "tcp://127.0.0.1:0=echo");
  const server = await start(planOf(...specs, "udp://127.0.0.1:0=echo"));
  const tcp = server.sockets.filter((s) => s.transport === "tcp").map((s) => s.local.port);
  const udp = server.sockets.filter((s) => s.transport === "udp").map((s) => s.local.port);
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: tcp[0] });
  try {
    while (server.openConnections === 0) await new Promise((r) => setTimeout(r, 5));
    const unbound = Promise.withResolvers<{ tcp: number[]; udp: number[] }>();
    // Tried in the call itself, as a harness that sees the ready file go
    // binds at once: a listener whose accept is still pending holds its port.
    const closing = server.close({
      graceMs: 60_000,
      onUnbound: () =>
        unbound.resolve({ tcp: stillTaken("tcp", tcp), udp: stillTaken("udp", udp) }),
    });
    const taken = await withTimeout(
      unbound.promise,
      5000,
      "onUnbound, which waited for the open connection's grace period",
    );
    assert.deepEqual(taken, { tcp: [], udp: [] }, "ports still bound when onUnbound was called");
    await server.close();
    assert.equal((await closing).forced, 1);
  } finally {
    idle.close();
  }
});

Deno.test("RunningServer.close() calls onUnbound for a UDP exec socket once the reply on its way is sent, its port then free", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf("udp://127.0.0.1:0=exec?run=sh,-c,sleep%200.5%3Bcat"), {
    sink: (e) => events.push(e),
  });
  const { port } = server.sockets[0].local;
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await client.send(new TextEncoder().encode("ping"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    const reply = client.receive();
    await waitUntil(() => events.some((e) => e.type === "exec-started"), 5000, "the program");
    let taken: number[] | null = null;
    const started = performance.now();
    const closing = server.close({
      graceMs: 60_000,
      onUnbound: () => taken = stillTaken("udp", [port]),
    });
    const [data] = await reply;
    assert.equal(new TextDecoder().decode(data), "ping");
    await closing;
    assert.deepEqual(taken, [], "the port was still bound when onUnbound was called");
    assert.ok(performance.now() - started < 10_000, "onUnbound waited for the grace period");
  } finally {
    client.close();
  }
});

Deno.test("RunningServer.close() closes everything when onUnbound throws, then rejects with what it threw", async () => {
  const server = await start(planOf("tcp://127.0.0.1:0=echo"));
  const { port } = server.sockets[0].local;
  const idle = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    while (server.openConnections === 0) await new Promise((r) => setTimeout(r, 5));
    const failure = new Error("the harness's callback failed");
    const closing = assert.rejects(
      server.close({
        graceMs: 200,
        onUnbound: () => {
          throw failure;
        },
      }),
      (e) => e === failure,
    );
    // The open connection is closed at the grace period's end all the same.
    const end = await withTimeout(
      idle.read(new Uint8Array(1)).catch((e) => {
        if (e instanceof Deno.errors.ConnectionReset) return null;
        throw e;
      }),
      5000,
      "the end of the connection close() was to close",
    );
    assert.equal(end, null);
    await closing;
  } finally {
    idle.close();
  }
});
