/**
 * exec end to end: muxd from source, with the `serve:exec` task's
 * permissions, runs the seeds' Python servers (docs/examples/) per
 * connection and per datagram, and real netcat talks to them.
 */

import assert from "node:assert/strict";
import {
  MAIN,
  type MuxdLauncher,
  type MuxdProcess,
  permissionFlags,
  runMuxdExpectingFailure,
  serveDebug,
  serveJson,
  startMuxd,
  task,
} from "../_support/process.ts";
import { nc } from "../_support/netcat.ts";
import { countEvents, eventsOf, logEvents } from "../_support/log.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";
import { readToEnd } from "../_support/socket.ts";
import type { ConnectionClosedEvent, EventType, ExecExitedEvent } from "../../lib/events/mod.ts";

/** muxd from source as `deno task serve:exec` runs it: the right to run python3. */
const EXEC_LAUNCHER: MuxdLauncher = {
  program: "deno",
  args: ["run", ...permissionFlags(task("serve:exec")), MAIN],
};

const EXAMPLES = new URL("../../docs/examples/", import.meta.url).pathname;

/** A program that sleeps for a minute, in the command-line form (%20 for a space). */
const SLEEPER = "run=python3,-c,import%20time;time.sleep(60)";

/** A program that copies its standard input to its standard output: the JSON form, for its commas. */
const CAT = `run=${
  encodeURIComponent(JSON.stringify([
    "python3",
    "-c",
    "import shutil, sys; shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)",
  ]))
}`;

/** Waits for the one connection muxd served to close, and returns its closing event. */
async function closedConnection(muxd: MuxdProcess): Promise<ConnectionClosedEvent> {
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "connection-closed").length === 1,
    10_000,
    "the connection's close",
    () => muxd.stderr(),
  );
  return eventsOf(logEvents(muxd.stderr()), "connection-closed")[0];
}

/**
 * Sends `text` in one datagram to 127.0.0.1:`port` and waits up to 10 s for
 * the reply: a program's start (python3's, under load) can take longer than
 * the one second `nc -u -w1` waits.
 */
async function askUdp(port: number, text: string): Promise<{ reply: string; from: Deno.Addr }> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await socket.send(new TextEncoder().encode(text), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    const [reply, from] = await withTimeout(socket.receive(), 10_000, "the reply");
    return { reply: new TextDecoder().decode(reply), from };
  } finally {
    socket.close();
  }
}

/** Tells whether process `pid` still exists, by asking `ps`. */
async function processExists(pid: number): Promise<boolean> {
  const { code } = await new Deno.Command("ps", { args: ["-p", String(pid)], stdout: "null" })
    .output();
  return code === 0;
}

Deno.test("muxd serve runs docs/examples/connection_received.py per TCP connection, with both socket names in its environment", async () => {
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=exec?run=python3,${EXAMPLES}connection_received.py`),
    EXEC_LAUNCHER,
  );
  const port = muxd.port(0);
  const { text, code } = await nc(["-d", "127.0.0.1", String(port)]);
  assert.equal(code, 0);
  const [first, local, remote] = text.split("\n");
  assert.equal(first, "Connection received");
  assert.equal(local, `local: 127.0.0.1:${port}`);
  assert.match(remote, /^remote: 127\.0\.0\.1:\d+$/);
  // The program's exit is in its connection's closing event, and at info
  // level nowhere else.
  const closed = await closedConnection(muxd);
  const log = logEvents(muxd.stderr());
  assert.deepEqual(closed.exit, {
    program: "python3",
    pid: closed.exit!.pid,
    code: 0,
    signal: null,
    endedBy: null,
  });
  assert.equal(eventsOf(log, "exec-exited").length, 0);
  const [stderrLine] = eventsOf(log, "exec-stderr");
  const [opened] = eventsOf(log, "connection-opened");
  // Its standard error is in muxd's log, tagged with the connection.
  assert.equal(stderrLine.id, opened.id);
  assert.equal(stderrLine.line, `served ${remote.slice("remote: ".length)} on 127.0.0.1:${port}`);
});

Deno.test("muxd serve runs docs/examples/udp_size.py per datagram, its output the one reply", async () => {
  await using muxd = await startMuxd(
    serveJson(`udp://127.0.0.1:0=exec?run=python3,${EXAMPLES}udp_size.py`),
    EXEC_LAUNCHER,
  );
  const port = muxd.port(0);
  const { reply, from } = await askUdp(port, "hello\n");
  assert.equal(reply, `Your data was 6 bytes long\n(answered from 127.0.0.1:${port})\n`);
  // The reply comes from the socket the datagram was sent to, as a
  // connected client (nc -u) requires.
  assert.deepEqual({ ...from }, { transport: "udp", hostname: "127.0.0.1", port });
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "exec-exited").length === 1,
    10_000,
    "the program's exit",
    () => muxd.stderr(),
  );
  const log = logEvents(muxd.stderr());
  const [line] = eventsOf(log, "exec-stderr");
  assert.match(line.line, /^The client at 127\.0\.0\.1:\d+ says b'hello\\n'$/);
});

