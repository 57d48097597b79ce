/**
 * Running out of file descriptors. Under a small open-files limit, a
 * listener whose accept fails with EMFILE waits and retries: one warning
 * naming `ulimit -n` (not one every 50 ms, worded as a failed service), a
 * line when it accepts again, and the connections that waited are served.
 * And muxd warns at start-up when its limits allow more open files than the
 * process may have.
 */

import assert from "node:assert/strict";
import { prlimitProblem } from "../_support/host.ts";
import { assertSpaced, lineTimes } from "../_support/log.ts";
import {
  type MuxdLauncher,
  runMuxdExpectingFailure,
  startMuxd,
  underOpenFilesLimit,
} from "../_support/process.ts";
import { closeQuietly, echoRoundTrip, freeRange, holdRange } from "../_support/socket.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";

const noPrlimit = prlimitProblem();
if (noPrlimit !== null) console.log(`open-files tests ignored: ${noPrlimit}`);

const PING = new TextEncoder().encode("ping\n");

/** `count` TCP connections to `hostname`, the i-th to port `port(i)`. */
function connectMany(
  count: number,
  hostname: string,
  port: (i: number) => number,
): Promise<Deno.TcpConn[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => Deno.connect({ hostname, port: port(i) })),
  );
}

/** Whether each of `conns` echoes PING back, within `ms` for them all. */
function echoesOn(conns: Deno.Conn[], ms: number, what: string): Promise<boolean[]> {
  return withTimeout(Promise.all(conns.map((conn) => echoRoundTrip(conn, PING))), ms, what);
}

/** `muxd serve` with one echo listener on a port the OS picks. */
const ECHO = ["serve", "-l", "tcp://127.0.0.1:0=echo"];

/**
 * The listeners muxd binds its two ways: with Deno (every listener) and with
 * node:net (a listener whose faults reset connections), whose accept stops
 * without a word at EMFILE unless muxd notices.
 */
const LISTENERS = [
  { kind: "a listener", spec: "tcp://127.0.0.1:0=echo" },
  { kind: "a node-bound (reset-after) listener", spec: "tcp://127.0.0.1:0=echo?reset-after=1GiB" },
];

/**
 * A node-bound listener named by host name: at EMFILE, resolving the name
 * fails too (getaddrinfo cannot open /etc/hosts), so its watch tries for a
 * descriptor on the address it is bound to.
 */
const BY_NAME = {
  kind: "a node-bound listener named by host name",
  spec: "tcp://localhost:0=echo?reset-after=1GiB",
};

for (const { kind, spec } of [...LISTENERS, BY_NAME]) {
  Deno.test({
    name:
      `muxd serve under prlimit --nofile=128 pauses ${kind} at EMFILE, warns once, and serves the waiting connections once others close`,
    ignore: noPrlimit !== null,
  }, () => pausesAndResumes(spec));
}

async function pausesAndResumes(spec: string): Promise<void> {
  await using muxd = await startMuxd(["serve", "-l", spec], underOpenFilesLimit(128));
  const { address: hostname, port } = muxd.ready.sockets[0];
  // More connections than muxd has file descriptors left: the last ones wait
  // in the listener's queue while its accept fails with EMFILE.
  const conns = await connectMany(150, hostname, () => port);
  try {
    await muxd.waitForStderr(
      /WRN tcp \S+:\d+ -> echo cannot accept \(EMFILE\): .*ulimit -n/,
      10_000,
    );
    // Closing some frees descriptors: the listener accepts again.
    for (const conn of conns.splice(0, 60)) closeQuietly(conn);
    await muxd.waitForStderr(/INF tcp \S+:\d+ -> echo accepting again after \d+ ms/, 10_000);
    // Every connection that waited is served now.
    const echoed = await echoesOn(conns, 10_000, "echo round trips on the connections that waited");
    assert.ok(echoed.every((ok) => ok));
  } finally {
    for (const conn of conns) closeQuietly(conn);
  }
  const { code, stderr } = await muxd.stop();
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, / ERR /, "running out of files is not a failed service");
  assertSpaced(lineTimes(stderr, /-> echo cannot accept \(EMFILE\)/), 5000, "EMFILE warnings");
}

