/**
 * `muxd check` as a real subprocess, against sockets this test process
 * holds for real: it names the holder's socket, pid and program and exits
 * 1; it notes a port that only TIME-WAIT holds and exits 0; and where it
 * cannot look (no `ss` on the PATH, or no permission to run it) it says so
 * and exits 3 instead of claiming an all-clear.
 */

import assert from "node:assert/strict";
import {
  assertNoStackTrace,
  type Finished,
  MAIN,
  runMuxd,
  SERVE_PERMISSIONS,
  startMuxd,
} from "../_support/process.ts";
import { ssProblem } from "../_support/host.ts";
// The names held below are on ports below the ephemeral range (freePort()),
// not on ports the OS picks: there, a client's connection in TIME-WAIT from
// an earlier load (the test suite's own, or any) may hold the same name, and
// check rightly names it as a second holder.
import { freePort } from "../_support/socket.ts";

const NO_SS = await ssProblem();
if (NO_SS !== null) console.log(`check_command_test.ts: some tests ignored: ${NO_SS}`);

const DUAL_STACK = (await new Deno.Command("sysctl", {
  args: ["-n", "net.ipv6.bindv6only"],
  stdout: "piped",
  stderr: "null",
}).output().then((o) => new TextDecoder().decode(o.stdout).trim(), () => "")) === "0";

/** The line of the text report that names the holders, for the spec given. */
function heldLine(stdout: string, spec: string): string {
  const block = stdout.split("\n\n").find((b) => b.startsWith("error: in-use") && b.includes(spec));
  assert.ok(block, `no in-use error for ${spec} in:\n${stdout}`);
  const line = block.split("\n").find((l) => l.startsWith("  held by "));
  assert.ok(line, block);
  return line;
}

