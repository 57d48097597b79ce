/**
 * UDP faults end to end, each fault against its bound: muxd from source
 * serving echo or size with a fault option and a fixed seed, real clients
 * (Deno datagram sockets, Python's socket, netcat) counting what comes back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type MuxdProcess, serveDebug, startMuxd } from "../_support/process.ts";
import { eventsOf, logEvents } from "../_support/log.ts";
import { nc } from "../_support/netcat.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";
import { NumberedClient } from "./_numbered_udp.ts";

const N = 10_000;

/**
 * The bounds of a binomial count: n trials of probability p, 4σ either way
 * (a fair test fails by chance about once in 16,000 runs; with a fixed seed,
 * never).
 */
function binomial(n: number, p: number): [number, number] {
  const sigma = Math.sqrt(n * p * (1 - p));
  return [Math.floor(n * p - 4 * sigma), Math.ceil(n * p + 4 * sigma)];
}

function assertWithin(count: number, [low, high]: [number, number], what: string): void {
  assert.ok(count >= low && count <= high, `${count} ${what}, outside ${low}-${high}`);
}

/** Echo with `faults` on 127.0.0.1, port 0, logging JSON at debug. */
function echoWith(faults: string): Promise<MuxdProcess> {
  return startMuxd(serveDebug(`udp://127.0.0.1:0=echo?${faults}`));
}

/** The numbers 0..N-1 that did not come back. */
async function droppedNumbers(faults: string): Promise<number[]> {
  await using muxd = await echoWith(faults);
  await using client = new NumberedClient();
  const log = await client.exchange(muxd, muxd.port(0), N);
  const got = new Set(client.got);
  const dropped = [...Array(N).keys()].filter((n) => !got.has(n));
  assert.equal(log.of("drop"), dropped.length, "one drop event per datagram dropped");
  assert.equal(got.size, client.got.length, "none twice");
  return dropped;
}

Deno.test("udp drop=0.5 drops half of 10,000 datagrams, within binomial bounds, the same ones for the same seed", async () => {
  const first = await droppedNumbers("drop=0.5&seed=7");
  assertWithin(first.length, binomial(N, 0.5), "dropped");
  assert.deepEqual(await droppedNumbers("drop=0.5&seed=7"), first);
});

Deno.test("udp duplicate=0.1 delivers a tenth of 10,000 datagrams twice, within binomial bounds, none lost", async () => {
  await using muxd = await echoWith("duplicate=0.1&seed=11");
  await using client = new NumberedClient();
  const log = await client.exchange(muxd, muxd.port(0), N);
  const seen = new Map<number, number>();
  for (const n of client.got) seen.set(n, (seen.get(n) ?? 0) + 1);
  assert.equal(seen.size, N, "every number came back");
  const twice = [...seen.values()].filter((c) => c === 2).length;
  assert.equal(client.got.length, N + twice, "none more than twice");
  assert.equal(log.of("duplicate"), twice);
  assertWithin(twice, binomial(N, 0.1), "duplicated");
});

Deno.test("udp reorder=0.1 holds a tenth of 10,000 datagrams back behind the next, none lost", async () => {
  await using muxd = await echoWith("reorder=0.1&reorder-window=1&seed=5");
  await using client = new NumberedClient();
  const log = await client.exchange(muxd, muxd.port(0), N);
  assert.deepEqual([...client.got].sort((a, b) => a - b), [...Array(N).keys()], "each once");
  // A number below one already seen came late: it was held back.
  let highest = -1;
  let late = 0;
  for (const n of client.got) {
    if (n < highest) late++;
    highest = Math.max(highest, n);
  }
  const reordered = log.of("reorder");
  assertWithin(reordered, binomial(N, 0.1), "reordered");
  // A batch's last datagram, held, may go after its 100 ms with none behind
  // it: in order after all. One batch is 200 datagrams.
  assert.ok(late <= reordered && late >= reordered - N / 200, `${late} late of ${reordered}`);
});

/**
 * Python's connected UDP client: sends `count` datagrams of `size` bytes
 * (byte i is i % 256, the first byte the datagram's number), one at a time,
 * each waiting up to 5 s for its reply. Prints one JSON line per datagram:
 * the reply's bytes and the round trip in ms.
 */
const PYTHON_CLIENT = `
import json, socket, sys, time
port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
s.settimeout(5)
for n in range(count):
    data = bytes([n % 256]) + bytes(i % 256 for i in range(1, size))
    start = time.monotonic()
    s.send(data)
    reply = s.recv(65535)
    print(json.dumps({"reply": list(reply), "ms": (time.monotonic() - start) * 1000}))
`;

