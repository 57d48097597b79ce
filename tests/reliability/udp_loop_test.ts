/**
 * The UDP loop guard stops loops between two UDP servers of one host.
 *
 * - Two muxd echo sockets share one port P on 127.0.0.1 (muxd A) and
 *   127.0.0.2 (muxd B, or the same muxd); a test socket shares 127.0.0.2:P
 *   with B (SO_REUSEADDR on both) and sends A one datagram, which looks as if
 *   B had sent it. Checks that A suppresses the reply at once with reason
 *   "loop" and that across a second A and B together log at most one
 *   datagram each: the loop never starts.
 * - Two muxd processes on two different ports, one forged datagram from B's
 *   socket name to A, for echo and echo, daytime and echo, qotd and chargen,
 *   echo and chargen:
 *   on fixed ports below 32768 the port rule stops the loop at its first
 *   datagram; with reply-to=any, and on ports the OS picked (port 0, inside
 *   the ephemeral range), the loop detector stops it after 100 repeats of
 *   one datagram (0.1–0.3 s on an idle machine, printed). Checks the
 *   last datagram either muxd logged, the "loop" suppression and its words,
 *   and that nothing arrives after it.
 * - A client on an ephemeral port sends thousands of numbered datagrams to
 *   echo back to back, 16 in flight: every one comes back and nothing is
 *   suppressed.
 * - start() with a promised ephemeral range: a client on a fixed port gets
 *   no reply until the range arrives and includes its port, then one.
 */

import assert from "node:assert/strict";
import type { ServerEvent } from "../../lib/events/mod.ts";
import { start } from "../../lib/server/mod.ts";
import { countEvents, eventsOf, logEvents } from "../_support/log.ts";
import { planOf } from "../_support/plan.ts";
import { MuxdNotReadyError, type MuxdProcess, serveJson, startMuxd } from "../_support/process.ts";
import { freePort } from "../_support/socket.ts";
import { sleep, waitUntil, withTimeout } from "../_support/wait.ts";

/** How long a loop, had it started, would have to show itself. */
const WATCH_MS = 1000;
/** The events that mean a datagram reached a socket. */
const ARRIVALS: readonly ServerEvent["type"][] = ["datagram", "reply-suppressed"];

/**
 * Runs `attempt` with ports free a moment ago on every IPv4 address until one
 * stays free long enough, at most 5 times.
 *
 * @param attempt Binds with the port; throws `Deno.errors.AddrInUse` or a
 *   MuxdNotReadyError with code 1 when it is taken.
 */
async function onFreePort<T>(attempt: (port: number) => Promise<T>): Promise<T> {
  for (let tries = 1;; tries++) {
    try {
      return await attempt(freePort("0.0.0.0"));
    } catch (error) {
      const inUse = error instanceof Deno.errors.AddrInUse ||
        (error instanceof MuxdNotReadyError && error.finished.code === 1);
      if (!inUse || tries >= 5) throw error;
    }
  }
}