Deno.test({
  name:
    "muxd serve under prlimit --nofile=128 warns of EMFILE for the node-bound listener that met it, not for an idle one beside it",
  ignore: noPrlimit !== null,
}, async () => {
  await using muxd = await startMuxd(
    [
      "serve",
      "-l",
      "tcp://127.0.0.1:0=echo?reset-after=1GiB",
      "-l",
      "tcp://127.0.0.1:0=discard?reset-after=1GiB",
    ],
    underOpenFilesLimit(128),
  );
  const conns = await connectMany(150, "127.0.0.1", () => muxd.port(0));
  try {
    await muxd.waitForStderr(/-> echo cannot accept \(EMFILE\)/, 10_000);
    // The idle listener's watch looks at least once a second: long enough
    // for it to have looked twice while no descriptor was free.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    for (const conn of conns.splice(0, 60)) closeQuietly(conn);
    await muxd.waitForStderr(/-> echo accepting again after/, 10_000);
  } finally {
    for (const conn of conns) closeQuietly(conn);
  }
  // The idle listener serves its first client as ever.
  using client = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(1) });
  await client.write(PING);
  await muxd.waitForStderr(/ -> discard\n/, 10_000);
  const { stderr } = await muxd.stop();
  assert.doesNotMatch(stderr, /-> discard cannot accept/, "no client was kept from the idle one");
  assert.doesNotMatch(stderr, /-> discard accepting again/);
});

for (const { kind, spec } of LISTENERS) {
  Deno.test({
    name:
      `muxd serve under prlimit --nofile=128 warns at most once every 5 s while clients come and go at the limit of ${kind}`,
    ignore: noPrlimit !== null,
  }, () => warnsSparingly(spec));
}

async function warnsSparingly(spec: string): Promise<void> {
  // The text log: under EMFILE, Deno itself may write a line of its own to
  // stderr (it cannot load NODE_EXTRA_CA_CERTS), which is not JSON.
  await using muxd = await startMuxd(["serve", "-l", spec], underOpenFilesLimit(128));
  const port = muxd.port(0);
  const accepted = () =>
    [...muxd.stderr().matchAll(/ INF tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:(\d+) -> echo\n/g)]
      .map((m) => Number(m[1]));
  const conns = await connectMany(150, "127.0.0.1", () => port);
  const closed = new Set<Deno.TcpConn>();
  try {
    await muxd.waitForStderr(/-> echo cannot accept \(EMFILE\)/, 10_000);
    // Each close frees one descriptor: muxd accepts one waiting connection,
    // and its next accept fails again.
    for (let i = 0; i < 5; i++) {
      const before = accepted();
      const conn = conns.find((c) => !closed.has(c) && before.includes(c.localAddr.port))!;
      closed.add(conn);
      conn.close();
      await waitUntil(
        () => accepted().length > before.length,
        10_000,
        "muxd to accept a waiting connection once one closed",
      );
    }
  } finally {
    for (const conn of conns) if (!closed.has(conn)) closeQuietly(conn);
  }
  const { stderr } = await muxd.stop();
  const warnings = lineTimes(stderr, /-> echo cannot accept \(EMFILE\)/);
  assertSpaced(warnings, 5000, "EMFILE warnings");
  const resumed = lineTimes(stderr, /-> echo accepting again after/);
  assert.ok(resumed.length <= warnings.length, "accepting again only after a warning");
}

Deno.test({
  name:
    "muxd serve warns at start-up when its limits allow more open files than prlimit --nofile=256",
  ignore: noPrlimit !== null,
}, async () => {
  await using muxd = await startMuxd(ECHO, underOpenFilesLimit(256));
  await muxd.waitForStderr(
    /WRN muxd's limits allow \d+ open files \(1024 connections, 1 socket, and its own\), but its open-files limit is 256 \(ulimit -n\).* lower --max-connections to \d+\./,
    10_000,
  );
});

Deno.test({
  name: "muxd serve does not warn about open files when its limits fit",
  ignore: noPrlimit !== null,
}, async () => {
  await using muxd = await startMuxd(
    ["serve", "--log-level", "debug", "--max-connections", "100", "-l", "tcp://127.0.0.1:0=echo"],
    underOpenFilesLimit(256),
  );
  await muxd.waitForStderr(/open files: the limits allow 133, within the limit of 256/, 10_000);
  const { stderr } = await muxd.stop();
  assert.doesNotMatch(stderr, /open-files limit/);
});

/** `launcher` with the right to run `program` too, as exec needs. */
function withRunRight(launcher: MuxdLauncher, program: string): MuxdLauncher {
  const args = launcher.args.map((arg) =>
    arg.startsWith("--allow-run=") ? `${arg},${program}` : arg
  );
  return { ...launcher, args };
}