/** A program that writes `bytes` bytes and exits, in the JSON form of `run`. */
function writes(bytes: number): string {
  return `run=${
    encodeURIComponent(JSON.stringify([
      "python3",
      "-c",
      `import sys; sys.stdout.buffer.write(b"x" * ${bytes})`,
    ]))
  }`;
}

Deno.test("muxd serve ends a datagram's program that writes more than a UDP reply holds, and says which limit it met", async () => {
  // 70,000 B is under max-output (1 MiB) and over a datagram (65,507 B);
  // with max-output=100, max-output is met first.
  await using muxd = await startMuxd(
    serveDebug(
      `udp://127.0.0.1:0=exec?${writes(70_000)}`,
      `udp://127.0.0.1:0=exec?${writes(70_000)}&max-output=100`,
    ),
    EXEC_LAUNCHER,
  );
  for (const at of [0, 1]) {
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      await socket.send(new Uint8Array([1]), {
        transport: "udp",
        hostname: "127.0.0.1",
        port: muxd.port(at),
      });
    } finally {
      socket.close();
    }
  }
  const exited = () => eventsOf(logEvents(muxd.stderr()), "exec-exited");
  await waitUntil(() => exited().length === 2, 10_000, "both exits", () => muxd.stderr());
  const endedBy = (port: number) => exited().find((e) => e.local.port === port)?.endedBy;
  assert.equal(endedBy(muxd.port(0)), "datagram-limit");
  assert.equal(endedBy(muxd.port(1)), "output-limit");
  assert.match(muxd.stderr(), /ended by muxd: it wrote more than a UDP reply holds \(65,507 B\)/);
});

Deno.test("muxd serve passes end of stream both ways through exec: nc -N gets its bytes back and exits", async () => {
  await using muxd = await startMuxd(serveJson(`tcp://127.0.0.1:0=exec?${CAT}`), EXEC_LAUNCHER);
  const { text, code } = await nc(["-N", "127.0.0.1", String(muxd.port(0))], "one\ntwo\n");
  assert.equal(code, 0);
  assert.equal(text, "one\ntwo\n");
});

Deno.test("muxd serve ends exec's program at max-seconds with SIGTERM, and says so", async () => {
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=exec?${SLEEPER}&max-seconds=0.5`),
    EXEC_LAUNCHER,
  );
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  // The connection ends with the program.
  assert.equal((await readToEnd(conn)).length, 0);
  const { exit } = await closedConnection(muxd);
  assert.equal(exit?.signal, "SIGTERM");
  assert.equal(exit?.endedBy, "time-limit");
  assert.equal(await processExists(exit!.pid), false);
});

Deno.test("muxd serve cuts exec's TCP output at max-output and ends the client's stream at once", async () => {
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=exec?${writes(5000)}&max-output=1000`),
    EXEC_LAUNCHER,
  );
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  const buffer = new Uint8Array(64 * 1024);
  let received = 0;
  let firstByteAt = 0;
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    if (received === 0) firstByteAt = performance.now();
    received += n;
  }
  // The end of stream follows the cut output, not the 2 s muxd lingers for
  // a client that still sends.
  const eofAfterMs = performance.now() - firstByteAt;
  assert.equal(received, 1000);
  assert.ok(eofAfterMs < 1000, `end of stream ${eofAfterMs.toFixed(0)} ms after the output`);
  const closed = await closedConnection(muxd);
  assert.equal(closed.bytesOut, 1000);
  assert.equal(closed.exit?.endedBy, "output-limit");
});