/** A socket on 127.0.0.2:P beside muxd's, sending one datagram to 127.0.0.1:P. */
async function sendAsIfFromB(port: number): Promise<void> {
  const spoof = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.2",
    port,
    reuseAddress: true,
  });
  try {
    await spoof.send(new TextEncoder().encode("are you a loop?\n"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    // Keep the socket while a loop would run, so that replies have somewhere to go.
    await sleep(WATCH_MS);
  } finally {
    spoof.close();
  }
}

Deno.test("muxd serve stops an echo loop between two muxd processes at its first datagram", async () => {
  const a = await onFreePort(async (port) => ({
    port,
    muxd: await startMuxd(serveJson(`udp://127.0.0.1:${port}=echo?reuse=true`)),
  }));
  await using muxdA: MuxdProcess = a.muxd;
  await using muxdB = await startMuxd(serveJson(`udp://127.0.0.2:${a.port}=echo?reuse=true`));
  const sent = performance.now();
  const sending = sendAsIfFromB(a.port);
  let suppressedAfter: number;
  try {
    await waitUntil(
      () => eventsOf(logEvents(muxdA.stderr()), "reply-suppressed").length > 0,
      10_000,
      "muxd A's reply-suppressed record",
      () => muxdA.stderr(),
    );
    suppressedAfter = performance.now() - sent;
  } finally {
    await sending;
  }

  const eventsA = logEvents(muxdA.stderr());
  const eventsB = logEvents(muxdB.stderr());
  const suppressed = eventsOf(eventsA, "reply-suppressed");
  assert.deepEqual(
    suppressed.map((e) => [e.reason, e.remote, e.bytesOut]),
    [["loop", { address: "127.0.0.2", port: a.port }, 0]],
  );
  const arrivals = (events: ServerEvent[]) => events.filter((e) => ARRIVALS.includes(e.type));
  assert.ok(arrivals(eventsA).length <= 1, `A logged ${arrivals(eventsA).length} arrivals`);
  assert.ok(arrivals(eventsB).length <= 1, `B logged ${arrivals(eventsB).length} arrivals`);
  assert.deepEqual(eventsOf([...eventsA, ...eventsB], "reply"), []);
  console.log(`the loop was stopped ${suppressedAfter.toFixed(1)} ms after the first datagram`);
});

Deno.test("start() stops an echo loop between two of its own UDP sockets at its first datagram", async () => {
  const events: ServerEvent[] = [];
  const { server, port } = await onFreePort(async (port) => ({
    port,
    server: await start(
      planOf(`udp://127.0.0.1:${port}=echo?reuse=true`, `udp://127.0.0.2:${port}=echo?reuse=true`),
      { sink: (e) => events.push(e) },
    ),
  }));
  try {
    const sending = sendAsIfFromB(port);
    try {
      await waitUntil(
        () => eventsOf(events, "reply-suppressed").length > 0,
        10_000,
        "the reply-suppressed event",
      );
    } finally {
      await sending;
    }
  } finally {
    await server.close({ graceMs: 0 });
  }
  const arrivals = events.filter((e) => ARRIVALS.includes(e.type));
  assert.deepEqual(
    arrivals.map((e) => e.type === "reply-suppressed" && [e.reason, e.local, e.remote]),
    [["loop", { address: "127.0.0.1", port }, { address: "127.0.0.2", port }]],
  );
  assert.deepEqual(eventsOf(events, "reply"), []);
});

/**
 * The repeats of one datagram after which the detector cuts its source:
 * 100 within 1 s. Both sides of a loop count, and a daytime line may change
 * once on its way, so a cut loop carried at most 4 × 100 + 2 datagrams.
 */
const LOOP_REPEATS = 100;
/**
 * How long a cut loop may have run, in ms: far more than the 0.1–0.3 s it
 * takes (printed), so that a machine that slows every round does not fail
 * the test; a loop the detector never cuts runs on and fails the wait for
 * its suppression instead.
 */
const LOOP_DIES_WITHIN_MS = 5000;
/** How long the tests watch for arrivals after a loop was cut, in ms. */
const QUIET_MS = 500;

/** Where a muxd of a forged loop listens: a fixed port below 32768, or one the OS picks. */
type Ports = "fixed" | "ephemeral";

/** Two muxd processes and a forger beside B. */
interface LoopRig extends AsyncDisposable {
  readonly a: MuxdProcess;
  readonly b: MuxdProcess;
  /** A's port. */
  readonly portA: number;
  /** B's port, which the forger shares. */
  readonly portB: number;
  /**
   * Sends A datagrams from B's socket name, `count` different ones back to
   * back; returns when they were sent (Date.now()).
   */
  forge(count?: number): Promise<number>;
}

/**
 * Starts muxd B on a port a forger socket already holds, then muxd A.
 *
 * The forger binds first, with SO_REUSEADDR, and B shares the port with
 * `reuse=true`: Linux hands a datagram to the socket bound last, so B gets
 * every reply A sends there, while the forger's datagram to A carries B's
 * socket name. With `ephemeral` ports the forger binds port 0 and B takes the
 * port the OS gave it, inside the ephemeral range, as a muxd on port 0 would.
 */
async function loopRig(
  serviceA: string,
  serviceB: string,
  ports: Ports,
  options = "",
): Promise<LoopRig> {
  const bind = (port: number) =>
    Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port, reuseAddress: true });
  const forger = ports === "fixed"
    ? await onFreePort((port) => Promise.resolve(bind(port)))
    : bind(0);
  const portB = (forger.addr as Deno.NetAddr).port;
  try {
    const spec = (port: number, service: string) =>
      `udp://127.0.0.1:${port}=${service}?reuse=true${options}`;
    const b = await startMuxd(serveJson(spec(portB, serviceB)));
    try {
      const started = ports === "fixed"
        ? await onFreePort(async (port) => ({
          port,
          muxd: await startMuxd(serveJson(spec(port, serviceA))),
        }))
        : await (async () => {
          const muxd = await startMuxd(serveJson(spec(0, serviceA)));
          return { port: muxd.port(0), muxd };
        })();
      const a = started.muxd;
      return {
        a,
        b,
        portA: started.port,
        portB,
        async forge(count = 1) {
          for (let i = 0; i < count; i++) {
            const text = count === 1 ? "are you a loop?\n" : `are you a loop? (${i + 1})\n`;
            await forger.send(new TextEncoder().encode(text), {
              transport: "udp",
              hostname: "127.0.0.1",
              port: started.port,
            });
          }
          return Date.now();
        },
        async [Symbol.asyncDispose]() {
          forger.close();
          await Promise.all([a.stop("SIGKILL"), b.stop("SIGKILL")]);
        },
      };
    } catch (error) {
      await b.stop("SIGKILL");
      throw error;
    }
  } catch (error) {
    forger.close();
    throw error;
  }
}

