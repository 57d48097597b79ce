/**
 * The operations on a running server that a test suite or the control API
 * uses: add(), remove() and setFaults(), each all or nothing, with real
 * clients on loopback.
 */

import assert from "node:assert/strict";
import type { ServerEvent } from "../../lib/events/mod.ts";
import {
  type RunningServer,
  SpecError,
  start,
  StartError,
  UnknownListenerError,
} from "../../lib/server/mod.ts";
import { planOf } from "../_support/plan.ts";
import { echoRoundTrip, firstRead, freePort, udpRoundTrip } from "../_support/socket.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** A server with no listeners, recording its events; disposing it closes it. */
async function emptyServer(): Promise<
  { server: RunningServer; events: ServerEvent[] } & AsyncDisposable
> {
  const events: ServerEvent[] = [];
  const server = await start(planOf(), { sink: (e) => events.push(e) });
  return { server, events, [Symbol.asyncDispose]: () => server[Symbol.asyncDispose]() };
}

/** Whether a TCP connection to the port is refused. */
async function refused(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return true;
    throw error;
  }
}

/** Whether TCP can bind the port now. */
function canBind(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

Deno.test("RunningServer.add() binds specs with port 0 and returns each socket with its real port and id", async () => {
  await using s = await emptyServer();
  const { server, events } = s;
  const added = await server.add(["tcp://127.0.0.1:0=echo", "udp://[::1]:0=echo"]);
  assert.equal(added.length, 2);
  const [tcp, udp] = added;
  assert.ok(tcp.local.port > 0);
  assert.equal(tcp.id, `tcp-127.0.0.1-${tcp.local.port}`);
  assert.equal(udp.id, `udp-__1-${udp.local.port}`);
  assert.equal(encodeURIComponent(udp.id), udp.id, "the id is safe in a URL as it is");
  assert.deepEqual(added.map((s) => s.origin), ["api", "api"]);
  assert.deepEqual(server.sockets, added);
  assert.deepEqual(events.map((e) => e.type), ["listening", "listening"]);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: tcp.local.port });
  assert.ok(await echoRoundTrip(conn, bytes("hi\n")));
});

Deno.test("RunningServer.add() takes the config file's object form", async () => {
  await using s = await emptyServer();
  const [banner] = await s.server.add({ listen: "tcp://127.0.0.1:0=banner", text: "hello there" });
  assert.equal(banner.spec, "tcp://127.0.0.1:0=banner?text=hello%20there");
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: banner.local.port });
  const first = await firstRead(conn);
  assert.ok(first instanceof Uint8Array);
  assert.match(new TextDecoder().decode(first), /^hello there\r?\n$/);
});

Deno.test("RunningServer.add() rejects a bad spec with a one-line error naming it, and binds none", async () => {
  await using s = await emptyServer();
  const port = freePort();
  try {
    await s.server.add([`tcp://127.0.0.1:${port}=echo`, "udp://127.0.0.1:0=banner"]);
    assert.fail("add() did not throw");
  } catch (e) {
    assert.ok(e instanceof SpecError);
    assert.equal(
      e.message,
      'Cannot use listen spec "udp://127.0.0.1:0=banner" (spec 2 of add()): ' +
        "banner is a TCP-only service",
    );
  }
  assert.deepEqual(s.server.sockets, []);
  assert.ok(canBind(port), "the first spec's port is free");
  assert.deepEqual(s.events, []);
});

Deno.test("RunningServer.add() refuses an address other hosts can reach, as start-up does", async () => {
  await using s = await emptyServer();
  await assert.rejects(
    s.server.add("tcp://0.0.0.0:0=echo"),
    (e: unknown) =>
      e instanceof SpecError && /spec 1 of add\(\)\): 0\.0\.0\.0 is the wildcard/.test(e.message),
  );
});

Deno.test("RunningServer.add() refuses a forward whose upstream leads back to it through a listener serving now", async () => {
  await using s = await emptyServer();
  const [first] = await s.server.add("udp://127.0.0.1:0=echo");
  const port = freePort();
  // A relay to a serving forward on a port the OS picked, which relays back to the new one.
  const [relay] = await s.server.add(`udp://127.0.0.1:0=forward?to=127.0.0.1:${port}`);
  await assert.rejects(
    s.server.add(`udp://127.0.0.1:${port}=forward?to=127.0.0.1:${relay.local.port}`),
    (e) =>
      e instanceof SpecError &&
      // The serving relay by the port it bound, not its :0.
      e.message.includes(
        `(spec 1 of add()): its upstream 127.0.0.1:${relay.local.port} is muxd's own ` +
          `udp://127.0.0.1:${relay.local.port}=forward?to=127.0.0.1:${port}, `,
      ) &&
      e.message.includes("which relays back to this listener: each datagram would go round"),
  );
  // Nothing was bound; a forward to the serving echo is no ring.
  assert.deepEqual(s.server.sockets.map((x) => x.local.port), [first.local.port, relay.local.port]);
  await s.server.add(`udp://127.0.0.1:${port}=forward?to=127.0.0.1:${first.local.port}`);
});