Deno.test({
  name: "muxd check names a muxd that holds the name as muxd, not as the deno that runs it",
  ignore: NO_SS !== null,
  async fn() {
    const port = freePort();
    const spec = `tcp://127.0.0.1:${port}=echo`;
    await using muxd = await startMuxd(["serve", "-l", spec]);
    const result = await runMuxd(["check", "-l", spec]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.equal(
      heldLine(result.stdout, spec),
      `  held by a listening socket tcp 127.0.0.1:${port} of process ${muxd.ready.pid} ` +
        `(muxd, run by deno)`,
    );
    // The why and the fix name it as the held-by line does, not as "(deno)".
    const who = `process ${muxd.ready.pid} (muxd, run by deno)`;
    assert.ok(
      result.stdout.includes(
        `  why: ${who[0].toUpperCase()}${who.slice(1)} listens on tcp 127.0.0.1:${port}, `,
      ),
      result.stdout,
    );
    assert.ok(result.stdout.includes(`  fix: Stop ${who}, or choose another port.`), result.stdout);
  },
});

Deno.test({
  name: "muxd check exits 1 and names the pid and program of a Deno.listen that holds the name",
  ignore: NO_SS !== null,
  async fn() {
    using held = Deno.listen({ hostname: "127.0.0.1", port: freePort() });
    const spec = `tcp://127.0.0.1:${held.addr.port}=echo`;
    const result = await runMuxd(["check", "-l", spec]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.equal(
      heldLine(result.stdout, spec),
      `  held by a listening socket tcp 127.0.0.1:${held.addr.port} of process ${Deno.pid} (deno)`,
    );
    assert.match(result.stdout, /muxd serve would fail\.\n$/);
    assert.doesNotMatch(result.stdout, /would bind every listener/);
    assertNoStackTrace(result);
  },
});

Deno.test({
  name: "muxd check exits 1 and names the holder of a UDP name, and not of the same TCP name",
  ignore: NO_SS !== null,
  async fn() {
    const held = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: freePort(),
    });
    try {
      const { port } = held.addr as Deno.NetAddr;
      const udp = `udp://127.0.0.1:${port}=echo`;
      const tcp = `tcp://127.0.0.1:${port}=echo`;
      const result = await runMuxd(["check", "-l", udp, "-l", tcp]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.equal(
        heldLine(result.stdout, udp),
        `  held by a bound socket udp 127.0.0.1:${port} of process ${Deno.pid} (deno)`,
      );
      assert.equal(result.stdout.match(/^error: in-use$/gm)?.length, 1, result.stdout);
    } finally {
      held.close();
    }
  },
});

Deno.test({
  name:
    "muxd check exits 1 for 127.0.0.1 while a wildcard 0.0.0.0 or a dual-stack [::] holds the port",
  ignore: NO_SS !== null,
  async fn() {
    const holders = [
      ["0.0.0.0", "tcp 0.0.0.0"],
      ...(DUAL_STACK ? [["::", "tcp [::]"]] : []),
    ] as const;
    for (const [hostname, shown] of holders) {
      using held = Deno.listen({ hostname, port: freePort(hostname) });
      const { port } = held.addr;
      const spec = `tcp://127.0.0.1:${port}=echo`;
      const result = await runMuxd(["check", "-l", spec]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(
        heldLine(result.stdout, spec),
        new RegExp(
          `^  held by a listening socket ${
            escape(shown)
          }:${port}.* of process ${Deno.pid} \\(deno\\)$`,
        ),
      );
    }
  },
});

Deno.test({
  name: "muxd check --format json carries the in-use error with the holder's pid and program",
  ignore: NO_SS !== null,
  async fn() {
    using held = Deno.listen({ hostname: "127.0.0.1", port: freePort() });
    const spec = `tcp://127.0.0.1:${held.addr.port}=echo`;
    const result = await runMuxd(["check", "--format", "json", "-l", spec]);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.ok, false);
    assert.deepEqual(report.live, { checked: true });
    const inUse = report.findings.filter((f: { rule: string }) => f.rule === "in-use");
    assert.equal(inUse.length, 1, result.stdout);
    assert.equal(inUse[0].severity, "error");
    assert.deepEqual(inUse[0].holders, [{
      transport: "tcp",
      local: `127.0.0.1:${held.addr.port}`,
      remote: null,
      state: "LISTEN",
      kind: "listening",
      pid: Deno.pid,
      program: "deno",
    }]);
  },
});

Deno.test({
  name: "muxd check warns of a port only TIME-WAIT holds, says when it blocks, and exits 0",
  ignore: NO_SS !== null,
  async fn() {
    const port = freePort("::");
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    const server = await listener.accept();
    listener.close();
    // The side that closes first keeps TIME-WAIT: here, the server's, on `port`.
    server.close();
    assert.equal(await client.read(new Uint8Array(1)), null);
    client.close();
    const spec = `tcp://127.0.0.1:${port}=echo`;
    const result = await runMuxd(["check", "-l", spec]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^warning: time-wait\n/m);
    assert.match(result.stdout, /a plain Python socket server\) leaves connections that block/);
    assert.match(
      result.stdout,
      /0 errors, 1 warning, 0 notes: muxd serve would bind every listener, unless a warning above comes true\.\n$/,
    );
  },
});

