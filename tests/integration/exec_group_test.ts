/**
 * exec ends a program's whole process group, never the program alone: a
 * process it starts in the background (`sleep 300 &`) is gone once its
 * connection closes, muxd stops, or a reload removes its listener. And a
 * program's exit is on its connection's closing line.
 */

import assert from "node:assert/strict";
import {
  MAIN,
  type MuxdLauncher,
  type MuxdProcess,
  permissionFlags,
  serveDebug,
  startMuxd,
  task,
} from "../_support/process.ts";
import { eventsOf, logEvents } from "../_support/log.ts";
import { waitUntil } from "../_support/wait.ts";
import { readToEnd } from "../_support/socket.ts";
import { nc } from "../_support/netcat.ts";

/**
 * The serve:exec task's flags, with the right to run `sh` too, without the
 * programs `without` names.
 */
function launcher(...without: string[]): MuxdLauncher {
  const flags = permissionFlags(task("serve:exec")).map((flag) =>
    flag.startsWith("--allow-run=")
      ? `${flag.split(",").filter((p) => !without.includes(p)).join(",")},sh`
      : flag
  );
  return { program: "deno", args: ["run", ...flags, MAIN] };
}

/**
 * A program that leaves a `sleep 300` in the background, says its pid on
 * standard error, then copies its input to its output.
 */
const LEAVES_SLEEP = `run=${
  encodeURIComponent(JSON.stringify(["sh", "-c", "sleep 300 & echo $! >&2; exec cat"]))
}`;

/** Tells whether process `pid` still exists (a zombie counts as gone), by asking `ps`. */
async function processRuns(pid: number): Promise<boolean> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdout: "piped",
  }).output();
  const stat = new TextDecoder().decode(stdout).trim();
  return stat !== "" && !stat.startsWith("Z");
}

/** The process group of process `pid`, by asking `ps`. */
async function processGroup(pid: number): Promise<string> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-o", "pgid=", "-p", String(pid)],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(stdout).trim();
}

/** Waits for the background sleep's pid, from the program's standard error line. */
async function sleeperPid(stderr: () => string): Promise<number> {
  await waitUntil(
    () => eventsOf(logEvents(stderr()), "exec-stderr").length === 1,
    10_000,
    "the program to say its sleep's pid",
    stderr,
  );
  const [{ line }] = eventsOf(logEvents(stderr()), "exec-stderr");
  const pid = Number(line);
  assert.ok(await processRuns(pid), `sleep ${pid} runs`);
  return pid;
}

/** A program that says its pid and process group, then copies its input to its output. */
const SAYS_GROUP = `run=${
  encodeURIComponent(JSON.stringify([
    "sh",
    "-c",
    'read pid comm state ppid pgrp rest < /proc/$$/stat; echo "$pid $pgrp"; exec cat',
  ]))
}`;

/** Talks to SAYS_GROUP behind muxd's first listener: the program must be in muxd's own group. */
async function assertInMuxdGroup(muxd: MuxdProcess): Promise<void> {
  const { text } = await nc(["-N", "127.0.0.1", String(muxd.port(0))], "bye\n");
  const [pidAndGroup, echoed] = text.split("\n");
  const [pid, pgrp] = pidAndGroup.split(" ");
  assert.notEqual(pgrp, pid, "the program leads no group");
  assert.equal(pgrp, await processGroup(muxd.child.pid), "it is in muxd's group");
  assert.equal(echoed, "bye");
}

/** Waits until process `pid` is gone. */
async function gone(pid: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (await processRuns(pid)) {
    if (Date.now() > deadline) {
      throw new Error(`process ${pid} still runs after 10 s\n${stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("muxd serve ends what exec's program left in the background once its connection closes", async () => {
  await using muxd = await startMuxd(
    ["serve", "--log-format", "json", "-l", `tcp://127.0.0.1:0=exec?${LEAVES_SLEEP}`],
    launcher(),
  );
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  const pid = await sleeperPid(() => muxd.stderr());
  await conn.write(new TextEncoder().encode("hi\n"));
  await conn.closeWrite();
  // cat exits by itself at the half-close; its sleep must not outlive it.
  assert.equal(new TextDecoder().decode(await readToEnd(conn)), "hi\n");
  await gone(pid, () => muxd.stderr());
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "connection-closed").length === 1,
    10_000,
    "the connection's close",
    () => muxd.stderr(),
  );
  const [closed] = eventsOf(logEvents(muxd.stderr()), "connection-closed");
  assert.equal(closed.exit?.code, 0);
  assert.equal(closed.exit?.endedBy, null);
});