Deno.test("RunningServer.reconfigure() refuses a relay that leads back to itself through a listener add() gave, which stays", async () => {
  await using s = await emptyServer();
  const port = freePort();
  const [api] = await s.server.add(`tcp://127.0.0.1:0=forward?to=127.0.0.1:${port}`);
  await assert.rejects(
    s.server.reconfigure(planOf(`tcp://127.0.0.1:${port}=forward?to=127.0.0.1:${api.local.port}`)),
    (e) =>
      e instanceof SpecError &&
      e.message.includes(`its upstream 127.0.0.1:${api.local.port} is muxd's own `) &&
      e.message.includes("each connection would open another, up to max-conns"),
  );
  assert.deepEqual(s.server.sockets.map((x) => x.id), [api.id], "nothing changed");
});

Deno.test("RunningServer.add() binds nothing when the 2nd of 2 specs fails to bind, and explains it", async () => {
  await using s = await emptyServer();
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = freePort();
  try {
    await s.server.add([`tcp://127.0.0.1:${port}=echo`, `tcp://127.0.0.1:${held.addr.port}=echo`]);
    assert.fail("add() did not throw");
  } catch (e) {
    assert.ok(e instanceof StartError);
    assert.equal(e.failures.length, 1);
    assert.match(
      e.message,
      new RegExp(
        `^Cannot bind tcp 127\\.0\\.0\\.1:${held.addr.port} \\(tcp://127\\.0\\.0\\.1:${held.addr.port}=echo\\): address already in use`,
      ),
    );
  }
  assert.deepEqual(s.server.sockets, []);
  assert.ok(canBind(port), "the first spec's socket was closed again");
  assert.deepEqual(s.events.map((e) => e.type), ["bind-failed"]);
});

Deno.test("RunningServer.remove() stops accepting and closes open connections at once", async () => {
  await using s = await emptyServer();
  const [echo] = await s.server.add("tcp://127.0.0.1:0=echo");
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: echo.local.port });
  assert.ok(await echoRoundTrip(conn, bytes("one\n")));
  const removed = await s.server.remove(echo.id);
  assert.deepEqual([removed.socket, removed.open, removed.forced], [echo, 1, 1]);
  assert.deepEqual(s.server.sockets, []);
  assert.ok(await refused(echo.local.port), "connection refused");
  const end = await withTimeout(firstRead(conn), 5000, "the open connection's end");
  assert.ok(end === "eof" || end === "reset", `the open connection ended (${end})`);
  const closed = s.events.find((e) => e.type === "connection-closed");
  assert.equal(closed?.type === "connection-closed" && closed.reason, "shutdown");
  await assert.rejects(s.server.remove(echo.id), UnknownListenerError);
});

Deno.test("RunningServer.remove() with drainMs lets an open connection go on until it ends", async () => {
  await using s = await emptyServer();
  const [echo] = await s.server.add("tcp://127.0.0.1:0=echo");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: echo.local.port });
  assert.ok(await echoRoundTrip(conn, bytes("one\n")));
  const removing = s.server.remove(echo.id, { drainMs: 10_000 });
  await waitUntil(() => s.server.sockets.length === 0, 2000, "the listener to go");
  assert.ok(await refused(echo.local.port), "no new connection");
  assert.ok(await echoRoundTrip(conn, bytes("two\n")), "the open one still echoes");
  conn.close();
  const removed = await removing;
  assert.deepEqual([removed.open, removed.forced], [1, 0]);
});

Deno.test("RunningServer.remove() of a UDP exec listener whose program is answering says no error for the reply that has nowhere to go", async () => {
  await using s = await emptyServer();
  // The program has its reply written, then lingers: removal ends it, and
  // its output is the reply of a socket muxd has closed.
  const [exec] = await s.server.add({
    listen: "udp://127.0.0.1:0=exec",
    run: ["sh", "-c", "cat; echo answered >&2; sleep 5"],
  });
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await client.send(bytes("ping"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port: exec.local.port,
    });
  } finally {
    client.close();
  }
  await waitUntil(
    () => s.events.some((e) => e.type === "exec-stderr"),
    5000,
    "the program to answer",
  );
  await s.server.remove(exec.id);
  await waitUntil(
    () => s.events.some((e) => e.type === "exec-exited"),
    5000,
    "the program to be ended",
  );
  // The reply's send fails a turn or two after the program's end.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const exited = s.events.find((e) => e.type === "exec-exited");
  assert.equal(exited?.type === "exec-exited" && exited.endedBy, "removed");
  const errors = s.events.filter((e) => e.type === "error");
  assert.deepEqual(errors, [], "an error event for a reply whose listener was removed");
});