/**
 * An echo server in the test's own process, as forward's upstream: muxd
 * holds two files per relayed connection, this one none of muxd's.
 */
function upstreamEcho(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const served = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      conn.readable.pipeTo(conn.writable).catch(() => {}).finally(() => conns.delete(conn));
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      for (const conn of conns) closeQuietly(conn);
      await served;
    },
  };
}

Deno.test({
  name:
    "muxd serve counts two files per forward connection, and the --max-connections it advises under prlimit --nofile=256 all relay without EMFILE",
  ignore: noPrlimit !== null,
}, async () => {
  const upstream = upstreamEcho();
  try {
    const forward = `tcp://127.0.0.1:0=forward?to=127.0.0.1:${upstream.port}`;
    // 200 connections fit 256 files at one each, not at two.
    let advised: number;
    {
      await using muxd = await startMuxd(
        ["serve", "--max-connections", "200", "-l", forward],
        underOpenFilesLimit(256),
      );
      await muxd.waitForStderr(
        /WRN muxd's limits allow 433 open files \(200 connections holding 400 files, 1 socket, and its own\).* lower --max-connections to \d+\./,
        10_000,
      );
      advised = Number(/lower --max-connections to (\d+)/.exec(muxd.stderr())![1]);
      await muxd.stop();
    }
    assert.ok(advised > 50 && advised < 128, `advised ${advised}`);
    await using muxd = await startMuxd(
      ["serve", "--max-connections", String(advised), "-l", forward],
      underOpenFilesLimit(256),
    );
    const port = muxd.port(0);
    const conns = await connectMany(advised, "127.0.0.1", () => port);
    try {
      const echoed = await echoesOn(
        conns,
        20_000,
        `echo round trips through forward on ${advised} connections`,
      );
      assert.equal(echoed.filter((ok) => ok).length, advised);
    } finally {
      for (const conn of conns) closeQuietly(conn);
    }
    const { stderr } = await muxd.stop();
    assert.doesNotMatch(stderr, /EMFILE|open-files limit/);
  } finally {
    await upstream.close();
  }
});

Deno.test({
  name: "muxd serve counts the pipes of exec's programs against prlimit --nofile=256",
  ignore: noPrlimit !== null,
}, async () => {
  // 100 connections at one file each fit; 32 programs at 4 pipes each more do not.
  await using muxd = await startMuxd(
    ["serve", "--max-connections", "100", "-l", "tcp://127.0.0.1:0=exec?run=cat"],
    withRunRight(underOpenFilesLimit(256), "cat"),
  );
  await muxd.waitForStderr(
    /WRN muxd's limits allow 261 open files \(100 connections, 128 for programs and sessions, 1 socket, and its own\)/,
    10_000,
  );
});

/** `-l` for `count` echo listeners on ports the OS picks. */
function echoListeners(count: number): string[] {
  return Array.from({ length: count }, () => ["-l", "tcp://127.0.0.1:0=echo"]).flat();
}

Deno.test({
  name:
    "muxd serve with more listeners than prlimit --nofile=128 allows exits 1 naming ulimit -n, not with an internal error",
  ignore: noPrlimit !== null,
}, async () => {
  // The explanation of the binds that failed at EMFILE read the host's
  // interfaces, which takes a socket: none was left, and muxd stopped with
  // "internal error: Too many open files" (exit 70).
  const { code, stderr } = await runMuxdExpectingFailure(
    ["serve", ...echoListeners(160)],
    underOpenFilesLimit(128),
  );
  assert.equal(code, 1, stderr.slice(-500));
  assert.doesNotMatch(stderr, /internal error/);
  assert.match(
    stderr,
    /ERR cannot bind tcp 127\.0\.0\.1:0 \(tcp:\/\/127\.0\.0\.1:0=echo\): too many open files: .*\(ulimit -n\)/,
  );
  assert.match(stderr, /ERR nothing is being served: \d+ of 160 listeners could not be bound/);
});