/** What Python's client got for each datagram, in order. */
async function pythonExchanges(port: number, count: number, size: number) {
  const out = await new Deno.Command("python3", {
    args: ["-c", PYTHON_CLIENT, `${port}`, `${count}`, `${size}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `python3: ${new TextDecoder().decode(out.stderr)}`);
  return text.trim().split("\n").map((line) => JSON.parse(line) as { reply: number[]; ms: number });
}

/** The datagram PYTHON_CLIENT sends as its `n`-th. */
function sentBy(n: number, size: number): number[] {
  return [n % 256, ...Array.from({ length: size - 1 }, (_, i) => (i + 1) % 256)];
}

/** The ms of each `delay` fault event muxd logged ("sent 37 ms late"). */
function delays(muxd: MuxdProcess): number[] {
  return eventsOf(logEvents(muxd.stderr()), "fault")
    .filter((e) => e.fault === "delay")
    .map((e) => Number(e.detail.match(/^sent (\d+) ms late$/)![1]));
}

Deno.test("udp delay=100 makes each round trip of Python's client take at least 100 ms", async () => {
  await using muxd = await echoWith("delay=100");
  const trips = await pythonExchanges(muxd.port(0), 5, 32);
  for (const [n, { reply, ms }] of trips.entries()) {
    assert.deepEqual(reply, sentBy(n, 32));
    assert.ok(ms >= 100, `round trip ${n} took ${ms.toFixed(1)} ms`);
  }
  await waitUntil(() => delays(muxd).length === 5, 5000, "five delay events");
  assert.deepEqual(delays(muxd), [100, 100, 100, 100, 100]);
});

Deno.test("udp delay=50&jitter=40 spreads each datagram's delay over 10 to 90 ms, and each round trip takes at least its delay", async () => {
  await using muxd = await echoWith("delay=50&jitter=40&seed=3");
  const trips = await pythonExchanges(muxd.port(0), 20, 8);
  await waitUntil(() => delays(muxd).length === 20, 5000, "twenty delay events");
  const ms = delays(muxd);
  for (const [n, trip] of trips.entries()) {
    assert.ok(ms[n] >= 10 && ms[n] <= 90, `delay ${n}: ${ms[n]} ms`);
    assert.ok(trip.ms >= ms[n] - 1, `round trip ${n}: ${trip.ms} ms for a ${ms[n]} ms delay`);
  }
  assert.ok(new Set(ms).size >= 10, `the delays vary: ${ms.join(", ")}`);
  assert.ok(Math.max(...ms) - Math.min(...ms) >= 30, `the delays spread: ${ms.join(", ")}`);
});

Deno.test("udp truncate cuts the request (size sees 3 bytes) or, with faults-on=reply, the reply (netcat gets 5 bytes)", async () => {
  await using muxd = await startMuxd(
    serveDebug(
      "udp://127.0.0.1:0=size?truncate=3",
      "udp://127.0.0.1:0=size?truncate=5&faults-on=reply",
    ),
  );
  const request = await nc(["-u", "-w1", "127.0.0.1", `${muxd.port(0)}`], "hello world\n");
  assert.equal(request.text, "Your data was 3 bytes long");
  const reply = await nc(["-u", "-w1", "127.0.0.1", `${muxd.port(1)}`], "hello world\n");
  assert.equal(reply.text, "Your ");
  await muxd.waitForStderr("fault truncate on the reply");
  const truncated = eventsOf(logEvents(muxd.stderr()), "fault").map((e) => `${e.on}: ${e.detail}`);
  assert.deepEqual(truncated, ["request: cut from 12 B to 3 B", "reply: cut from 27 B to 5 B"]);
});

Deno.test("udp corrupt=1 changes exactly one byte of each datagram, a different one for each", async () => {
  await using muxd = await echoWith("corrupt=1&seed=9");
  const trips = await pythonExchanges(muxd.port(0), 20, 64);
  const positions = trips.map(({ reply }, n) => {
    const sent = sentBy(n, 64);
    assert.equal(reply.length, 64);
    const differ = reply.flatMap((b, i) => b === sent[i] ? [] : [i]);
    assert.equal(differ.length, 1, `datagram ${n}: bytes ${differ.join(", ")} differ`);
    return differ[0];
  });
  assert.ok(new Set(positions).size >= 10, `positions ${positions.join(", ")}`);
});

Deno.test("udp delay at shutdown: muxd says the datagram it still held, and exits without waiting for it", async () => {
  const muxd = await echoWith("delay=60000");
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await socket.send(new Uint8Array([1, 2, 3]), {
      transport: "udp",
      hostname: "127.0.0.1",
      port: muxd.port(0),
    });
    await muxd.waitForStderr("fault delay on the request: sent 60000 ms late");
  } finally {
    socket.close();
  }
  const { code, stderr } = await withTimeout(muxd.stop(), 10_000, "muxd's exit");
  assert.equal(code, 0);
  const said = eventsOf(logEvents(stderr), "fault").map((e) => `${e.fault}: ${e.detail}`);
  assert.deepEqual(said, [
    "delay: sent 60000 ms late",
    "drop: not sent: the listener closed during its 60000 ms delay",
  ]);
});