Deno.test("RunningServer.remove() of an exec listener starts no program for a connection that waits for a place, and says why it waits no longer", async () => {
  await using s = await emptyServer();
  const [exec] = await s.server.add({
    listen: "tcp://127.0.0.1:0=exec",
    run: ["sh", "-c", "sleep 30"],
    "max-procs": 1,
  });
  const count = (type: ServerEvent["type"]) => s.events.filter((e) => e.type === type).length;
  const port = exec.local.port;
  using _first = await Deno.connect({ hostname: "127.0.0.1", port });
  await waitUntil(() => count("exec-started") === 1, 5000, "the first program");
  // Over max-procs: these wait their turn when the listener is removed.
  using _second = await Deno.connect({ hostname: "127.0.0.1", port });
  using _third = await Deno.connect({ hostname: "127.0.0.1", port });
  await waitUntil(() => count("connection-opened") === 3, 5000, "the waiting connections");
  await s.server.remove(exec.id);
  await waitUntil(() => count("exec-refused") === 2, 5000, "the waits to end");
  assert.equal(count("exec-started"), 1, "a program started for a listener that is gone");
  for (const e of s.events) {
    if (e.type !== "exec-refused") continue;
    assert.match(e.detail, /, for \d+(\.\d)? s, until its listener was closed$/);
  }
});

Deno.test("RunningServer.setFaults() drops every datagram with drop=1 and answers again once cleared", async () => {
  await using s = await emptyServer();
  const [udp] = await s.server.add("udp://127.0.0.1:0=echo");
  assert.deepEqual(await udpRoundTrip(udp.local.port, bytes("a")), bytes("a"));
  const lossy = await s.server.setFaults(udp.id, "drop=1&seed=1");
  assert.deepEqual(lossy.faults, { text: "?drop=1&seed=1", seed: 1 });
  assert.equal(lossy.faultsBy, "api");
  assert.equal(lossy.id, udp.id);
  assert.equal(await udpRoundTrip(udp.local.port, bytes("b"), 300), null);
  const clear = await s.server.setFaults(udp.id, null);
  assert.equal(clear.faults, null);
  assert.deepEqual(await udpRoundTrip(udp.local.port, bytes("c")), bytes("c"));
  const changed = s.events.filter((e) => e.type === "faults-changed");
  assert.deepEqual(
    changed.map((e) => e.type === "faults-changed" && [e.before, e.after, e.by]),
    [["", "?drop=1&seed=1", "api"], ["?drop=1&seed=1", "", "api"]],
  );
});

Deno.test("RunningServer.setFaults() checks faults as spec options, naming the faults and the listener", async () => {
  await using s = await emptyServer();
  const [udp] = await s.server.add("udp://127.0.0.1:0=echo");
  await assert.rejects(
    s.server.setFaults(udp.id, { latency: 100 }),
    (e: unknown) =>
      e instanceof SpecError &&
      e.message === 'Cannot use faults "latency=100" on udp://127.0.0.1:0=echo ' +
          "(spec 1 of setFaults()): option latency applies to TCP listeners only " +
          "(UDP's is delay=), and this one is UDP; remove it",
  );
  await assert.rejects(s.server.setFaults(udp.id, "reuse=true"), /"reuse" is not a fault option/);
  await assert.rejects(s.server.setFaults(udp.id, "drop=2"), /option drop: /);
  await assert.rejects(s.server.setFaults("udp-127.0.0.1-1", null), UnknownListenerError);
  assert.equal(s.server.sockets[0].faults, null, "nothing changed");
});

Deno.test("RunningServer.setFaults() adds reset-after by binding anew on the same port; an open connection stays", async () => {
  await using s = await emptyServer();
  const [echo] = await s.server.add("tcp://127.0.0.1:0=echo");
  using before = await Deno.connect({ hostname: "127.0.0.1", port: echo.local.port });
  assert.ok(await echoRoundTrip(before, bytes("one\n")));
  const reset = await s.server.setFaults(echo.id, "reset-after=0ms");
  assert.deepEqual([reset.id, reset.local], [echo.id, echo.local]);
  assert.ok(await echoRoundTrip(before, bytes("two\n")), "the open connection goes on");
  using after = await Deno.connect({ hostname: "127.0.0.1", port: echo.local.port });
  assert.equal(await firstRead(after), "reset", "a new connection is reset");
  const plain = await s.server.setFaults(echo.id, null);
  assert.equal(plain.faults, null);
  using again = await Deno.connect({ hostname: "127.0.0.1", port: echo.local.port });
  assert.ok(await echoRoundTrip(again, bytes("three\n")));
});