/**
 * A program that leaves behind a process deaf to SIGTERM, its output
 * elsewhere, then sleeps: once the program is gone, its group takes a
 * SIGKILL, a second later, to empty.
 */
const LEAVES_DEAF = `run=${
  encodeURIComponent(JSON.stringify([
    "sh",
    "-c",
    "(trap '' TERM; exec sleep 60 >/dev/null 2>&1) & exec sleep 60",
  ]))
}`;

Deno.test("muxd serve runs at most max-procs programs per listener: a connection over it waits its turn, and gets a program once the place is free", async () => {
  await using muxd = await startMuxd(
    serveDebug(`tcp://127.0.0.1:0=exec?${LEAVES_DEAF}&max-procs=1&max-seconds=1`),
    {
      program: "deno",
      args: [
        "run",
        ...permissionFlags(task("serve:exec")).map((flag) =>
          flag.startsWith("--allow-run=") ? `${flag},sh` : flag
        ),
        MAIN,
      ],
    },
  );
  const port = muxd.port(0);
  const count = (type: EventType) => countEvents(muxd.stderr(), type);
  using first = await Deno.connect({ hostname: "127.0.0.1", port });
  await waitUntil(() => count("exec-started") === 1, 10_000, "a start", () => muxd.stderr());
  // Over max-procs: this one waits, as tcpserver defers a connection,
  // instead of being turned away.
  using second = await Deno.connect({ hostname: "127.0.0.1", port });
  const secondRead = readToEnd(second).catch((error) => error as Error);
  // The first program ends at max-seconds (its deaf leftover takes the
  // grace and a SIGKILL); its place is free at its exit, and goes to the
  // connection that waited.
  await waitUntil(
    () => count("exec-started") === 2,
    10_000,
    "the second start",
    () => muxd.stderr(),
  );
  assert.equal(count("exec-refused"), 0, muxd.stderr());
  assert.equal((await readToEnd(first)).length, 0);
  await waitUntil(() => count("connection-closed") >= 1, 10_000, "the first close");
  const [firstClosed] = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.equal(firstClosed.exit?.endedBy, "time-limit");
  const waited = await secondRead;
  assert.ok(waited instanceof Uint8Array, String(waited));
  assert.equal(waited.length, 0);
  // SIGTERM, not the SIGKILL of disposal, so muxd ends its program.
  await muxd.stop("SIGTERM");
});

Deno.test("muxd serve counts one client's programs under max-procs-per-source as one source on 127.0.0.1 and on a dual-stack [::], where it arrives as ::ffff:127.0.0.1", async () => {
  const specs = ["tcp://127.0.0.1:0", "tcp://[::]:0"].map((at) =>
    `${at}=exec?${CAT}&max-procs-per-source=1`
  );
  await using muxd = await startMuxd([...serveDebug(...specs), "--public"], EXEC_LAUNCHER);
  const count = (type: EventType) => countEvents(muxd.stderr(), type);
  const first = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  await waitUntil(() => count("exec-started") === 1, 10_000, "a start", () => muxd.stderr());
  // The same client through [::]: its second program waits for the first's place.
  using _second = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(1) });
  await waitUntil(() => count("connection-opened") === 2, 10_000, "the second connection");
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.equal(count("exec-started"), 1, muxd.stderr());
  first.close(); // cat reads the end of its input and exits
  await waitUntil(
    () => count("exec-started") === 2,
    10_000,
    "the second start, once the first program ended",
    () => muxd.stderr(),
  );
  const started = eventsOf(logEvents(muxd.stderr()), "exec-started");
  assert.equal(started[1].remote.address, "::ffff:127.0.0.1");
  await muxd.stop("SIGTERM");
});