Deno.test({
  name:
    "muxd serve --keep-going with more listeners than prlimit --nofile=128 allows serves those that bound and explains the rest",
  ignore: noPrlimit !== null,
}, async () => {
  const dir = await Deno.makeTempDir();
  const readyFile = `${dir}/ready.json`;
  try {
    await using muxd = await startMuxd(
      ["serve", "--keep-going", "--ready-file", readyFile, ...echoListeners(160)],
      underOpenFilesLimit(128),
    );
    assert.ok(muxd.ready.sockets.length > 0 && muxd.ready.failed.length > 0);
    assert.equal(muxd.ready.sockets.length + muxd.ready.failed.length, 160);
    // It kept files free: the ready file is written, and every listener it
    // serves accepts (with every descriptor a listener's, none could).
    assert.deepEqual(JSON.parse(await Deno.readTextFile(readyFile)), muxd.ready);
    for (const { port } of muxd.ready.sockets.slice(-8)) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        assert.ok(await withTimeout(echoRoundTrip(conn, PING), 5000, `echo on port ${port}`));
      } finally {
        conn.close();
      }
    }
    const { stderr } = await muxd.stop();
    assert.doesNotMatch(stderr, /internal error/);
    assert.doesNotMatch(stderr, /out of file descriptors|cannot write the ready file/);
    assert.match(stderr, /too many open files: .*\(ulimit -n\).*leaves 32 free/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "muxd serve under prlimit --nofile=200 names the holder of every one of 150 ports in use, in one line: the lookups share one ss",
  ignore: noPrlimit !== null,
}, async () => {
  const held = holdRange(150);
  try {
    const first = (held[0].addr as Deno.NetAddr).port;
    const ports = `${first}-${first + 149}`;
    const spec = `tcp://127.0.0.1:${ports}=echo`;
    const { code, stderr } = await runMuxdExpectingFailure(
      ["serve", "-l", spec],
      underOpenFilesLimit(200),
    );
    assert.equal(code, 1, stderr.slice(-500));
    // Every port's lookup found this process: the 150 reasons are alike but
    // for their port, and make one line.
    const named = stderr.match(/ERR cannot bind .* held by a listening socket .* of process \d+ /g);
    assert.equal(named?.length, 1, stderr.slice(0, 2000));
    assert.match(
      named[0],
      new RegExp(
        `cannot bind tcp 127\\.0\\.0\\.1 on 150 ports, ${ports} \\(of tcp://127\\.0\\.0\\.1:${ports}=echo\\): ` +
          `address already in use: another socket holds tcp 127\\.0\\.0\\.1:${ports}, .* ` +
          `held by a listening socket tcp 127\\.0\\.0\\.1:${ports} of process ${Deno.pid} `,
      ),
    );
    assert.doesNotMatch(stderr, /holder lookup failed/);
  } finally {
    for (const l of held) l.close();
  }
});

/** The start-up log's lines that tell a failed bind. */
function cannotBindLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => / ERR (SIGHUP: )?cannot bind /i.test(line));
}

Deno.test({
  name:
    "muxd serve with TCP and UDP port ranges past prlimit --nofile=256 tells the ports that met EMFILE in one line per range, naming every port",
  ignore: noPrlimit !== null,
}, async () => {
  // Each port of a range that met EMFILE had a line of its own: 570 alike.
  const first = freeRange(400);
  const last = first + 399;
  const { code, stderr } = await runMuxdExpectingFailure(
    [
      "serve",
      "-l",
      `tcp://127.0.0.1:${first}-${last}=echo`,
      "-l",
      `udp://127.0.0.1:${first}-${last}=echo`,
    ],
    underOpenFilesLimit(256),
  );
  assert.equal(code, 1, stderr.slice(-500));
  const lines = cannotBindLines(stderr);
  assert.equal(lines.length, 2, stderr.slice(0, 2000));
  const tcp = lines[0].match(
    new RegExp(
      `ERR cannot bind tcp 127\\.0\\.0\\.1 on (\\d+) ports, (\\d+)-${last} ` +
        `\\(of tcp://127\\.0\\.0\\.1:${first}-${last}=echo\\): too many open files: .*\\(ulimit -n\\)`,
    ),
  );
  assert.ok(tcp, lines[0]);
  assert.equal(Number(tcp[1]), last - Number(tcp[2]) + 1);
  assert.match(
    lines[1],
    new RegExp(
      `ERR cannot bind udp 127\\.0\\.0\\.1 on 400 ports, ${first}-${last} ` +
        `\\(of udp://127\\.0\\.0\\.1:${first}-${last}=echo\\): too many open files`,
    ),
  );
  assert.match(
    stderr,
    new RegExp(`nothing is being served: ${Number(tcp[1]) + 400} of 800 listeners could not`),
  );
});

