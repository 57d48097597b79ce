/**
 * Faults change at run time: muxd serves a config file with a TCP and a UDP
 * echo, the file gains `latency=` and `drop=1`, and SIGHUP applies them to
 * what arrives from then on. The sockets stay (the same ports, no listener
 * closed or bound), a connection opened before goes on without the fault,
 * and the log and the ready record say what changed. The tests of what a
 * client sees need the faults to act (lib/dispatch with the TCP and UDP
 * faults); each says so when it cannot run.
 */

import assert from "node:assert/strict";
import type { ReadyRecord } from "../../lib/cli/report.ts";
import { type MuxdProcess, startMuxd } from "../_support/process.ts";
import { echoRoundTrip, udpRoundTrip } from "../_support/socket.ts";
import { countEvents, eventsOf, logEvents, logRecords } from "../_support/log.ts";
import { waitUntil } from "../_support/wait.ts";

const TCP = "tcp://127.0.0.1:0=echo";
const UDP = "udp://127.0.0.1:0=echo";
/** Each way: an echo's round trip takes at least twice this. */
const LATENCY_MS = 400;
const bytes = (text: string) => new TextEncoder().encode(text);
const config = (...listen: string[]) => JSON.stringify({ listen }, null, 2);

/** Whether this build's muxd applies a fault: its module is there. */
function acts(module: string, what: string): boolean {
  try {
    Deno.statSync(new URL(`../../lib/${module}`, import.meta.url));
    return true;
  } catch {
    console.log(`${what} ignored: lib/${module} is not in this build, so no such fault acts`);
    return false;
  }
}
const TCP_FAULTS_ACT = acts("faults/tcp_plan.ts", "the TCP latency a client sees after a reload");
const UDP_FAULTS_ACT = acts("faults/udp_faults.ts", "the UDP drops a client sees after a reload");

/** A muxd serving TCP and UDP echo from a config file, and the file. */
interface Served {
  readonly muxd: MuxdProcess;
  readonly path: string;
  readonly readyFile: string;
  readonly tcpPort: number;
  readonly udpPort: number;
  [Symbol.asyncDispose](): Promise<void>;
}