Deno.test("muxd serve ends exec's program when its connection is closed under it (idle)", async () => {
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=exec?${SLEEPER}&idle=0.3`),
    EXEC_LAUNCHER,
  );
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  await readToEnd(conn).catch(() => new Uint8Array());
  const closed = await closedConnection(muxd);
  assert.equal(closed.reason, "idle");
  assert.equal(closed.exit?.endedBy, "closed");
  assert.equal(closed.exit?.signal, "SIGTERM");
});

Deno.test("muxd serve leaves no program of exec's running after it stops", async () => {
  const muxd = await startMuxd(
    [
      ...serveDebug(`tcp://127.0.0.1:0=exec?${SLEEPER}`, `udp://127.0.0.1:0=exec?${SLEEPER}`),
      "--grace",
      "0.2",
    ],
    EXEC_LAUNCHER,
  );
  using _conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  await udp.send(new Uint8Array([1]), {
    transport: "udp",
    hostname: "127.0.0.1",
    port: muxd.port(1),
  });
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "exec-started").length === 2,
    10_000,
    "two programs started",
    () => muxd.stderr(),
  );
  const pids = eventsOf(logEvents(muxd.stderr()), "exec-started").map((e) => e.pid);
  for (const pid of pids) assert.equal(await processExists(pid), true, `pid ${pid} runs`);
  udp.close();
  const { code, stderr } = await muxd.stop("SIGTERM");
  assert.equal(code, 0);
  for (const pid of pids) assert.equal(await processExists(pid), false, `pid ${pid} is gone`);
  const exited: ExecExitedEvent[] = eventsOf(logEvents(stderr), "exec-exited");
  assert.deepEqual(exited.map((e) => [e.signal, e.endedBy]), [
    ["SIGTERM", "shutdown"],
    ["SIGTERM", "shutdown"],
  ]);
});

Deno.test("muxd serve stopping turns away a connection that waits for a place, saying how long it waited and why it waits no longer", async () => {
  const muxd = await startMuxd(
    [...serveDebug(`tcp://127.0.0.1:0=exec?${SLEEPER}&max-procs=1`), "--grace", "0.2"],
    EXEC_LAUNCHER,
  );
  const port = muxd.port(0);
  using _first = await Deno.connect({ hostname: "127.0.0.1", port });
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "exec-started").length === 1,
    10_000,
    "the first program",
    () => muxd.stderr(),
  );
  // Over max-procs: it waits its turn, up to 10 s, and muxd stops meanwhile.
  using _second = await Deno.connect({ hostname: "127.0.0.1", port });
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "connection-opened").length === 2,
    10_000,
    "the second connection",
    () => muxd.stderr(),
  );
  const { code, stderr } = await muxd.stop("SIGTERM");
  assert.equal(code, 0);
  const [refused] = eventsOf(logEvents(stderr), "exec-refused");
  assert.equal(refused?.reason, "too-many-processes", stderr);
  assert.match(refused.detail, /, for \d+(\.\d)? s, until muxd began to stop$/);
  assert.doesNotMatch(refused.detail, /for 10 s/, "it waited far less than 10 s");
});

Deno.test("muxd serve without the right to run the program exits 2 with one line naming --allow-run", async () => {
  const { code, stderr } = await runMuxdExpectingFailure([
    "serve",
    "-l",
    `tcp://127.0.0.1:0=exec?run=python3,${EXAMPLES}connection_received.py`,
  ]);
  assert.equal(code, 2);
  assert.match(stderr, /no right to run "python3": start it with --allow-run=python3/);
  assert.doesNotMatch(stderr, /\n\s+at /);
});

