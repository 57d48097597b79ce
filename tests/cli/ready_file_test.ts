/**
 * The ready file says "ready" only while muxd serves: it appears once every
 * listener is bound, goes when muxd exits, and a stale one from an earlier
 * run is gone before a start that fails. A test harness that polls it can
 * trust it.
 */

import assert from "node:assert/strict";
import {
  MAIN,
  type MuxdLauncher,
  permissionFlags,
  runMuxdExpectingFailure,
  startMuxd,
  task,
} from "../_support/process.ts";
import type { ReadyRecord } from "../../lib/cli/report.ts";
import { ReadyFile } from "../../lib/cli/ready_file.ts";
import { tempDir } from "../_support/temp_dir.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** `serve --ready-file PATH` of a TCP echo on `port`, which another socket holds: a start that fails. */
function failingStart(path: string, port: number) {
  return runMuxdExpectingFailure([
    "serve",
    "--ready-file",
    path,
    "-l",
    `tcp://127.0.0.1:${port}=echo`,
  ]);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`muxd serve removes its ready file when it exits on ${signal}`, async () => {
    await using temp = await tempDir("muxd-ready-");
    const dir = temp.path;
    const path = `${dir}/ready.json`;
    await using muxd = await startMuxd([
      "serve",
      "--ready-file",
      path,
      "-l",
      "tcp://127.0.0.1:0=echo",
    ]);
    const record: ReadyRecord = JSON.parse(await Deno.readTextFile(path));
    assert.equal(record.ready, true);
    assert.equal(record.pid, muxd.child.pid);
    const { code } = await muxd.stop(signal);
    assert.equal(code, 0);
    assert.equal(await exists(path), false, "the ready file outlived muxd");
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing else is left behind");
  });
}

Deno.test("muxd serve removes its ready file when SIGTERM comes, not after the grace period", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  const path = `${dir}/ready.json`;
  await using muxd = await startMuxd([
    "serve",
    "--ready-file",
    path,
    "--grace",
    "30",
    "-l",
    "tcp://127.0.0.1:0=echo",
  ]);
  // An open connection keeps muxd in its grace period after SIGTERM.
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  await conn.write(new TextEncoder().encode("x"));
  await conn.read(new Uint8Array(1));
  muxd.signal("SIGTERM");
  await muxd.waitForStderr("SIGTERM: stopped accepting");
  // The listener is closed now: a harness must not take muxd for ready.
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) }),
    Deno.errors.ConnectionRefused,
  );
  assert.equal(await exists(path), false, "the ready file says ready while nothing is served");
  const { code } = await muxd.stop("SIGTERM");
  assert.equal(code, 0);
});

/** muxd from source as `deno task serve:exec` runs it: the right to run python3. */
const EXEC_LAUNCHER: MuxdLauncher = {
  program: "deno",
  args: ["run", ...permissionFlags(task("serve:exec")), MAIN],
};

/** Polls until `path` is gone, as a harness does, for up to `ms`. */
async function waitGone(path: string, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (await exists(path)) {
    if (performance.now() > end) throw new Error(`${path} still there after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

Deno.test("muxd serve removes its ready file at SIGTERM only once a UDP exec socket has sent the reply on its way: the port is free when the file is gone", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const path = `${dir}/ready.json`;
    // The program answers a second after the datagram: muxd keeps the
    // socket open for that reply, within the grace period.
    const slowEcho = `run=${
      encodeURIComponent(JSON.stringify([
        "python3",
        "-c",
        "import sys, time; data = sys.stdin.buffer.read(); time.sleep(1); sys.stdout.buffer.write(data)",
      ]))
    }`;
    await using muxd = await startMuxd([
      "serve",
      "--ready-file",
      path,
      "--grace",
      "30",
      "-l",
      `udp://127.0.0.1:0=exec?${slowEcho}`,
    ], EXEC_LAUNCHER);
    const port = muxd.port(0);
    await client.send(new TextEncoder().encode("ping"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    const reply = client.receive();
    // Cancelled when a failed assertion closes the client first.
    reply.catch(() => {});
    await muxd.waitForStderr("-> exec (4 B)", 10_000);
    muxd.signal("SIGTERM");
    await waitGone(path, 10_000);
    // What the next muxd of a harness does at once: bind the same port.
    try {
      Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }).close();
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      assert.fail(`the ready file went while udp 127.0.0.1:${port} was still bound`);
    }
    const [data] = await reply;
    assert.equal(new TextDecoder().decode(data), "ping", "the reply on its way was sent");
    const { code, stderr } = await muxd.stop("SIGTERM");
    assert.equal(code, 0, stderr);
  } finally {
    client.close();
  }
});