/** What one forged loop did, read from both logs once it was over. */
interface LoopOutcome {
  /** Datagrams each muxd logged, A and B. */
  readonly datagrams: readonly [number, number];
  /** When the last datagram arrived at either muxd, in ms after the forged one. */
  readonly lastAfterMs: number;
  /** Every suppression, from either muxd. */
  readonly suppressed: readonly { reason: string; detail: string; remote: unknown }[];
}

/**
 * Forges one datagram to A from B's socket name, waits for the first
 * suppression in either log, then watches both logs for {@linkcode QUIET_MS}
 * more: a loop that goes on fails the wait or shows in the counts.
 */
async function forgedLoop(rig: LoopRig, forged = 1): Promise<LoopOutcome> {
  const count = () =>
    countEvents(rig.a.stderr(), "datagram") + countEvents(rig.b.stderr(), "datagram");
  const sentAt = await rig.forge(forged);
  await waitUntil(
    () =>
      countEvents(rig.a.stderr(), "reply-suppressed") +
          countEvents(rig.b.stderr(), "reply-suppressed") > 0,
    10_000,
    "a reply-suppressed record",
    () => `${count()} datagrams logged by then: the loop went on`,
  );
  // Arrivals may still be on their way to the log (it is written in batches).
  for (let last = -1, now = count(); now !== last; last = now, now = count()) await sleep(50);
  const before = count();
  await sleep(QUIET_MS);
  assert.equal(count(), before, `datagrams went on arriving ${QUIET_MS} ms after the cut`);
  const eventsA = logEvents(rig.a.stderr());
  const eventsB = logEvents(rig.b.stderr());
  const times = [...eventsA, ...eventsB].filter((e) => e.type === "datagram").map((e) => e.time);
  return {
    datagrams: [eventsOf(eventsA, "datagram").length, eventsOf(eventsB, "datagram").length],
    lastAfterMs: Math.max(...times) - sentAt,
    suppressed: [...eventsOf(eventsA, "reply-suppressed"), ...eventsOf(eventsB, "reply-suppressed")]
      .map((e) => ({ reason: e.reason, detail: e.detail, remote: e.remote })),
  };
}