Deno.test("muxd serve without the right to read a variable that env names exits 2 with one line naming --allow-env", async () => {
  // deno task serve:exec may read PATH, not LANG: the program could never
  // start, and each connection was told muxd had no right to run python3.
  const { code, stderr } = await runMuxdExpectingFailure(
    [
      "serve",
      "-l",
      `tcp://127.0.0.1:0=exec?run=python3,${EXAMPLES}connection_received.py&env=PATH,LANG`,
    ],
    EXEC_LAUNCHER,
  );
  assert.equal(code, 2);
  assert.match(stderr, /option env: muxd has no right to read LANG: start it with --allow-env=/);
  assert.doesNotMatch(stderr, /allow-run|\n\s+at /);
});

Deno.test("muxd serve with a program that is not on its PATH exits 2 with one line naming the program and PATH", async () => {
  const { code, stderr } = await runMuxdExpectingFailure(
    ["serve", "-l", "tcp://127.0.0.1:0=exec?run=muxd-no-such-program"],
    EXEC_LAUNCHER,
  );
  assert.equal(code, 2);
  assert.match(stderr, /cannot find program "muxd-no-such-program" on muxd's PATH \(\/[^)]*\)/);
  assert.doesNotMatch(stderr, /\n\s+at /);
});

Deno.test("muxd serve with a program name too long for a file exits 2 with one short line, not an internal error", async () => {
  const name = "a".repeat(300);
  const { code, stderr } = await runMuxdExpectingFailure(
    ["serve", "-l", `tcp://127.0.0.1:0=exec?run=${name}`],
    EXEC_LAUNCHER,
  );
  assert.equal(code, 2);
  assert.match(stderr, /cannot find program "a{200}\.\.\." on muxd's PATH/);
  assert.doesNotMatch(stderr, /internal error|\n\s+at /);
});

Deno.test("muxd serve checks the right to run the file it will run, whether run names it by path or by name", async () => {
  // serve:exec's flags with cat allowed by name: Deno resolves it on PATH.
  const allowCat: MuxdLauncher = {
    program: "deno",
    args: [
      "run",
      ...permissionFlags(task("serve:exec")).map((flag) =>
        flag.startsWith("--allow-run=") ? `${flag},cat` : flag
      ),
      MAIN,
    ],
  };
  const cat = new TextDecoder().decode(
    (await new Deno.Command("sh", { args: ["-c", "command -v cat"], stdout: "piped" }).output())
      .stdout,
  ).trim();
  for (const run of ["cat", cat]) {
    const refused = await runMuxdExpectingFailure(
      ["serve", "-l", `tcp://127.0.0.1:0=exec?run=${run}`],
      EXEC_LAUNCHER,
    );
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`no right to run "${run}"`));
    await using muxd = await startMuxd(serveJson(`tcp://127.0.0.1:0=exec?run=${run}`), allowCat);
    const { text } = await nc(["-N", "127.0.0.1", String(muxd.port(0))], "meow\n");
    assert.equal(text, "meow\n");
  }
});

Deno.test("muxd serve that may not read PATH says in one event that exec's program is missing, and keeps serving", async () => {
  await using muxd = await startMuxd(
    serveJson("tcp://127.0.0.1:0=exec?run=muxd-no-such-program"),
    {
      program: "deno",
      args: [
        "run",
        ...permissionFlags(task("serve")).filter((flag) => !flag.startsWith("--allow-run")),
        "--allow-run",
        MAIN,
      ],
    },
  );
  const port = muxd.port(0);
  for (let i = 0; i < 2; i++) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.equal((await readToEnd(conn)).length, 0);
  }
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "exec-refused").length === 2,
    10_000,
    "two refusals",
    () => muxd.stderr(),
  );
  const refused = eventsOf(logEvents(muxd.stderr()), "exec-refused");
  assert.deepEqual(refused.map((e) => e.reason), ["program-missing", "program-missing"]);
  assert.match(refused[0].detail, /cannot find program "muxd-no-such-program"/);
});