async function serve(): Promise<Served> {
  const dir = await Deno.makeTempDir({ prefix: "muxd-faults-reload-" });
  const path = `${dir}/muxd.jsonc`;
  const readyFile = `${dir}/ready.json`;
  await Deno.writeTextFile(path, config(TCP, UDP));
  const muxd = await startMuxd([
    "serve",
    "--config",
    path,
    "--ready-file",
    readyFile,
    "--log-format",
    "json",
    "--log-level",
    "debug",
  ]);
  return {
    muxd,
    path,
    readyFile,
    tcpPort: muxd.port(0),
    udpPort: muxd.port(1),
    async [Symbol.asyncDispose]() {
      await muxd[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Writes the faults into the config file, sends SIGHUP and waits for the reload's line. */
async function addFaults(served: Served): Promise<void> {
  await Deno.writeTextFile(
    served.path,
    config(`${TCP}?latency=${LATENCY_MS}`, `${UDP}?drop=1&seed=7`),
  );
  served.muxd.signal("SIGHUP");
  await served.muxd.waitForStderr(/SIGHUP: reloaded .*: 2 listener\(s\) kept with their /);
}

/** The round trip of one echo over `conn`, in ms. */
async function roundTripMs(conn: Deno.Conn, text: string): Promise<number> {
  const started = performance.now();
  assert.ok(await echoRoundTrip(conn, bytes(text)), `echo of ${JSON.stringify(text)}`);
  return performance.now() - started;
}

Deno.test("muxd serve: SIGHUP with new faults keeps both sockets and their connections, and says what changed", async () => {
  await using served = await serve();
  const { muxd, tcpPort, udpPort } = served;
  using before = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
  assert.ok(await echoRoundTrip(before, bytes("before\n")));
  // The log may reach standard error after the ready record: wait for both
  // listening lines before counting them.
  await waitUntil(
    () => countEvents(muxd.stderr(), "listening") === 2,
    5000,
    "both listening lines in the log",
  );
  const listening = 2;

  await addFaults(served);
  const line = logRecords(muxd.stderr()).find((r) => r.message.startsWith("SIGHUP: reloaded"));
  assert.equal(
    line?.message,
    `SIGHUP: reloaded ${served.path}: 2 listener(s) kept with their connections, faults ` +
      `changed on 2 (tcp 127.0.0.1:${tcpPort} echo, udp 127.0.0.1:${udpPort} echo), 0 closed, ` +
      `0 added`,
  );
  const events = logEvents(muxd.stderr());
  const changed = eventsOf(events, "faults-changed");
  assert.deepEqual(
    changed.map((e) => [e.transport, e.local.port, e.before, e.after]),
    [
      ["tcp", tcpPort, "", `?latency=${LATENCY_MS}`],
      ["udp", udpPort, "", "?drop=1&seed=7"],
    ],
  );
  assert.equal(changed[1].seed, 7);
  assert.ok(Number.isInteger(changed[0].seed), "muxd picked a seed for the TCP faults");
  assert.equal(countEvents(muxd.stderr(), "listening"), listening, "nothing bound again");
  assert.equal(countEvents(muxd.stderr(), "listener-closed"), 0, "nothing closed");
  const text = logRecords(muxd.stderr()).find((r) => r.message.startsWith("faults of tcp"));
  assert.equal(
    text?.message,
    `faults of tcp 127.0.0.1:${tcpPort} -> echo changed from none to latency=${LATENCY_MS} ` +
      `(seed ${changed[0].seed}, picked by muxd); they apply to connections from now on`,
  );

  // The ready record names the same sockets, with their faults now.
  let ready: ReadyRecord | undefined;
  await waitUntil(
    () => {
      ready = JSON.parse(Deno.readTextFileSync(served.readyFile)) as ReadyRecord;
      return ready.sockets.every((s) => s.faults !== null);
    },
    5000,
    "the ready file to list the faults",
  );
  assert.deepEqual(ready!.sockets.map((s) => [s.transport, s.port, s.faults]), [
    ["tcp", tcpPort, { text: `?latency=${LATENCY_MS}`, seed: changed[0].seed }],
    ["udp", udpPort, { text: "?drop=1&seed=7", seed: 7 }],
  ]);
  assert.ok(await echoRoundTrip(before, bytes("after\n")), "the connection opened before");
});

Deno.test({
  name:
    "muxd serve: after SIGHUP adds latency, a connection opened before keeps its speed, one opened after is delayed",
  ignore: !TCP_FAULTS_ACT,
  fn: async () => {
    await using served = await serve();
    const { muxd, tcpPort } = served;
    using before = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
    await roundTripMs(before, "warm up\n");
    await addFaults(served);
    using after = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
    const delayed = await roundTripMs(after, "after\n");
    const kept = await roundTripMs(before, "before\n");
    // The delay has a floor (latency each way); the undelayed bound is loose for a busy machine.
    assert.ok(delayed >= 2 * LATENCY_MS - 5, `a new connection's round trip took ${delayed} ms`);
    assert.ok(kept < LATENCY_MS, `the old connection's round trip took ${kept} ms`);
    const faults = eventsOf(logEvents(muxd.stderr()), "fault");
    assert.deepEqual(faults.map((f) => [f.fault, f.local.port]), [["latency", tcpPort]]);
    before.close();
    after.close();
    const { stderr } = await muxd.stop("SIGTERM");
    const summary = logRecords(stderr).filter((r) => r.logger === "muxd.faults");
    assert.match(
      summary[0]?.message ?? "",
      new RegExp(
        `^faults on tcp 127\\.0\\.0\\.1:${tcpPort} -> echo in the last [\\d.]+ s: 1 latency$`,
      ),
    );
  },
});

Deno.test({
  name:
    "muxd serve: after SIGHUP adds drop=1, UDP requests get no reply, and the summary counts them",
  ignore: !UDP_FAULTS_ACT,
  fn: async () => {
    await using served = await serve();
    const { muxd, udpPort } = served;
    const reply = await udpRoundTrip(udpPort, bytes("before\n"));
    assert.equal(reply && new TextDecoder().decode(reply), "before\n");
    await addFaults(served);
    const sent = 5;
    for (let i = 0; i < sent; i++) {
      assert.equal(await udpRoundTrip(udpPort, bytes(`after ${i}\n`), 200), null, `request ${i}`);
    }
    await waitUntil(
      () => countEvents(muxd.stderr(), "fault") === sent,
      5000,
      `${sent} drops in the log`,
      () => muxd.stderr(),
    );
    const { stderr } = await muxd.stop("SIGTERM");
    const summary = logRecords(stderr).filter((r) => r.logger === "muxd.faults");
    assert.match(
      summary[0]?.message ?? "",
      new RegExp(
        `^faults on udp 127\\.0\\.0\\.1:${udpPort} -> echo in the last [\\d.]+ s: 5 drop$`,
      ),
    );
    assert.deepEqual(summary[0].properties.counts, { drop: 5 });
  },
});

Deno.test("muxd serve: SIGHUP that adds reset-after binds the TCP socket anew on its port, keeps its connections, and says the faults changed", async () => {
  await using served = await serve();
  const { muxd, tcpPort, udpPort } = served;
  using before = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
  assert.ok(await echoRoundTrip(before, bytes("before\n")));

  await Deno.writeTextFile(served.path, config(`${TCP}?reset-after=1GiB`, UDP));
  muxd.signal("SIGHUP");
  await muxd.waitForStderr(/SIGHUP: reloaded /);
  const line = logRecords(muxd.stderr()).find((r) => r.message.startsWith("SIGHUP: reloaded"));
  assert.equal(
    line?.message,
    `SIGHUP: reloaded ${served.path}: 2 listener(s) kept with their connections, faults ` +
      `changed on 1 (tcp 127.0.0.1:${tcpPort} echo), bound anew for reset-after on 1 ` +
      `(tcp 127.0.0.1:${tcpPort} echo; a connection arriving in that instant is refused or ` +
      `reset), 0 closed, 0 added`,
  );
  const changed = eventsOf(logEvents(muxd.stderr()), "faults-changed");
  assert.deepEqual(changed.map((e) => [e.local.port, e.after, e.by]), [
    [tcpPort, "?reset-after=1GiB", "config"],
  ]);
  assert.ok(await echoRoundTrip(before, bytes("after\n")), "the connection opened before");
  using after = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
  assert.ok(await echoRoundTrip(after, bytes("new\n")), "a new connection on the same port");
  assert.ok(await udpRoundTrip(udpPort, bytes("udp\n")), "the UDP listener, untouched");
});