Deno.test("muxd serve removes a stale ready file before a start that fails", async () => {
  await using temp = await tempDir("muxd-ready-");
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const path = `${temp.path}/ready.json`;
  // What a muxd killed with SIGKILL leaves: a record with a dead pid.
  await Deno.writeTextFile(path, JSON.stringify({ ready: true, pid: 999_999, sockets: [] }));
  const { port } = held.addr as Deno.NetAddr;
  const run = await failingStart(path, port);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(await exists(path), false, "a failed start left a ready file claiming readiness");
});

Deno.test("muxd serve removes a stale ready file whose pid another program got since, before a start that fails", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // A program that is not muxd, running under the pid the record names: a
  // muxd killed with SIGKILL, its pid given to the next process.
  const other = new Deno.Command("sh", { args: ["-c", "sleep 30"], stdin: "null" }).spawn();
  try {
    const path = `${dir}/ready.json`;
    await Deno.writeTextFile(path, JSON.stringify({ ready: true, pid: other.pid, sockets: [] }));
    const { port } = held.addr as Deno.NetAddr;
    const run = await failingStart(path, port);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(await exists(path), false, "a failed start left a ready file claiming readiness");
  } finally {
    other.kill("SIGKILL");
    await other.status;
  }
});

Deno.test("muxd serve leaves a ready file that another muxd took over", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  const path = `${dir}/ready.json`;
  await using first = await startMuxd([
    "serve",
    "--ready-file",
    path,
    "-l",
    "tcp://127.0.0.1:0=echo",
  ]);
  await using second = await startMuxd([
    "serve",
    "--ready-file",
    path,
    "-l",
    "tcp://127.0.0.1:0=echo",
  ]);
  await first.stop("SIGTERM");
  const record: ReadyRecord = JSON.parse(await Deno.readTextFile(path));
  assert.equal(record.pid, second.child.pid, "the first muxd removed the second one's record");
  await second.stop("SIGTERM");
  assert.equal(await exists(path), false);
});

Deno.test("muxd serve leaves a running muxd's ready file alone when its own start fails", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  const path = `${dir}/ready.json`;
  await using first = await startMuxd([
    "serve",
    "--ready-file",
    path,
    "-l",
    "tcp://127.0.0.1:0=echo",
  ]);
  // The same port again: this start fails, and must not take the first one's file.
  const run = await failingStart(path, first.port(0));
  assert.equal(run.code, 1, run.stderr);
  const record: ReadyRecord = JSON.parse(await Deno.readTextFile(path));
  assert.equal(record.pid, first.child.pid);
});

Deno.test("muxd serve leaves a running muxd's ready file alone when its own start fails, with COLUMNS=80 in its environment", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  // ps cuts a command line at COLUMNS characters unless told not to: the
  // running muxd's entry (main.ts) comes after Deno's flags, past the 80th.
  const columns = Deno.env.get("COLUMNS");
  try {
    const path = `${dir}/ready.json`;
    await using first = await startMuxd([
      "serve",
      "--ready-file",
      path,
      "-l",
      "tcp://127.0.0.1:0=echo",
    ]);
    Deno.env.set("COLUMNS", "80");
    const run = await failingStart(path, first.port(0));
    assert.equal(run.code, 1, run.stderr);
    assert.equal(await exists(path), true, "the running muxd's ready file was removed");
    const record: ReadyRecord = JSON.parse(await Deno.readTextFile(path));
    assert.equal(record.pid, first.child.pid);
  } finally {
    if (columns === undefined) Deno.env.delete("COLUMNS");
    else Deno.env.set("COLUMNS", columns);
  }
});