Deno.test("muxd serve ends what exec's program left in the background when muxd stops", async () => {
  const muxd = await startMuxd(
    [
      "serve",
      "--log-format",
      "json",
      "--grace",
      "0.2",
      "-l",
      `tcp://127.0.0.1:0=exec?${LEAVES_SLEEP}`,
    ],
    launcher(),
  );
  using _conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  const pid = await sleeperPid(() => muxd.stderr());
  const { code, stderr } = await muxd.stop("SIGTERM");
  assert.equal(code, 0);
  assert.equal(await processRuns(pid), false, `sleep ${pid} is gone when muxd has exited`);
  const [closed] = eventsOf(logEvents(stderr), "connection-closed");
  assert.equal(closed.exit?.endedBy, "shutdown");
});

Deno.test("muxd serve ends what exec's program left in the background when a reload removes its listener", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-exec-reload-" });
  try {
    const path = `${dir}/muxd.jsonc`;
    const write = (...listen: string[]) => Deno.writeTextFile(path, JSON.stringify({ listen }));
    await write(`tcp://127.0.0.1:0=exec?${LEAVES_SLEEP}`, "tcp://127.0.0.1:0=echo");
    await using muxd = await startMuxd(
      ["serve", "--log-format", "json", "--config", path],
      launcher(),
    );
    using _conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
    const pid = await sleeperPid(() => muxd.stderr());
    await write("tcp://127.0.0.1:0=echo");
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: reloaded/);
    await gone(pid, () => muxd.stderr());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve without the right to run kill ends the program alone and warns once", async () => {
  await using muxd = await startMuxd(
    ["serve", "--log-format", "json", "-l", `tcp://127.0.0.1:0=exec?${LEAVES_SLEEP}`],
    launcher("kill"),
  );
  const pids: number[] = [];
  try {
    for (let i = 1; i <= 2; i++) {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
      await waitUntil(
        () => eventsOf(logEvents(muxd.stderr()), "exec-stderr").length === i,
        10_000,
        "the program to say its sleep's pid",
        () => muxd.stderr(),
      );
      pids.push(Number(eventsOf(logEvents(muxd.stderr()), "exec-stderr")[i - 1].line));
      await conn.closeWrite();
      await readToEnd(conn);
    }
    await waitUntil(
      () => eventsOf(logEvents(muxd.stderr()), "connection-closed").length === 2,
      10_000,
      "both connections' close",
      () => muxd.stderr(),
    );
    const warnings = eventsOf(logEvents(muxd.stderr()), "exec-no-group");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].detail, /add kill to --allow-run/);
    // The sleeps outlive their programs: that is what the warning is about.
    for (const pid of pids) assert.ok(await processRuns(pid), `sleep ${pid} runs`);
  } finally {
    // What muxd could not end, the test ends.
    for (const pid of pids) {
      await new Deno.Command("kill", { args: ["-KILL", String(pid)], stderr: "null" }).output();
    }
  }
});

Deno.test("muxd serve's text log line of an exec connection says how its program exited", async () => {
  await using muxd = await startMuxd(
    ["serve", "-l", `tcp://127.0.0.1:0=exec?run=cat`],
    {
      program: "deno",
      args: [
        "run",
        ...permissionFlags(task("serve:exec")).map((flag) =>
          flag.startsWith("--allow-run=") ? `${flag},cat` : flag
        ),
        MAIN,
      ],
    },
  );
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  await conn.write(new TextEncoder().encode("hello\n"));
  await conn.closeWrite();
  assert.equal(new TextDecoder().decode(await readToEnd(conn)), "hello\n");
  await muxd.waitForStderr(
    / INF tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ closed after \d+ ms: 6 B in, 6 B out; cat exited with status 0\n/,
  );
  // At info level, the closing line is the one line of the exit.
  assert.doesNotMatch(muxd.stderr(), /\(pid \d+\) exited/);
});