Deno.test({
  name:
    "muxd serve --keep-going with a port range past prlimit --nofile=256 lists the ports that met EMFILE in one line under Not bound",
  ignore: noPrlimit !== null,
}, async () => {
  const first = freeRange(400);
  const last = first + 399;
  await using muxd = await startMuxd(
    ["serve", "--keep-going", "-l", `tcp://127.0.0.1:${first}-${last}=echo`],
    underOpenFilesLimit(256),
  );
  const failed = muxd.ready.failed.length;
  assert.ok(failed > 100 && muxd.ready.sockets.length + failed === 400);
  const { stderr } = await muxd.stop();
  const lines = cannotBindLines(stderr);
  assert.equal(lines.length, 1, stderr.slice(0, 2000));
  const ports = `${last - failed + 1}-${last}`;
  assert.match(
    lines[0],
    new RegExp(`cannot bind tcp 127\\.0\\.0\\.1 on ${failed} ports, ${ports} `),
  );
  const notBound = stderr.slice(stderr.indexOf("Not bound:\n")).split("\n").slice(1);
  assert.match(
    notBound[0],
    new RegExp(
      `^ {2}tcp 127\\.0\\.0\\.1 on ${failed} ports, ${ports} ` +
        `\\(of tcp://127\\.0\\.0\\.1:${first}-${last}=echo\\): too many open files`,
    ),
  );
  assert.doesNotMatch(notBound[1], /^ {2}tcp/);
});

Deno.test({
  name:
    "muxd serve rejects a reload that grows a port range past prlimit --nofile=256 in one line naming every port that met EMFILE",
  ignore: noPrlimit !== null,
}, async () => {
  const first = freeRange(400);
  const last = first + 399;
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/muxd.jsonc`;
    const config = (to: number) =>
      JSON.stringify({ listen: [`tcp://127.0.0.1:${first}-${to}=echo`] });
    await Deno.writeTextFile(path, config(first + 9));
    await using muxd = await startMuxd(["serve", "--config", path], underOpenFilesLimit(256));
    await Deno.writeTextFile(path, config(last));
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: the new config is rejected/, 10_000);
    const lines = cannotBindLines(muxd.stderr());
    assert.equal(lines.length, 1, muxd.stderr().slice(0, 2000));
    const grouped = lines[0].match(
      new RegExp(
        `ERR SIGHUP: Cannot bind tcp 127\\.0\\.0\\.1 on (\\d+) ports, (\\d+)-${last} ` +
          `\\(of tcp://127\\.0\\.0\\.1:${first}-${last}=echo, ${path}:1:\\d+\\): too many open files`,
      ),
    );
    assert.ok(grouped, lines[0]);
    assert.equal(Number(grouped[1]), last - Number(grouped[2]) + 1);
    // The running set goes on: its first port still echoes.
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: first });
    assert.ok(await echoRoundTrip(conn, PING));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "muxd serve --control under prlimit --nofile=256 answers a port range past the limit with 409, and logs the ports that met EMFILE in one line",
  ignore: noPrlimit !== null,
}, async () => {
  const first = freeRange(400);
  const last = first + 399;
  await using muxd = await startMuxd(
    ["serve", "--control", "127.0.0.1:0", "-l", "tcp://127.0.0.1:0=echo"],
    underOpenFilesLimit(256),
  );
  const { url, token } = muxd.ready.control!;
  const response = await fetch(new URL("/v1/listeners", url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify(`tcp://127.0.0.1:${first}-${last}=echo`),
  });
  assert.equal(response.status, 409);
  const { problems } = await response.json();
  // Each port that met EMFILE had a line of its own, as at start-up.
  await muxd.waitForStderr(/ERR cannot bind /);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const lines = cannotBindLines(muxd.stderr());
  assert.equal(lines.length, 1, muxd.stderr().slice(0, 2000));
  assert.match(
    lines[0],
    new RegExp(
      `ERR cannot bind tcp 127\\.0\\.0\\.1 on ${problems.length} ports, \\d+-${last} ` +
        `\\(of tcp://127\\.0\\.0\\.1:${first}-${last}=echo\\): too many open files`,
    ),
  );
});