Deno.test("muxd serve says a ready file whose folder does not exist before it binds anything", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  const path = `${dir}/missing/ready.json`;
  const run = await runMuxdExpectingFailure([
    "serve",
    "--ready-file",
    path,
    "-l",
    "tcp://127.0.0.1:0=echo",
  ]);
  assert.equal(run.code, 2, run.stderr);
  assert.ok(
    run.stderr.includes(`cannot use ${path} as the ready file: its folder does not exist`),
    run.stderr,
  );
  // Found before binding: no socket table, nothing served meanwhile.
  assert.doesNotMatch(run.stderr, /is serving/);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
});

Deno.test("muxd serve refuses, and never touches, what is not a ready record: a folder, another file", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  const folder = `${dir}/a-folder`;
  await Deno.mkdir(folder);
  const notes = `${dir}/notes.txt`;
  await Deno.writeTextFile(notes, "my notes\n");
  // A start that would succeed: the file is the only problem.
  for (
    const [path, why] of [[folder, "it is a folder"], [
      notes,
      "it holds a file that is not a ready record",
    ]]
  ) {
    const run = await runMuxdExpectingFailure([
      "serve",
      "--ready-file",
      path,
      "-l",
      "tcp://127.0.0.1:0=echo",
    ]);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(run.stderr.includes(`cannot use ${path} as the ready file: ${why}`), run.stderr);
  }
  assert.ok((await Deno.stat(folder)).isDirectory);
  assert.deepEqual([...Deno.readDirSync(folder)], []);
  assert.equal(await Deno.readTextFile(notes), "my notes\n");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "a-folder",
    "notes.txt",
  ]);
});

Deno.test("ReadyFile's dispose waits for a write on its way, then removes the record it wrote", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  const path = `${dir}/ready.json`;
  const file = await ReadyFile.claim(path, Deno.pid, (m) => assert.fail(m));
  // An API change's rewrite, not awaited, just before muxd stops.
  const writing = file.write(JSON.stringify({ ready: true, pid: Deno.pid, sockets: [] }));
  await file[Symbol.asyncDispose]();
  await writing;
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound, "no record outlives muxd");
});

Deno.test("ReadyFile writes nothing once withdrawn: a reload that ends while muxd stops leaves no record", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  const path = `${dir}/ready.json`;
  const file = await ReadyFile.claim(path, Deno.pid, (m) => assert.fail(m));
  const record = JSON.stringify({ ready: true, pid: Deno.pid, sockets: [] });
  await file.write(record);
  await file.withdraw();
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  assert.equal(await file.rewrite(record, "the reload"), null);
  await file[Symbol.asyncDispose]();
  await assert.rejects(
    Deno.stat(path),
    Deno.errors.NotFound,
    "a record came back after the stop",
  );
  assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing else is left behind");
});

Deno.test("ReadyFile leaves no temporary file behind when a write fails after the record was written under it", async () => {
  await using temp = await tempDir("muxd-ready-");
  const dir = temp.path;
  const path = `${dir}/ready.json`;
  const file = await ReadyFile.claim(path, Deno.pid, (m) => assert.fail(m));
  // Something put a folder at the path since: the rename fails, as a write
  // fails on a full disk, with the record already under its temporary name.
  await Deno.mkdir(path);
  await Deno.writeTextFile(`${path}/keep`, "");
  const record = JSON.stringify({ ready: true, pid: Deno.pid, sockets: [] });
  await assert.rejects(file.write(record));
  await file.withdraw();
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name),
    ["ready.json"],
    "a record that was never renamed was left behind",
  );
});