/** Runs `muxd check` with a PATH that has deno and sysctl but no ss. */
async function checkWithoutSs(args: readonly string[]): Promise<Finished> {
  const bin = await Deno.makeTempDir({ prefix: "muxd-no-ss-" });
  try {
    for (const tool of ["deno", "sysctl"]) {
      const found = await new Deno.Command("sh", {
        args: ["-c", `command -v ${tool}`],
        stdout: "piped",
      }).output();
      const path = new TextDecoder().decode(found.stdout).trim();
      if (path !== "") await Deno.symlink(path, `${bin}/${tool}`);
    }
    const out = await new Deno.Command("sh", {
      // `sh` is found on the test's PATH; muxd then runs with only `bin` on its PATH.
      args: ["-c", 'PATH="$0" exec deno "$@"', bin, "run", ...SERVE_PERMISSIONS, MAIN, ...args],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return {
      code: out.code,
      signal: out.signal,
      stdout: text.decode(out.stdout),
      stderr: text.decode(out.stderr),
    };
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
}

Deno.test("muxd check without ss on the PATH says it could not look and exits 3, not 0", async () => {
  const spec = `tcp://127.0.0.1:${freePort("::")}=echo`;
  const result = await checkWithoutSs(["check", "-l", spec]);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stdout, /^ {2}not checked: .*needs the ss tool from iproute2/m);
  assert.match(result.stdout, /no rule fails, but muxd serve may still fail/);
  assert.doesNotMatch(result.stdout, /would bind every listener/);
  assertNoStackTrace(result);
  const json = await checkWithoutSs(["check", "--format", "json", "-l", spec]);
  assert.equal(json.code, 3, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, false);
  assert.equal(report.live.checked, false);
  assert.match(report.live.reason, /needs the ss tool/);
});

Deno.test("muxd check without permission to run ss says it could not look and exits 3", async () => {
  const spec = `tcp://127.0.0.1:${freePort("::")}=echo`;
  const permissions = SERVE_PERMISSIONS.map((p) =>
    p.startsWith("--allow-run=") ? "--allow-run=sysctl" : p
  );
  const out = await new Deno.Command("deno", {
    args: ["run", ...permissions, MAIN, "check", "-l", spec],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 3, stdout + new TextDecoder().decode(out.stderr));
  assert.match(stdout, /--allow-run=ss/);
  assert.doesNotMatch(stdout, /would bind every listener/);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test("muxd check tells the alike findings of two port ranges once each, naming every port, and keeps one finding per port in JSON", async () => {
  // Below the ephemeral range; check binds nothing. What another program
  // holds there now (an in-use error, a connection in TIME-WAIT) is a block
  // of its own after these, left out below.
  const tcp = "tcp://127.0.0.1:21000-21999=echo";
  const specs = ["-l", tcp, "-l", "udp://127.0.0.1:21000-21999=echo"];
  const overlap = ["-l", "tcp://127.0.0.1:21500-21999=discard"];
  const text = await runMuxd(["check", ...specs, ...overlap]);
  assert.equal(text.code, 1, text.stderr);
  // It was 2,000 blocks of 4 and 5 lines, the errors among the notes.
  const blocks = text.stdout.split("\n\n")
    .filter((b) => /^(note: tcp-udp-separate|error: same-socket-name)/.test(b));
  assert.equal(blocks.length, 3, text.stdout.slice(0, 3000));
  assert.equal(blocks[0].split("\n")[0], "note: tcp-udp-separate, on 1000 ports: 21000-21999");
  assert.match(
    blocks[0],
    /\n {2}why \(port 21000, and alike for each\): tcp 127\.0\.0\.1:21000 and udp/,
  );
  assert.deepEqual(blocks[1].split("\n").slice(0, 3), [
    "error: same-socket-name, on 500 ports: 21500-21999",
    "  tcp://127.0.0.1:21500-21999=discard (argument 6 after check)",
    `  conflicts with ${tcp} (argument 2 after check)`,
  ]);
  assert.deepEqual(blocks[2].split("\n").slice(0, 3), [
    "note: tcp-udp-separate, on 500 ports: 21500-21999",
    "  tcp://127.0.0.1:21500-21999=discard (argument 6 after check)",
    "  and udp://127.0.0.1:21000-21999=echo (argument 4 after check)",
  ]);
  // The counts are still of findings, one per socket.
  assert.match(
    text.stdout,
    /\n\n\d+ errors, \d+ warnings?, 1500 notes: muxd serve would fail\.\n$/,
  );

  const json = await runMuxd(["check", "--format", "json", ...specs]);
  const report = JSON.parse(json.stdout);
  const notes = report.findings.filter((f: { rule: string }) => f.rule === "tcp-udp-separate");
  assert.equal(notes.length, 1000);
  assert.deepEqual(notes[7].specs[0], {
    spec: "tcp://127.0.0.1:21007=echo",
    // After --format json.
    source: "argument 4 after check",
    origin: tcp,
    port: 21007,
  });
});

Deno.test("muxd check tells the alike findings of an interface's port ranges once per address, not as more ports", async () => {
  const loopback = Deno.networkInterfaces().filter((i) => i.name === "lo");
  const addresses = new Set(loopback.map((i) => i.address));
  // Below the ephemeral range; check binds nothing.
  const specs = ["-l", "tcp://lo:21000-21002=echo", "-l", "udp://lo:21000-21002=echo"];
  const text = await runMuxd(["check", ...specs]);
  assert.equal(text.code, 0, text.stderr);
  const blocks = text.stdout.split("\n\n").filter((b) => b.startsWith("note: tcp-udp-separate"));
  assert.equal(blocks.length, addresses.size, text.stdout);
  for (const [i, address] of ["127.0.0.1", "[::1]"].entries()) {
    if (i >= blocks.length) break;
    assert.equal(blocks[i].split("\n")[0], "note: tcp-udp-separate, on 3 ports: 21000-21002");
    assert.ok(blocks[i].includes(`tcp ${address}:21000 and udp ${address}:21000`), blocks[i]);
  }
});

Deno.test({
  name:
    "muxd check tells the ports of a range that one program holds in one in-use block, naming every port",
  ignore: NO_SS !== null,
  async fn() {
    // Each held port was a block of its own: 5 lines a port, 5,000 for a
    // range of 1,000 that one program holds.
    const held: Deno.TcpListener[] = [];
    let first = 0;
    for (let attempt = 0; attempt < 50 && held.length === 0; attempt++) {
      first = freePort();
      try {
        for (let port = first; port < first + 8; port++) {
          held.push(Deno.listen({ hostname: "127.0.0.1", port }));
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.AddrInUse)) throw error;
        for (const l of held.splice(0)) l.close();
      }
    }
    try {
      const spec = `tcp://127.0.0.1:${first}-${first + 9}=echo`;
      const ports = `${first}-${first + 7}`;
      const result = await runMuxd(["check", "-l", spec]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const blocks = result.stdout.split("\n\n").filter((b) => b.startsWith("error: in-use"));
      assert.equal(blocks.length, 1, result.stdout);
      const who = `process ${Deno.pid} (deno)`;
      assert.deepEqual(blocks[0].split("\n"), [
        `error: in-use, on 8 ports: ${ports}`,
        `  ${spec} (argument 2 after check)`,
        `  held by a listening socket tcp 127.0.0.1:${ports} of ${who}`,
        `  why (port ${first}, and alike for each): P${who.slice(1)} listens on tcp ` +
        `127.0.0.1:${first}, and a socket name can be held by only one socket at a time.`,
        `  fix (port ${first}, and alike for each): Stop ${who}, or choose another port.`,
      ]);
      assert.match(result.stdout, /\n\n8 errors, 0 warnings, 0 notes: muxd serve would fail\.\n$/);
    } finally {
      for (const l of held) l.close();
    }
  },
});

Deno.test("muxd check refuses a relay to an upstream outside loopback without --public, as serve does, and takes it with --public", async () => {
  const spec = "tcp://127.0.0.1:0=forward?to=198.51.100.1:80";
  const served = await runMuxd(["serve", "-l", spec]);
  assert.equal(served.code, 2, served.stderr);
  const checked = await runMuxd(["check", "-l", spec]);
  assert.equal(checked.code, 2, checked.stdout + checked.stderr);
  assert.doesNotMatch(checked.stdout, /would bind every listener/);
  assert.equal(
    checked.stderr.trim(),
    served.stderr.trim().replace("(argument 2 after serve)", "(argument 2 after check)"),
  );
  assert.match(checked.stderr, /^muxd: .*198\.51\.100\.1:80 is not a loopback address/);
  assertNoStackTrace(checked);
  const allowed = await runMuxd(["check", "--public", "-l", spec]);
  assert.notEqual(allowed.code, 2, allowed.stderr);
  assert.equal(allowed.stderr, "");
});