Deno.test({
  name:
    "muxd serve under prlimit --nofile=128 tells the listeners of a port range that cannot accept (EMFILE) at once in one line, and in one when they accept again",
  ignore: noPrlimit !== null,
}, async () => {
  // Each listener said so in a line of its own, every 5 s: 199 lines every
  // 5 s for a range of 199, and 199 more when descriptors were free again.
  const first = freeRange(40);
  const last = first + 39;
  await using muxd = await startMuxd(
    ["serve", "-l", `tcp://127.0.0.1:${first}-${last}=echo`],
    underOpenFilesLimit(128),
  );
  // More connections than muxd has descriptors left, spread over every
  // listener: each has clients waiting while its accept fails.
  const conns = await connectMany(200, "127.0.0.1", (i) => first + i % 40);
  try {
    await muxd.waitForStderr(
      /WRN \d+ listeners cannot accept \(EMFILE\): tcp 127\.0\.0\.1:\d+/,
      10_000,
    );
  } finally {
    for (const conn of conns) closeQuietly(conn);
  }
  await muxd.waitForStderr(/INF \d+ listeners accepting again, after \d+ ms at most/, 10_000);
  const { stderr } = await muxd.stop();
  const lines = stderr.split("\n");
  const paused = lines.filter((l) =>
    /(-> echo|WRN \d+ listeners) cannot accept \(EMFILE\)/.test(l)
  );
  const resumed = lines.filter((l) => /(-> echo|INF \d+ listeners) accepting again/.test(l));
  assert.ok(paused.length <= 4, paused.join("\n"));
  assert.ok(resumed.length <= 4, resumed.join("\n"));
  // Every listener is named, its range's ports as runs.
  const named = (lines: string[]) =>
    lines.reduce((sum, l) => sum + Number(l.match(/ (\d+) listeners /)?.[1] ?? 1), 0);
  assert.equal(named(paused), 40, paused.join("\n"));
  assert.equal(named(resumed), 40, resumed.join("\n"));
  assert.match(paused[0], new RegExp(`: tcp 127\\.0\\.0\\.1:\\d+-\\d+ echo(, |: muxd has)`));
});

Deno.test({
  name:
    "muxd serve --keep-going past prlimit --nofile=128 keeps its free descriptors at a reload that tries the failed listeners again: connections are served, and the next reload reads its config",
  ignore: noPrlimit !== null,
}, async () => {
  // A reload kept half of the listeners it bound past the limit: the 30
  // descriptors start-up left free became 14, 24 connections left listeners
  // unable to accept, and every later reload failed to read the config
  // file ('Too many open files').
  const first = freeRange(150);
  const dir = await Deno.makeTempDir();
  const conns: Deno.TcpConn[] = [];
  try {
    const path = `${dir}/muxd.jsonc`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({ listen: [`tcp://127.0.0.1:${first}-${first + 149}=echo`], keepGoing: true }),
    );
    await using muxd = await startMuxd(["serve", "--config", path], underOpenFilesLimit(128));
    const served = muxd.ready.sockets.length;
    assert.ok(served > 24 && muxd.ready.failed.length > 0, muxd.stderr());
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: reloaded .* could not be bound/, 10_000);
    for (let i = 0; i < 24; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(i) }));
    }
    const echoed = await echoesOn(
      conns,
      10_000,
      "echo round trips on 24 connections after the reload",
    );
    assert.ok(echoed.every((ok) => ok));
    // With the connections open, the next reload still opens its config file.
    const before = muxd.stderr().length;
    muxd.signal("SIGHUP");
    await waitUntil(
      () => /SIGHUP: (reloaded|.*cannot read)/.test(muxd.stderr().slice(before)),
      10_000,
      "the second reload's line",
    );
    assert.doesNotMatch(muxd.stderr().slice(before), /cannot read config file/);
    assert.match(muxd.stderr().slice(before), /SIGHUP: reloaded/);
  } finally {
    for (const conn of conns) closeQuietly(conn);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "muxd serve under prlimit --nofile=128 stopped while listeners cannot accept (EMFILE) tells them before 'bye', which stays its last line",
  ignore: noPrlimit !== null,
}, async () => {
  // The text log gathers accept pauses for a second before it tells them: a
  // SIGTERM within that second wrote them after 'bye'.
  const first = freeRange(40);
  const last = first + 39;
  await using muxd = await startMuxd(
    ["serve", "--grace", "0", "-l", `tcp://127.0.0.1:${first}-${last}=echo`],
    underOpenFilesLimit(128),
  );
  const conns = await connectMany(200, "127.0.0.1", (i) => first + i % 40);
  try {
    // Long enough for accepts to fail, well within the second the lines gather.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { stderr } = await muxd.stop("SIGTERM");
    const lines = stderr.trimEnd().split("\n");
    assert.match(lines.at(-1)!, / INF (.*; )?bye$/, stderr);
    assert.ok(lines.some((l) => /cannot accept \(EMFILE\)/.test(l)), stderr);
  } finally {
    for (const conn of conns) closeQuietly(conn);
  }
});
