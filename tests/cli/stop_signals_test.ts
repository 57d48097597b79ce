/**
 * End-to-end tests of how `muxd serve` stops: SIGTERM and SIGINT, the grace
 * period for open connections, and a second signal that cuts it short.
 */

import assert from "node:assert/strict";
import { MAIN, readFirstLine, SERVE_PERMISSIONS, startMuxd } from "../_support/process.ts";
import { nc } from "../_support/netcat.ts";
import { firstRead } from "../_support/socket.ts";

/** Connects to an echo listener and makes sure muxd has accepted: one byte there and back. */
async function openIdleConnection(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new Uint8Array([0x78]));
    const buffer = new Uint8Array(1);
    assert.equal(await conn.read(buffer), 1);
    assert.equal(buffer[0], 0x78);
    return conn;
  } catch (error) {
    conn.close();
    throw error;
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`muxd serve exits with 0 and says bye on ${signal}`, async () => {
    await using muxd = await startMuxd(["serve", "-l", "tcp://127.0.0.1:0=echo"]);
    const echo = await nc(["-N", "127.0.0.1", String(muxd.port(0))], "before\n");
    assert.equal(echo.text, "before\n", echo.stderr);
    const { code, signal: killedBy, stderr } = await muxd.stop(signal);
    assert.equal(killedBy, null);
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      new RegExp(`INF ${signal}: stopped accepting; open connections may finish for 5 s`),
    );
    // SIGINT comes from Ctrl-C in a terminal: the line says it that way.
    assert.match(
      stderr,
      signal === "SIGINT"
        ? /\(press Ctrl-C again to stop now\)\n/
        : /\(send SIGTERM again to stop now\)\n/,
    );
    assert.match(stderr, /INF bye\n$/);
  });
}

Deno.test("muxd serve closes an idle connection at the end of the grace period", async () => {
  await using muxd = await startMuxd(["serve", "-l", "tcp://127.0.0.1:0=echo", "--grace", "0.5"]);
  using conn = await openIdleConnection(muxd.port(0));
  const closedByMuxd = firstRead(conn);
  const started = performance.now();
  const { code, stderr } = await muxd.stop("SIGTERM");
  const elapsed = performance.now() - started;
  assert.equal(code, 0, stderr);
  assert.ok(elapsed >= 450, `exited after ${Math.round(elapsed)} ms, before the grace period`);
  assert.ok(elapsed < 3_000, `exited only after ${Math.round(elapsed)} ms`);
  assert.match(stderr, /open connections may finish for 0\.5 s/);
  assert.match(stderr, /closed after \d+ ms: 1 B in, 1 B out, closed at shutdown\n/);
  assert.match(stderr, /INF closed 1 connection\(s\) still open; bye\n$/);
  assert.equal(await closedByMuxd, "eof", "the client sees the connection end");
});

Deno.test("muxd serve ends the grace period at once on a second SIGTERM", async () => {
  await using muxd = await startMuxd(["serve", "-l", "tcp://127.0.0.1:0=echo", "--grace", "60"]);
  using conn = await openIdleConnection(muxd.port(0));
  const closedByMuxd = firstRead(conn);
  muxd.signal("SIGTERM");
  await muxd.waitForStderr("SIGTERM: stopped accepting");
  // Within 100 ms, the same signal counts as the first (a process group's, passed on).
  await new Promise((resolve) => setTimeout(resolve, 150));
  const started = performance.now();
  const { code, stderr } = await muxd.stop("SIGTERM");
  const elapsed = performance.now() - started;
  assert.equal(code, 0, stderr);
  assert.ok(elapsed < 2_000, `exited only after ${Math.round(elapsed)} ms`);
  assert.match(stderr, /INF closed 1 connection\(s\) still open; bye\n$/);
  assert.equal(await closedByMuxd, "eof", "the client sees the connection end");
});