const PAIRS: readonly [serviceA: string, serviceB: string][] = [
  ["echo", "echo"],
  ["daytime", "echo"],
  ["qotd", "chargen"],
  // chargen's UDP reply has a random length, drawn per sender and second: within a second
  // it repeats, as the detector needs.
  ["echo", "chargen"],
];

for (const [serviceA, serviceB] of PAIRS) {
  Deno.test(`muxd serve stops the loop of two muxd processes, ${serviceA} and ${serviceB}, on fixed ports at its first datagram`, async () => {
    await using rig = await loopRig(serviceA, serviceB, "fixed");
    const outcome = await forgedLoop(rig);
    assert.deepEqual(outcome.datagrams, [1, 0], "A got the forged datagram and B nothing");
    assert.equal(outcome.suppressed.length, 1);
    const [cut] = outcome.suppressed;
    assert.equal(cut.reason, "loop");
    assert.deepEqual(cut.remote, { address: "127.0.0.1", port: rig.portB });
    assert.match(cut.detail, /outside 32768-60999, the range this host gives clients' sockets/);
  });

  Deno.test(`muxd serve stops the loop of two muxd processes, ${serviceA} and ${serviceB}, on ports the OS picked, by its loop detector`, async () => {
    await using rig = await loopRig(serviceA, serviceB, "ephemeral");
    const outcome = await forgedLoop(rig);
    console.log(
      `${serviceA}-${serviceB} on ports ${rig.portA} and ${rig.portB}: ${outcome.datagrams} ` +
        `datagrams, the last ${outcome.lastAfterMs} ms after the forged one`,
    );
    assertCutByDetector(outcome);
  });
}

Deno.test(`muxd serve stops the loop of two muxd processes, echo and echo, on fixed ports with reply-to=any, by its loop detector`, async () => {
  await using rig = await loopRig("echo", "echo", "fixed", "&reply-to=any");
  const outcome = await forgedLoop(rig);
  assertCutByDetector(outcome);
});

/**
 * The loop detector cut the loop of `forged` datagrams, in words, after at
 * most {@linkcode LOOP_REPEATS} repeats.
 */
function assertCutByDetector(outcome: LoopOutcome, forged = 1): void {
  assert.ok(
    outcome.lastAfterMs <= LOOP_DIES_WITHIN_MS,
    `the last datagram arrived ${outcome.lastAfterMs} ms after the forged one`,
  );
  // One suppression per datagram in flight, each dropped as it comes back.
  assert.ok(
    outcome.suppressed.length >= 1 && outcome.suppressed.length <= forged,
    JSON.stringify(outcome.suppressed),
  );
  for (const cut of outcome.suppressed) {
    assert.equal(cut.reason, "loop");
    assert.match(cut.detail, /the same datagram 100 times within 1 s/);
  }
  const [a, b] = outcome.datagrams;
  // Each round is one datagram each way; the daytime line may change once on the way.
  assert.ok(a + b <= forged * (4 * LOOP_REPEATS + 2), `${a} and ${b} datagrams`);
}

for (const forged of [2, 10]) {
  Deno.test(`muxd serve stops the loop of two muxd echo processes on ports the OS picked, with ${forged} different datagrams in it, by its loop detector`, async () => {
    await using rig = await loopRig("echo", "echo", "ephemeral");
    const outcome = await forgedLoop(rig, forged);
    console.log(
      `${forged} datagrams in the loop: ${outcome.datagrams} datagrams, the last ` +
        `${outcome.lastAfterMs} ms after the forged ones`,
    );
    assertCutByDetector(outcome, forged);
  });
}

/** Datagrams the full-speed client sends. */
const CLIENT_DATAGRAMS = 5000;
/** How many of them are in flight at once. */
const IN_FLIGHT = 16;

Deno.test(`muxd serve echoes all of ${CLIENT_DATAGRAMS} numbered datagrams from a client on an ephemeral port, ${IN_FLIGHT} in flight`, async () => {
  await using muxd = await startMuxd(serveJson("udp://127.0.0.1:0=echo"));
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: muxd.port(0) };
  // Loadgen's kind of request: a sequence number first, then a fixed pattern.
  const request = (seq: number) => {
    const bytes = new Uint8Array(48).fill(0x2a);
    new DataView(bytes.buffer).setUint32(0, seq);
    return bytes;
  };
  let received = 0;
  let wrong = 0;
  const started = performance.now();
  let next = 0;
  for (; next < IN_FLIGHT; next++) await client.send(request(next), to);
  const echoing = (async () => {
    while (received < CLIENT_DATAGRAMS) {
      const [reply] = await client.receive();
      received++;
      if (reply.length !== 48 || reply[4] !== 0x2a) wrong++;
      if (next < CLIENT_DATAGRAMS) await client.send(request(next++), to);
    }
  })();
  try {
    await withTimeout(echoing, 20_000, `${CLIENT_DATAGRAMS} echoes`);
  } finally {
    client.close();
    const ms = performance.now() - started;
    console.log(
      `${received} echoes in ${ms.toFixed(0)} ms (${(received / ms * 1000).toFixed(0)}/s)`,
    );
    // After a timeout, closing the socket ends the pending receive.
    await echoing.catch((error) => {
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        throw error;
      }
    });
  }
  assert.equal(received, CLIENT_DATAGRAMS);
  assert.equal(wrong, 0);
  assert.equal(countEvents(muxd.stderr(), "reply-suppressed"), 0, "muxd suppressed replies");
});

