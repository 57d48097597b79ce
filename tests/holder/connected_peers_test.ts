/**
 * connectedPeersBySs(): which UDP sockets are a port's clients (connected to
 * it, or alone on their own port), from one `ss` run for every port. A
 * flood across a port range trips every listener at once: one `ss` runs and
 * one waits, however many ask.
 */

import assert from "node:assert/strict";
import { connectedPeersBySs, SS_MAX_MS } from "../../lib/holder/connected_peers.ts";
import type { SsOutput } from "../../lib/holder/types.ts";

/** An `ss` whose runs the test ends one by one, each answering with `stdout`. */
function heldSs(stdout: string) {
  const runs: PromiseWithResolvers<SsOutput>[] = [];
  const run = () => {
    const held = Promise.withResolvers<SsOutput>();
    runs.push(held);
    return held.promise;
  };
  const finish = (i: number) => runs[i].resolve({ code: 0, stdout, stderr: "" });
  return { run, runs, finish };
}

/**
 * As `ss -H -n -u -a` prints it: three listeners; two connected clients, each
 * beside another socket on its port, so a client by its connection alone;
 * two sockets sharing a port; one socket alone on its port.
 */
const TABLE = "UNCONN 0 0 127.0.0.1:7001 0.0.0.0:*\n" +
  "UNCONN 0 0 127.0.0.1:7002 0.0.0.0:*\n" +
  "UNCONN 0 0 127.0.0.1:7003 0.0.0.0:*\n" +
  "ESTAB 0 0 127.0.0.1:40001 127.0.0.1:7001\n" +
  "UNCONN 0 0 127.0.0.1:40001 0.0.0.0:*\n" +
  "ESTAB 0 0 127.0.0.1:40002 127.0.0.1:7002\n" +
  "UNCONN 0 0 0.0.0.0:40002 0.0.0.0:*\n" +
  "UNCONN 0 0 127.0.0.1:40003 0.0.0.0:*\n" +
  "UNCONN 0 0 0.0.0.0:40003 0.0.0.0:*\n" +
  "UNCONN 0 0 0.0.0.0:40004 0.0.0.0:*\n";

/** Which of the table's sources `clients` takes for clients. */
const among = (clients: { has(key: string): boolean } | null) =>
  ["127.0.0.1 40001", "127.0.0.1 40002", "127.0.0.1 40003", "127.0.0.1 40004"].filter((k) =>
    clients!.has(k)
  );

const OPEN = new AbortController().signal;
const allowed = () => true;
/** The table's sockets are no real ones: none lets another share its name. */
const unshared = () => false;

Deno.test("connectedPeersBySs() answers 500 asks of many ports at once with two runs of ss: the first ask's, and one for all the rest", async () => {
  const ss = heldSs(TABLE);
  const lookup = connectedPeersBySs(ss.run, allowed, unshared);
  const asks = Array.from({ length: 500 }, (_, i) => lookup(7001 + (i % 3), OPEN, false));
  assert.equal(ss.runs.length, 1);
  ss.finish(0);
  await asks[0];
  await Promise.resolve();
  assert.equal(ss.runs.length, 2);
  ss.finish(1);
  const answers = await Promise.all(asks);
  assert.deepEqual(among(answers[0]), ["127.0.0.1 40001", "127.0.0.1 40004"]);
  assert.deepEqual(among(answers[1]), ["127.0.0.1 40002", "127.0.0.1 40004"]);
  assert.deepEqual(among(answers[2]), ["127.0.0.1 40004"]);
  assert.equal(ss.runs.length, 2);
});

Deno.test("connectedPeersBySs(): an ask while ss runs waits for the next run, which every such ask shares", async () => {
  const ss = heldSs(TABLE);
  const lookup = connectedPeersBySs(ss.run, allowed, unshared);
  const first = lookup(7001, OPEN, false);
  const later = [lookup(7001, OPEN, false), lookup(7002, OPEN, false), lookup(7003, OPEN, false)];
  assert.equal(ss.runs.length, 1);
  ss.finish(0);
  await first;
  await Promise.resolve();
  assert.equal(ss.runs.length, 2, "the waiting asks start one more run");
  ss.finish(1);
  await Promise.all(later);
  assert.equal(ss.runs.length, 2);
});

Deno.test("connectedPeersBySs() answers null where ss cannot run or fails", async () => {
  const none = connectedPeersBySs(() => Promise.resolve(null), allowed);
  assert.equal(await none(7001, OPEN, false), null);
  const failed = { code: 1, stdout: "", stderr: "boom" };
  assert.equal(
    await connectedPeersBySs(() => Promise.resolve(failed), allowed)(7001, OPEN, false),
    null,
  );
});

Deno.test("connectedPeersBySs() runs nothing without the right to run ss (Deno would stop everything to prompt)", async () => {
  let runs = 0;
  const lookup = connectedPeersBySs(() => (runs++, Promise.resolve(null)), () => false);
  assert.equal(await lookup(7001, OPEN, false), null);
  assert.equal(runs, 0);
});

/** An `ss` that runs until its signal ends it: Deno.Command then gives SIGTERM's code, 143. */
function endlessSs(args: readonly string[], signal?: AbortSignal) {
  assert.deepEqual(args, ["-H", "-n", "-u", "-a"]);
  return new Promise<SsOutput>((resolve) => {
    signal!.addEventListener("abort", () => resolve({ code: 143, stdout: "", stderr: "" }));
  });
}

Deno.test("connectedPeersBySs() ends an ss that runs too long, and answers null", async () => {
  const started = performance.now();
  assert.equal(await connectedPeersBySs(endlessSs, allowed)(7001, OPEN, false), null);
  const took = performance.now() - started;
  assert.ok(took >= SS_MAX_MS - 10 && took < SS_MAX_MS + 1000, `${took} ms`);
});