Deno.test("muxd serve goes on serving after whoever read its log closed the pipe", async () => {
  // As `muxd serve 2>&1 | head` leaves it: standard error is a pipe nobody reads.
  const child = new Deno.Command("deno", {
    args: ["run", ...SERVE_PERMISSIONS, MAIN, "serve", "-l", "tcp://127.0.0.1:0=echo"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const port = JSON.parse(await readFirstLine(lines)).sockets[0].port;
    await child.stderr.cancel();
    // Each connection writes log lines into the closed pipe; more than one
    // batch of them, 10 ms apart.
    for (let i = 0; i < 3; i++) {
      const { text } = await nc(["-N", "127.0.0.1", `${port}`], `hello ${i}\n`);
      assert.equal(text, `hello ${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
  } finally {
    await lines.cancel();
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
  }
});

/**
 * What a terminal does on Ctrl-C under `deno task serve`, and `kill -TERM
 * -PGID`, `timeout` or systemd on SIGTERM: `deno task` and muxd are one
 * process group, the signal goes to the group, and `deno task` passes its
 * own on to muxd. Python runs the task in a session of its own and sends the
 * group the signal named by its second argument; 1 s later the open
 * connection must still echo.
 */
const SIGNAL_TO_DENO_TASK_GROUP = `
import json, os, signal, socket, subprocess, sys, time
stop = getattr(signal, sys.argv[2])
task = subprocess.Popen(["deno", "task", "serve", "-l", "tcp://127.0.0.1:0=echo", "--grace", "10"],
    cwd=sys.argv[1], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    start_new_session=True)
try:
    ready = json.loads(task.stdout.readline())
    conn = socket.create_connection(("127.0.0.1", ready["sockets"][0]["port"]), timeout=10)
    conn.sendall(b"x")
    first = conn.recv(1)
    os.killpg(task.pid, stop)
    time.sleep(1)
    try:
        conn.sendall(b"still there\\n")
        echoed = conn.recv(100).decode()
    except OSError as error:
        echoed = repr(error)
    conn.close()
    code = task.wait(timeout=20)
finally:
    if task.poll() is None:
        os.killpg(task.pid, signal.SIGKILL)
print(json.dumps({"first": first.decode(), "echoed": echoed, "code": code,
    "stderr": task.stderr.read().decode()}))
`;

for (
  const [signal, what] of [
    ["SIGINT", "one Ctrl-C, which reaches muxd twice (from the terminal and from deno task)"],
    ["SIGTERM", "one SIGTERM to its process group (kill -TERM -PGID, timeout, systemd)"],
  ]
) {
  Deno.test(`deno task serve keeps the grace period on ${what}`, async () => {
    const root = new URL("../../", import.meta.url).pathname;
    const out = await new Deno.Command("python3", {
      args: ["-c", SIGNAL_TO_DENO_TASK_GROUP, root, signal],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const result = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(result.first, "x");
    assert.equal(result.echoed, "still there\n", result.stderr);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`${signal}: stopped accepting; open connections may finish for 10 s`),
    );
    assert.doesNotMatch(result.stderr, /still open; bye/, "one signal is not two");
  });
}

Deno.test("muxd serve stopped by SIGTERM at any moment of its start-up exits 0, or is killed by SIGTERM while Deno loads it, and leaves no ready file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-early-" });
  try {
    const outcomes = new Set<string>();
    for (const delayMs of [0, 20, 40, 60, 80, 100, 150, 300]) {
      const readyFile = `${dir}/ready-${delayMs}.json`;
      const child = new Deno.Command("deno", {
        args: [
          "run",
          ...SERVE_PERMISSIONS,
          MAIN,
          "serve",
          "-l",
          "tcp://127.0.0.1:0=echo",
          "--ready-file",
          readyFile,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill("SIGTERM");
      const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
      const outcome = status.signal === null ? `code ${status.code}` : `signal ${status.signal}`;
      assert.ok(
        outcome === "code 0" || outcome === "signal SIGTERM",
        `${delayMs} ms: ${outcome}\n${stderr}`,
      );
      assert.ok(!stderr.includes("    at "), stderr);
      await assert.rejects(
        Deno.stat(readyFile),
        Deno.errors.NotFound,
        `${delayMs} ms: ready file left`,
      );
      outcomes.add(outcome);
    }
    assert.ok(outcomes.has("code 0"), `some stop came once muxd listened: ${[...outcomes]}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
