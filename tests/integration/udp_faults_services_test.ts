/**
 * UDP faults on every kind of service, end to end: `forward` (requests go
 * to an upstream, replies come back through the relay), `exec` (the reply
 * comes later, from a program), and the reply guards, which every reply a
 * fault sends (a duplicate, a late one) still passes.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  MAIN,
  type MuxdLauncher,
  permissionFlags,
  serveDebug,
  startMuxd,
  task,
} from "../_support/process.ts";
import { eventsOf, logEvents } from "../_support/log.ts";
import { freePort } from "../_support/socket.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";

/** A UDP echo on loopback, port 0, that counts what it gets. */
function udpEcho() {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  let received = 0;
  const serving = (async () => {
    try {
      for (;;) {
        const [data, from] = await socket.receive();
        received++;
        await socket.send(data, from);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        throw error;
      }
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    received: () => received,
    async [Symbol.asyncDispose]() {
      socket.close();
      await serving;
    },
  };
}

/** A client socket on 127.0.0.1 (port 0 unless given) that keeps every reply. */
function client(port = 0) {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
  const replies: string[] = [];
  const receiving = (async () => {
    try {
      for (;;) replies.push(new TextDecoder().decode((await socket.receive())[0]));
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        throw error;
      }
    }
  })();
  return {
    replies,
    send: (text: string, port: number) =>
      socket.send(new TextEncoder().encode(text), {
        transport: "udp",
        hostname: "127.0.0.1",
        port,
      }),
    async [Symbol.asyncDispose]() {
      socket.close();
      await receiving;
    },
  };
}

/** The fault events in muxd's log, as `kind on: detail`. */
function faultsSaid(stderr: string): string[] {
  return eventsOf(logEvents(stderr), "fault").map((e) => `${e.fault} ${e.on}: ${e.detail}`);
}

Deno.test("forward with drop=1&faults-on=reply: the upstream gets each request, the client no reply", async () => {
  await using up = udpEcho();
  await using muxd = await startMuxd(
    serveDebug(`udp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}&drop=1&faults-on=reply`),
  );
  await using me = client();
  for (const text of ["one", "two", "three"]) await me.send(text, muxd.port(0));
  await waitUntil(() => up.received() === 3, 10_000, "the upstream to get three requests");
  await waitUntil(() => faultsSaid(muxd.stderr()).length === 3, 10_000, "three faults");
  // The session's socket opens with the first request: the replies may come in any order.
  assert.deepEqual(faultsSaid(muxd.stderr()).sort(), [
    "drop reply: dropped 3 B",
    "drop reply: dropped 3 B",
    "drop reply: dropped 5 B",
  ]);
  assert.equal(eventsOf(logEvents(muxd.stderr()), "reply").length, 0);
  assert.deepEqual(me.replies, []);
});

Deno.test("forward with drop=1 (on the request): the upstream never sees a request, no session opens", async () => {
  await using up = udpEcho();
  await using muxd = await startMuxd(
    serveDebug(`udp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}&drop=1`),
  );
  await using me = client();
  for (const text of ["one", "two", "three"]) await me.send(text, muxd.port(0));
  await waitUntil(() => faultsSaid(muxd.stderr()).length === 3, 10_000, "three faults");
  assert.deepEqual(faultsSaid(muxd.stderr()), [
    "drop request: dropped 3 B",
    "drop request: dropped 3 B",
    "drop request: dropped 5 B",
  ]);
  assert.equal(up.received(), 0);
  assert.equal(eventsOf(logEvents(muxd.stderr()), "upstream-connected").length, 0);
});

Deno.test("forward with duplicate=1&faults-on=both: the upstream gets each request twice, the client four replies", async () => {
  await using up = udpEcho();
  await using muxd = await startMuxd(
    serveDebug(`udp://127.0.0.1:0=forward?to=127.0.0.1:${up.port}&duplicate=1&faults-on=both`),
  );
  await using me = client();
  await me.send("twice", muxd.port(0));
  await waitUntil(() => me.replies.length === 4, 10_000, "four replies", () => muxd.stderr());
  assert.equal(up.received(), 2);
  assert.deepEqual(me.replies, ["twice", "twice", "twice", "twice"]);
  await waitUntil(() => faultsSaid(muxd.stderr()).length === 3, 10_000, "three faults");
  assert.deepEqual(faultsSaid(muxd.stderr()), [
    "duplicate request: sent twice",
    "duplicate reply: sent twice",
    "duplicate reply: sent twice",
  ]);
});

/** muxd from source as `deno task serve:exec` runs it: the right to run python3. */
const EXEC_LAUNCHER: MuxdLauncher = {
  program: "deno",
  args: ["run", ...permissionFlags(task("serve:exec")), MAIN],
};

const UDP_SIZE = new URL("../../docs/examples/udp_size.py", import.meta.url).pathname;

Deno.test("exec with duplicate=1: on the request two programs run and answer, on the reply one program's answer comes twice", async () => {
  await using muxd = await startMuxd(
    serveDebug(
      `udp://127.0.0.1:0=exec?run=python3,${UDP_SIZE}&duplicate=1`,
      `udp://127.0.0.1:0=exec?run=python3,${UDP_SIZE}&duplicate=1&faults-on=reply`,
    ),
    EXEC_LAUNCHER,
  );
  await using onRequest = client();
  await using onReply = client();
  await onRequest.send("request", muxd.port(0));
  await onReply.send("reply", muxd.port(1));
  const twoEach = () => onRequest.replies.length === 2 && onReply.replies.length === 2;
  await waitUntil(twoEach, 20_000, "two replies each", () => muxd.stderr());
  for (const r of onRequest.replies) assert.match(r, /^Your data was 7 bytes long\n/);
  for (const r of onReply.replies) assert.match(r, /^Your data was 5 bytes long\n/);
  const started = eventsOf(logEvents(muxd.stderr()), "exec-started").map((e) => e.local.port);
  assert.deepEqual(started.sort(), [muxd.port(0), muxd.port(0), muxd.port(1)].sort());
});

Deno.test("udp duplicate=1&delay=20: each copy of a late reply still meets the reply guards (none to a fixed loopback port)", async () => {
  await using muxd = await startMuxd(serveDebug("udp://127.0.0.1:0=echo?duplicate=1&delay=20"));
  // A client bound to a chosen port below the ephemeral range: on loopback
  // that is another server's port, and the loop guard lets no reply go to it.
  await using fixed = client(freePort());
  await fixed.send("loop?", muxd.port(0));
  const suppressed = () => eventsOf(logEvents(muxd.stderr()), "reply-suppressed");
  await waitUntil(() => suppressed().length === 2, 10_000, "two suppressed replies");
  assert.deepEqual(suppressed().map((e) => e.reason), ["loop", "loop"]);
  assert.equal(eventsOf(logEvents(muxd.stderr()), "reply").length, 0);
  // The same from a client's ephemeral port: both copies come, late.
  await using ephemeral = client();
  const start = performance.now();
  await ephemeral.send("hello", muxd.port(0));
  await withTimeout(
    waitUntil(() => ephemeral.replies.length === 2, 10_000, "two replies"),
    11_000,
    "two replies",
  );
  assert.ok(performance.now() - start >= 20);
  assert.deepEqual(fixed.replies, []);
});