Deno.test("start() replies to a fixed loopback port once the ephemeralPorts it was promised include it", async () => {
  const events: ServerEvent[] = [];
  const range = Promise.withResolvers<{ first: number; last: number }>();
  const server = await start(planOf("udp://127.0.0.1:0=echo"), {
    sink: (e) => events.push(e),
    ephemeralPorts: range.promise,
  });
  const client = await onFreePort((port) =>
    Promise.resolve(Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }))
  );
  const to: Deno.NetAddr = {
    transport: "udp",
    hostname: "127.0.0.1",
    port: server.sockets[0].local.port,
  };
  const replies: Uint8Array[] = [];
  const receiving = (async () => {
    try {
      for (;;) replies.push((await client.receive())[0]);
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        throw error;
      }
    }
  })();
  try {
    await client.send(new TextEncoder().encode("before\n"), to);
    await waitUntil(
      () => eventsOf(events, "reply-suppressed").length === 1,
      10_000,
      "the suppression",
    );
    range.resolve({ first: 1024, last: 65535 });
    await range.promise;
    await client.send(new TextEncoder().encode("after\n"), to);
    await waitUntil(() => replies.length === 1, 10_000, "the reply");
  } finally {
    client.close();
    await receiving;
    await server.close({ graceMs: 0 });
  }
  assert.deepEqual(eventsOf(events, "reply-suppressed").map((e) => e.reason), ["loop"]);
  assert.equal(new TextDecoder().decode(replies[0]), "after\n");
});

/**
 * A ping without a sequence number, over and over: Python's socket sends the
 * same 4 bytes `count` times, one every 0.5 ms (so that 100 come within a
 * second however busy the machine), connected or not, takes the replies as
 * they come, and prints how many came (waiting 1 s after the last).
 */