Deno.test("RunningServer.reconfigure() keeps listeners added by add()", async () => {
  const events: ServerEvent[] = [];
  await using server = await start(planOf("tcp://127.0.0.1:0=echo"), {
    sink: (e) => events.push(e),
  });
  const [api] = await server.add("udp://127.0.0.1:0=echo");
  const r = await server.reconfigure(planOf("tcp://127.0.0.1:0=whoami"));
  assert.deepEqual([r.added, r.removed, r.kept, r.replaced.length], [1, 1, 1, 0]);
  assert.deepEqual(server.sockets.map((s) => [s.origin, s.service]), [
    ["api", "echo"],
    ["config", "whoami"],
  ]);
  assert.deepEqual(await udpRoundTrip(api.local.port, bytes("x")), bytes("x"));
});

Deno.test("RunningServer.reconfigure() gives the config a socket name held by add()'s listener, and says so", async () => {
  const events: ServerEvent[] = [];
  await using server = await start(planOf(), { sink: (e) => events.push(e) });
  const port = freePort();
  const [api] = await server.add(`tcp://127.0.0.1:${port}=echo`);
  const r = await server.reconfigure(planOf(`tcp://127.0.0.1:${port}=whoami`));
  assert.deepEqual(r.replaced.map((s) => s.id), [api.id]);
  assert.deepEqual(server.sockets.map((s) => [s.id, s.origin, s.service]), [
    [api.id, "config", "whoami"],
  ]);
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(types.indexOf("listener-replaced")), [
    "listener-replaced",
    "listener-closed",
    "listening",
  ]);
  const replaced = events.find((e) => e.type === "listener-replaced");
  assert.equal(replaced?.type === "listener-replaced" && replaced.replaced, api.spec);
});

Deno.test("RunningServer.reconfigure() keeps the faults setFaults() gave a config listener when the reload leaves its faults alone", async () => {
  const events: ServerEvent[] = [];
  await using server = await start(planOf("udp://127.0.0.1:0=echo?delay=1"), {
    sink: (e) => events.push(e),
  });
  const [udp] = server.sockets;
  await server.setFaults(udp.id, "drop=1&seed=5");
  events.length = 0;
  const r = await server.reconfigure(
    planOf("udp://127.0.0.1:0=echo?delay=1", "tcp://127.0.0.1:0=echo"),
  );
  assert.deepEqual(r.apiFaultsKept.map((s) => s.id), [udp.id]);
  assert.deepEqual(r.faultsChanged, []);
  assert.deepEqual(server.sockets[0].faults, { text: "?drop=1&seed=5", seed: 5 });
  assert.equal(server.sockets[0].faultsBy, "api");
  assert.equal(events.some((e) => e.type === "faults-changed"), false);
  assert.equal(await udpRoundTrip(udp.local.port, bytes("x"), 300), null, "still dropped");
});

Deno.test("RunningServer.reconfigure() replaces the faults setFaults() gave when the reload changes that listener's faults", async () => {
  const events: ServerEvent[] = [];
  await using server = await start(planOf("udp://127.0.0.1:0=echo?delay=1"), {
    sink: (e) => events.push(e),
  });
  const [udp] = server.sockets;
  await server.setFaults(udp.id, "drop=1&seed=5");
  events.length = 0;
  const r = await server.reconfigure(planOf("udp://127.0.0.1:0=echo"));
  assert.deepEqual(r.faultsChanged.map((s) => s.id), [udp.id]);
  assert.deepEqual([server.sockets[0].faults, server.sockets[0].faultsBy], [null, "config"]);
  const changed = events.filter((e) => e.type === "faults-changed");
  assert.deepEqual(
    changed.map((e) => e.type === "faults-changed" && [e.before, e.after, e.by, e.was]),
    [["?drop=1&seed=5", "", "config", "api"]],
  );
  assert.deepEqual(await udpRoundTrip(udp.local.port, bytes("x")), bytes("x"));
});

Deno.test("RunningServer operations refuse once the server is closing", async () => {
  const { server } = await emptyServer();
  await server.close({ graceMs: 0 });
  await assert.rejects(server.add("tcp://127.0.0.1:0=echo"), /add\(\): the server is closing/);
});