Deno.test("muxd serve answers 16 UDP clients at once from 127.0.0.1 through exec with default options: datagrams over max-procs-per-source wait their turn", async () => {
  await using muxd = await startMuxd(serveJson(`udp://127.0.0.1:0=exec?${CAT}`), EXEC_LAUNCHER);
  const port = muxd.port(0);
  const clients = Array.from(
    { length: 16 },
    () => Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }),
  );
  try {
    const replies = await Promise.all(clients.map(async (socket, i) => {
      const sent = new TextEncoder().encode(`datagram ${i}\n`);
      await socket.send(sent, { transport: "udp", hostname: "127.0.0.1", port });
      const [reply] = await withTimeout(socket.receive(), 20_000, `the reply to client ${i}`);
      return new TextDecoder().decode(reply);
    }));
    assert.deepEqual(replies, clients.map((_, i) => `datagram ${i}\n`));
  } finally {
    for (const socket of clients) socket.close();
  }
  assert.deepEqual(eventsOf(logEvents(muxd.stderr()), "exec-refused"), []);
});

/** A program that answers after 1 s with what it read: the JSON form, for its commas. */
const SLOW_ECHO = `run=${
  encodeURIComponent(JSON.stringify([
    "python3",
    "-c",
    "import sys, time; data = sys.stdin.buffer.read(); time.sleep(1); sys.stdout.buffer.write(data)",
  ]))
}`;

Deno.test("muxd serve stopping keeps a UDP socket open for the reply its program is still writing, within the grace period, and answers no datagram that comes meanwhile", async () => {
  const muxd = await startMuxd(serveJson(`udp://127.0.0.1:0=exec?${SLOW_ECHO}`), EXEC_LAUNCHER);
  const port = muxd.port(0);
  const asked = askUdp(port, "before the signal");
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "datagram").length === 1,
    10_000,
    "the datagram's arrival",
    () => muxd.stderr(),
  );
  const stopped = muxd.stop("SIGTERM");
  await waitUntil(() => /SIGTERM: stopped accepting/.test(muxd.stderr()), 10_000, "the stop line");
  // A datagram that comes while muxd stops gets no reply, and a line saying why.
  const late = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await late.send(new TextEncoder().encode("after"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    assert.equal((await asked).reply, "before the signal");
  } finally {
    late.close();
  }
  const { code, stderr } = await stopped;
  assert.equal(code, 0, stderr);
  const refused = eventsOf(logEvents(stderr), "reply-suppressed");
  assert.deepEqual(refused.map((e) => e.reason), ["stopping"]);
  const exited: ExecExitedEvent[] = eventsOf(logEvents(stderr), "exec-exited");
  assert.deepEqual(exited.map((e) => [e.code, e.endedBy]), [[0, null]]);
});

Deno.test("muxd serve --log-format json writes a program's stderr with no control or format character raw, the line still the same JSON value", async () => {
  // Each byte a client sends comes back on stderr: C1 CSI (U+009B), a
  // right-to-left override, a line separator, DEL and an escape code.
  const echoToStderr = `run=${
    encodeURIComponent(JSON.stringify([
      "python3",
      "-c",
      "import sys; sys.stderr.write(sys.stdin.readline().rstrip('\\n')); sys.stderr.flush()",
    ]))
  }`;
  await using muxd = await startMuxd(
    serveJson(`tcp://127.0.0.1:0=exec?${echoToStderr}`),
    EXEC_LAUNCHER,
  );
  const hostile = "a\u009b2Jb\u202ec\u2028d\u007fe\x1b[2J";
  await nc(["-N", "127.0.0.1", `${muxd.port(0)}`], `${hostile}\n`);
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "exec-stderr").length === 1,
    10_000,
    "the program's stderr line",
    () => muxd.stderr(),
  );
  const { stderr } = await muxd.stop("SIGTERM");
  // deno-lint-ignore no-control-regex -- raw control characters are what it looks for
  assert.doesNotMatch(stderr, /[\u007f-\u009f\u202e\u2028\x1b]/, "a raw control character");
  const [line] = eventsOf(logEvents(stderr), "exec-stderr");
  assert.equal(line.line, hostile);
});