const PINGS = `
import socket, sys, time
port, connected, count = int(sys.argv[1]), sys.argv[2] == "connected", int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if connected:
    s.connect(("127.0.0.1", port))
replies = 0
def drain():
    global replies
    try:
        while True:
            s.recv(100)
            replies += 1
    except (BlockingIOError, socket.timeout):
        pass
s.setblocking(False)
for _ in range(count):
    if connected:
        s.send(b"ping")
    else:
        s.sendto(b"ping", ("127.0.0.1", port))
    drain()
    time.sleep(0.0005)
s.settimeout(1)
drain()
print(replies)
`;

async function pings(port: number, connected: boolean, count: number): Promise<number> {
  const out = await new Deno.Command("python3", {
    args: ["-c", PINGS, `${port}`, connected ? "connected" : "unconnected", `${count}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return Number(new TextDecoder().decode(out.stdout).trim());
}

for (const connected of [true, false]) {
  const how = connected ? "a connected Python client" : "a Python client that uses sendto()";
  Deno.test(`muxd serve answers every one of 500 identical pings of ${how} (default options)`, async () => {
    await using muxd = await startMuxd(serveJson("udp://127.0.0.1:0=echo"));
    const port = muxd.ready.sockets[0].port;
    assert.equal(await pings(port, connected, 500), 500);
    await sleep(100);
    assert.equal(countEvents(muxd.stderr(), "reply-suppressed"), 0, muxd.stderr());
  });
}

Deno.test("muxd serve answers every one of 1,000 identical pings of a Deno client, which cannot connect() its socket, sent and read in lockstep", async () => {
  await using muxd = await startMuxd(serveJson("udp://127.0.0.1:0=echo"));
  const to = { transport: "udp", hostname: "127.0.0.1", port: muxd.ready.sockets[0].port } as const;
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const ping = new TextEncoder().encode("ping");
    for (let i = 0; i < 1000; i++) {
      await client.send(ping, to);
      const reply = await withTimeout(client.receive(), 2000, `the reply to ping ${i + 1}`);
      assert.equal(reply[0].length, ping.length);
    }
  } finally {
    client.close();
  }
  await sleep(100);
  assert.equal(countEvents(muxd.stderr(), "reply-suppressed"), 0, muxd.stderr());
});

Deno.test("muxd serve answers every one of 500 identical pings of a Deno IPv6 client on [::1]:P while an IPv4 socket holds 0.0.0.0:P, which receives no IPv6", async () => {
  await using muxd = await startMuxd(serveJson("udp://[::1]:0=echo"));
  const to = { transport: "udp", hostname: "::1", port: muxd.ready.sockets[0].port } as const;
  // Another program's IPv4 socket on the port number the client then takes.
  const v4 = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const port = (v4.addr as Deno.NetAddr).port;
  const client = Deno.listenDatagram({ transport: "udp", hostname: "::1", port });
  try {
    const ping = new TextEncoder().encode("ping");
    for (let i = 0; i < 500; i++) {
      await client.send(ping, to);
      await withTimeout(client.receive(), 2000, `the reply to ping ${i + 1}`);
    }
  } finally {
    client.close();
    v4.close();
  }
  await sleep(100);
  assert.equal(countEvents(muxd.stderr(), "reply-suppressed"), 0, muxd.stderr());
});

Deno.test("muxd serve answers every one of 500 identical pings of a connected Python client through its own UDP forward to its own echo", async () => {
  const echoPort = freePort("127.0.0.1");
  await using muxd = await startMuxd(
    serveJson(
      `udp://127.0.0.1:${echoPort}=echo`,
      `udp://127.0.0.1:0=forward?to=127.0.0.1:${echoPort}`,
    ),
  );
  const forward = muxd.ready.sockets.find((s) => s.port !== echoPort)!.port;
  assert.equal(await pings(forward, true, 500), 500);
  await sleep(100);
  assert.equal(countEvents(muxd.stderr(), "reply-suppressed"), 0, muxd.stderr());
});