Deno.test("muxd serve starts exec's program through setsid: it leads its own session and group, found on muxd's PATH though its environment has none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-exec-path-" });
  try {
    // A program only muxd's PATH leads to; it prints its pid, process
    // group and session (fields 1, 5, 6 of /proc/self/stat) and whether its
    // environment has PATH (sh itself sets a PATH of its own when none).
    await Deno.writeTextFile(
      `${dir}/muxd-ids`,
      "#!/bin/sh\nread pid comm state ppid pgrp sid rest < /proc/$$/stat\n" +
        "if tr '\\0' '\\n' < /proc/$$/environ | grep -q ^PATH=; then env=path; else env=none; fi\n" +
        'echo "$pid $pgrp $sid $env"\n',
      { mode: 0o755 },
    );
    const base = launcher();
    await using muxd = await startMuxd(
      serveDebug("tcp://127.0.0.1:0=exec?run=muxd-ids"),
      {
        // muxd (and Deno's --allow-run list) see the directory on PATH.
        program: "sh",
        args: [
          "-c",
          'PATH="$0:$PATH" exec "$@"',
          dir,
          base.program,
          ...base.args.map((arg) => arg.startsWith("--allow-run=") ? `${arg},muxd-ids` : arg),
        ],
      },
    );
    const { text } = await nc(["-d", "127.0.0.1", String(muxd.port(0))]);
    const [pid, pgrp, sid, path] = text.trim().split(" ");
    assert.equal(pgrp, pid, text);
    assert.equal(sid, pid, text);
    assert.equal(path, "none");
    await waitUntil(
      () => eventsOf(logEvents(muxd.stderr()), "exec-exited").length === 1,
      10_000,
      "the program's exit",
      () => muxd.stderr(),
    );
    const [started] = eventsOf(logEvents(muxd.stderr()), "exec-started");
    assert.equal(started.pid, Number(pid));
    assert.equal(started.program, "muxd-ids");
    assert.equal(eventsOf(logEvents(muxd.stderr()), "exec-no-group").length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve without the right to run setsid starts the program in muxd's own group, ends it alone and warns once", async () => {
  await using muxd = await startMuxd(
    serveDebug(`tcp://127.0.0.1:0=exec?${SAYS_GROUP}`),
    launcher("setsid"),
  );
  for (let i = 1; i <= 2; i++) await assertInMuxdGroup(muxd);
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "exec-exited").length === 2,
    10_000,
    "both programs' exits",
    () => muxd.stderr(),
  );
  const warnings = eventsOf(logEvents(muxd.stderr()), "exec-no-group");
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].detail, /add setsid to --allow-run/);
});

Deno.test("muxd serve with exec's group=false starts the program directly, in muxd's own group, and warns of nothing", async () => {
  // Every right to start groups is there: the listener asked for none.
  await using muxd = await startMuxd(
    serveDebug(`tcp://127.0.0.1:0=exec?group=false&${SAYS_GROUP}`),
    launcher(),
  );
  await assertInMuxdGroup(muxd);
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "exec-exited").length === 1,
    10_000,
    "the program's exit",
    () => muxd.stderr(),
  );
  assert.deepEqual(eventsOf(logEvents(muxd.stderr()), "exec-no-group"), []);
});

Deno.test("muxd serve frees exec's max-procs place when the program exits, though what it left in its group takes a second to end", async () => {
  // The leftover ignores SIGTERM: its group's end takes the 1 s grace and a SIGKILL.
  const leaves = `run=${
    encodeURIComponent(JSON.stringify([
      "sh",
      "-c",
      "(trap '' TERM; exec sleep 60 >/dev/null 2>&1) & echo $! >&2; echo hi",
    ]))
  }`;
  await using muxd = await startMuxd(
    serveDebug(`tcp://127.0.0.1:0=exec?max-procs=1&${leaves}`),
    launcher(),
  );
  const port = String(muxd.port(0));
  const first = await nc(["-N", "127.0.0.1", port], "");
  assert.equal(first.text, "hi\n");
  // Its connection has ended: the next client gets a program, not a refusal.
  const second = await nc(["-N", "127.0.0.1", port], "");
  assert.equal(second.text, "hi\n", muxd.stderr());
  assert.deepEqual(eventsOf(logEvents(muxd.stderr()), "exec-refused"), []);
  // And what each left behind is gone.
  await waitUntil(
    () => eventsOf(logEvents(muxd.stderr()), "exec-exited").length === 2,
    10_000,
    "both programs' groups to end",
    () => muxd.stderr(),
  );
  for (const { line } of eventsOf(logEvents(muxd.stderr()), "exec-stderr")) {
    await gone(Number(line), () => muxd.stderr());
  }
});
