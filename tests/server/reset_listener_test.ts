/**
 * A listener with `reset-after` is bound with node:net (its connections can
 * send a reset), and serves like any other: byte-exact echo, whoami naming
 * both ends, IPv6, bind failures explained as for a Deno-bound listener,
 * close reasons for a client's reset, idle and shutdown, and a reload that
 * adds the fault binds it anew. The fault itself is not what is tested here:
 * its trigger (1 GiB) is never reached.
 */

import assert from "node:assert/strict";
import type { ConnectionClosedEvent, ServerEvent } from "../../lib/events/mod.ts";
import { start, StartError } from "../../lib/server/mod.ts";
import { planOf } from "../_support/plan.ts";
import { freePort, readToEnd, writeAll } from "../_support/socket.ts";
import { waitUntil } from "../_support/wait.ts";

/** The fault option that puts a listener on node:net without acting on any test's traffic. */
const RESET = "reset-after=1GiB";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** The close events seen so far. */
function closes(events: ServerEvent[]): ConnectionClosedEvent[] {
  return events.filter((e): e is ConnectionClosedEvent => e.type === "connection-closed");
}

Deno.test("start() serves echo byte-exact, 1 MB both ways with half-close, on a listener with reset-after", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf(`tcp://127.0.0.1:0=echo?${RESET}`), {
    sink: (e) => events.push(e),
  });
  try {
    const sent = new Uint8Array(1024 * 1024);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7 + (i >> 10)) & 0xff;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.sockets[0].local.port });
    // Writing and reading at once: echo sends back while the client sends.
    const back = readToEnd(conn);
    await writeAll(conn, sent);
    await conn.closeWrite();
    const got = await back;
    conn.close();
    assert.equal(got.length, sent.length);
    assert.ok(got.every((b, i) => b === sent[i]), "echo changed the bytes");
    await waitUntil(() => closes(events).length === 1, 5000, "the close event");
    const [closed] = closes(events);
    assert.deepEqual([closed.bytesIn, closed.bytesOut, closed.reason], [
      sent.length,
      sent.length,
      "done",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("start() names both ends to whoami on a listener with reset-after, over IPv4 and IPv6", async () => {
  const server = await start(
    planOf(`tcp://127.0.0.2:0=whoami?${RESET}`, `tcp://[::1]:0=whoami?${RESET}`),
  );
  try {
    for (
      const [i, hostname, shown] of [[0, "127.0.0.2", "127.0.0.2"], [1, "::1", "[::1]"]] as const
    ) {
      const port = server.sockets[i].local.port;
      using conn = await Deno.connect({ hostname, port });
      const client = conn.localAddr;
      const lines = text(await readToEnd(conn)).split("\n");
      const clientName = hostname === "::1" ? `[::1]:${client.port}` : `127.0.0.1:${client.port}`;
      assert.deepEqual(lines.slice(0, 3), [
        "transport: tcp",
        `local: ${shown}:${port}`,
        `remote: ${clientName}`,
      ]);
    }
  } finally {
    await server.close();
  }
});

Deno.test("start() explains a taken port for a listener with reset-after as for any other", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = blocker.addr.port;
  const reasons: string[] = [];
  for (const spec of [`tcp://127.0.0.1:${taken}=echo`, `tcp://127.0.0.1:${taken}=echo?${RESET}`]) {
    await assert.rejects(start(planOf(spec)), (error: unknown) => {
      assert.ok(error instanceof StartError);
      assert.ok(error.failures[0].cause instanceof Deno.errors.AddrInUse);
      reasons.push(error.failures[0].reason);
      return true;
    });
  }
  assert.equal(reasons[1], reasons[0]);
  assert.match(
    reasons[0],
    /^address already in use: another socket already holds tcp 127\.0\.0\.1:/,
  );
});

Deno.test("start() gives reason reset to a connection its client resets, on a listener with reset-after", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf(`tcp://127.0.0.1:0=echo?${RESET}`), {
    sink: (e) => events.push(e),
  });
  try {
    const script = [
      "import socket, struct, sys",
      "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
      "s.sendall(b'hello')",
      "assert s.recv(5) == b'hello'",
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
      "s.close()",
    ].join("\n");
    const port = String(server.sockets[0].local.port);
    const out = await new Deno.Command("python3", { args: ["-c", script, port] }).output();
    assert.equal(out.code, 0, text(out.stderr));
    await waitUntil(() => closes(events).length === 1, 5000, "the close event");
    assert.deepEqual(closes(events).map((e) => [e.reason, e.bytesIn, e.bytesOut]), [
      ["reset", 5, 5],
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("start() closes an idle connection on a listener with reset-after, with reason idle", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf(`tcp://127.0.0.1:0=echo?${RESET}&idle=0.2`), {
    sink: (e) => events.push(e),
  });
  try {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: server.sockets[0].local.port });
    // The client reads end of stream once muxd closes it for being idle.
    assert.equal((await readToEnd(conn)).length, 0);
    await waitUntil(() => closes(events).length === 1, 5000, "the close event");
    assert.equal(closes(events)[0].reason, "idle");
  } finally {
    await server.close();
  }
});

Deno.test("RunningServer.close() closes what is open on a listener with reset-after, with reason shutdown", async () => {
  const events: ServerEvent[] = [];
  const server = await start(planOf(`tcp://127.0.0.1:0=echo?${RESET}`), {
    sink: (e) => events.push(e),
  });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: server.sockets[0].local.port });
  await waitUntil(() => server.openConnections === 1, 5000, "the connection");
  const result = await server.close({ graceMs: 50 });
  assert.equal(result.forced, 1);
  assert.equal((await readToEnd(conn)).length, 0);
  assert.deepEqual(closes(events).map((e) => e.reason), ["shutdown"]);
});

Deno.test("reconfigure() keeps a listener whose faults change, binding its socket anew on its port when reset-after is added or removed", async () => {
  const port = freePort();
  const spec = (query: string) => `tcp://127.0.0.1:${port}=echo${query}`;
  const server = await start(planOf(spec("")));
  try {
    const steps: [string, number, number, number, number][] = [];
    for (const query of [`?${RESET}`, `?${RESET}&latency=0`, "?latency=0", ""]) {
      const result = await server.reconfigure(planOf(spec(query)));
      steps.push([
        query,
        result.added,
        result.kept,
        result.faultsChanged.length,
        result.rebound.length,
      ]);
      // Whatever it holds now serves.
      using conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await writeAll(conn, new TextEncoder().encode("ok"));
      await conn.closeWrite();
      assert.equal(text(await readToEnd(conn)), "ok", query);
    }
    // Each step changes the faults of the one listener; none closes or adds
    // one. Adding or removing reset-after binds it anew, and the result says so.
    assert.deepEqual(steps, [
      [`?${RESET}`, 0, 1, 1, 1],
      [`?${RESET}&latency=0`, 0, 1, 1, 0],
      ["?latency=0", 0, 1, 1, 1],
      ["", 0, 1, 1, 0],
    ]);
  } finally {
    await server.close();
  }
});