/** A UDP echo server of this test: another program's server on loopback, with no loop guard. */
interface EchoServer extends AsyncDisposable {
  readonly socket: Deno.DatagramConn;
  readonly port: number;
  /** Datagrams it answered so far. */
  echoed(): number;
}

/**
 * Starts an echo server on `port` (0: one the OS picks), answering every
 * datagram until disposed, for {@linkcode LOOP_DIES_WITHIN_MS} at most.
 */
function echoServer(port: number, reuseAddress: boolean): EchoServer {
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port,
    reuseAddress,
  });
  let echoed = 0;
  const timer = setTimeout(() => socket.close(), LOOP_DIES_WITHIN_MS);
  const running = (async () => {
    try {
      for (;;) {
        const [datagram, from] = await socket.receive();
        await socket.send(datagram, from);
        echoed++;
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        throw error;
      }
    }
  })();
  return {
    socket,
    port: (socket.addr as Deno.NetAddr).port,
    echoed: () => echoed,
    async [Symbol.asyncDispose]() {
      clearTimeout(timer);
      try {
        socket.close();
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
      await running;
    },
  };
}

/**
 * Waits for muxd's loop suppression, then checks that the echo server's
 * count stops: the loop is over.
 */
async function assertLoopCut(muxd: MuxdProcess, server: EchoServer): Promise<void> {
  await waitUntil(
    () => countEvents(muxd.stderr(), "reply-suppressed") > 0,
    LOOP_DIES_WITHIN_MS - 500,
    "muxd's reply-suppressed record",
    () => `the other server echoed ${server.echoed()} datagrams by then: the loop went on`,
  );
  const cut = eventsOf(logEvents(muxd.stderr()), "reply-suppressed");
  assert.deepEqual(cut.map((e) => [e.reason, e.remote]), [
    ["loop", { address: "127.0.0.1", port: server.port }],
  ]);
  await sleep(QUIET_MS);
  const after = server.echoed();
  await sleep(QUIET_MS);
  assert.equal(server.echoed(), after, "the loop went on after the cut");
  assert.ok(after >= LOOP_REPEATS - 1 && after <= 4 * LOOP_REPEATS, `${after} echoes`);
}

Deno.test("muxd serve stops the loop of its echo and another program's echo server whose port lets others in (SO_REUSEADDR), started by a forger that closed its socket at once: the server is alone on its port at the trip", async () => {
  await using muxd = await startMuxd(serveJson("udp://127.0.0.1:0=echo"));
  // The forger binds first, the server beside it: Linux gives the server every datagram.
  const forger = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
    reuseAddress: true,
  });
  await using server = echoServer((forger.addr as Deno.NetAddr).port, true);
  try {
    await forger.send(new TextEncoder().encode("are you a loop?\n"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port: muxd.port(0),
    });
  } finally {
    forger.close();
  }
  await assertLoopCut(muxd, server);
});

Deno.test("muxd serve stops the loop of its echo with reuse=true and another program's echo server alone on its port, started by a forger that shared muxd's port and closed its socket at once", async () => {
  // The forger binds first, muxd beside it (reuse=true): Linux gives muxd every datagram.
  const bind = (port: number) =>
    Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port, reuseAddress: true });
  const forger = await onFreePort((port) => Promise.resolve(bind(port)));
  const port = (forger.addr as Deno.NetAddr).port;
  let muxd: MuxdProcess;
  try {
    muxd = await startMuxd(serveJson(`udp://127.0.0.1:${port}=echo?reuse=true`));
  } catch (error) {
    forger.close();
    throw error;
  }
  await using _muxd = muxd;
  // A server that lets no one share its port, on one the OS picked.
  await using server = echoServer(0, false);
  try {
    await forger.send(new TextEncoder().encode("are you a loop?\n"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port: server.port,
    });
  } finally {
    forger.close();
  }
  await assertLoopCut(muxd, server);
});