Deno.test("connectedPeersBySs() ends its ss when the asker's signal is aborted (the server closing)", async () => {
  const closing = new AbortController();
  const asked = connectedPeersBySs(endlessSs, allowed)(7001, closing.signal, false);
  closing.abort();
  assert.equal(await asked, null);
});

Deno.test("connectedPeersBySs() with the real ss: a client's socket connected to the port, or alone on its own port, is a client; two sockets sharing a port are not", async () => {
  const listener = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  // Deno's own UDP client cannot connect(): it sends with sendto() from a socket alone on its port.
  const alone = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  // A forger beside a server on the server's port (SO_REUSEADDR), as muxd's ?reuse=true allows.
  const server = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
    reuseAddress: true,
  });
  const shared = (server.addr as Deno.NetAddr).port;
  const forger = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: shared,
    reuseAddress: true,
  });
  try {
    const clients = await connectedPeersBySs()(port, OPEN, false);
    assert.ok(clients !== null, "ss answers");
    assert.equal(clients.has(`127.0.0.1 ${(alone.addr as Deno.NetAddr).port}`), true);
    assert.equal(clients.has(`127.0.0.1 ${shared}`), false);
  } finally {
    for (const socket of [listener, alone, server, forger]) socket.close();
  }
});

Deno.test("connectedPeersBySs() with the real ss: a socket alone on its port that set SO_REUSEADDR is not a client: a forger may have shared its port, sent in its name and closed", async () => {
  const listener = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  // A server that lets others share its port, alone on it now: the forger is gone.
  const server = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
    reuseAddress: true,
  });
  const alone = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const clients = await connectedPeersBySs()(port, OPEN, false);
    assert.ok(clients !== null, "ss answers");
    assert.equal(clients.has(`127.0.0.1 ${(server.addr as Deno.NetAddr).port}`), false);
    assert.equal(clients.has(`127.0.0.1 ${(alone.addr as Deno.NetAddr).port}`), true);
    // Asking did not take the client's name: it still receives there.
    const to = {
      transport: "udp",
      hostname: "127.0.0.1",
      port: (alone.addr as Deno.NetAddr).port,
    } as const;
    await listener.send(new TextEncoder().encode("still yours"), to);
    const [got] = await alone.receive();
    assert.equal(new TextDecoder().decode(got), "still yours");
  } finally {
    for (const socket of [listener, server, alone]) socket.close();
  }
});

Deno.test("connectedPeersBySs() with the real ss: beside a listener that shares its port (?reuse=true), a socket alone on its own port is not a client, a connected one still is", async () => {
  const listener = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const alone = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const connected = new Deno.Command("python3", {
    args: [
      "-c",
      "import socket, sys\n" +
      "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
      `s.connect(("127.0.0.1", ${port}))\n` +
      "print(s.getsockname()[1], flush=True)\n" +
      "sys.stdin.read()\n",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const lines = connected.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const connectedPort = Number((await lines.read()).value!.trim());
    const clients = await connectedPeersBySs()(port, OPEN, true);
    assert.ok(clients !== null, "ss answers");
    assert.equal(clients.has(`127.0.0.1 ${(alone.addr as Deno.NetAddr).port}`), false);
    assert.equal(clients.has(`127.0.0.1 ${connectedPort}`), true);
  } finally {
    await connected.stdin.close();
    while (!(await lines.read()).done);
    await connected.status;
    for (const socket of [listener, alone]) socket.close();
  }
});

Deno.test("connectedPeersBySs() counts only the wildcards of a source's own family beside it: IPv4's 0.0.0.0 receives no IPv6, a v6-only [::] no IPv4, a dual-stack * both", async () => {
  const table = "UNCONN 0 0 127.0.0.1:40005 0.0.0.0:*\n" +
    "UNCONN 0 0 [::]:40005 [::]:*\n" + // v6-only: not beside 127.0.0.1:40005
    "UNCONN 0 0 [::1]:40006 [::]:*\n" +
    "UNCONN 0 0 0.0.0.0:40006 0.0.0.0:*\n" + // IPv4: not beside [::1]:40006
    "UNCONN 0 0 127.0.0.1:40007 0.0.0.0:*\n" +
    "UNCONN 0 0 *:40007 *:*\n" + // dual-stack: beside 127.0.0.1:40007
    "UNCONN 0 0 [::1]:40008 [::]:*\n" +
    "UNCONN 0 0 [::]:40008 [::]:*\n"; // beside [::1]:40008
  const ss = () => Promise.resolve({ code: 0, stdout: table, stderr: "" });
  const clients = await connectedPeersBySs(ss, allowed, unshared)(7001, OPEN, false);
  assert.deepEqual(
    ["127.0.0.1 40005", "::1 40006", "127.0.0.1 40007", "::1 40008"].filter((k) => clients!.has(k)),
    ["127.0.0.1 40005", "::1 40006"],
  );
});

Deno.test("connectedPeersBySs() with the real ss: a client alone on its name is a client beside a socket of the other family on the same port number", async () => {
  const listener = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  // Some IPv4 program's socket on 0.0.0.0:P, and a Deno IPv6 client on [::1]:P.
  const v4 = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const shared = (v4.addr as Deno.NetAddr).port;
  const v6Client = Deno.listenDatagram({ transport: "udp", hostname: "::1", port: shared });
  try {
    const clients = await connectedPeersBySs()(port, OPEN, false);
    assert.ok(clients !== null, "ss answers");
    assert.equal(clients.has(`::1 ${shared}`), true);
  } finally {
    for (const socket of [listener, v4, v6Client]) socket.close();
  }
});
