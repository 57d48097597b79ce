/**
 * SIGHUP applies the settings that can change live and names each one that
 * needs a restart. A real muxd serves `--config FILE`; the file is rewritten
 * with a new grace period, a new connection cap and a new log format, then
 * muxd gets SIGHUP. The cap holds at once (a second connection is refused),
 * the grace period is the new one at shutdown, and the log format change is
 * named as waiting for a restart.
 */

import assert from "node:assert/strict";
import { startMuxd } from "../_support/process.ts";
import { echoRoundTrip, firstRead } from "../_support/socket.ts";

const config = (settings: Record<string, unknown>) =>
  JSON.stringify({ listen: ["tcp://127.0.0.1:0=echo"], ...settings }, null, 2);

Deno.test("muxd serve applies grace and maxConnections on SIGHUP and names logFormat as needing a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-settings-" });
  const path = `${dir}/muxd.jsonc`;
  try {
    await Deno.writeTextFile(path, config({ grace: 30, maxConnections: 100, logFormat: "text" }));
    await using muxd = await startMuxd(["serve", "--config", path]);
    const port = muxd.port(0);
    using first = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.ok(await echoRoundTrip(first, new TextEncoder().encode("one\n")));

    await Deno.writeTextFile(path, config({ grace: 0.25, maxConnections: 1, logFormat: "json" }));
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: reloaded .*: 1 listener\(s\) kept/);
    await muxd.waitForStderr('SIGHUP: "logFormat" changed to "json"');
    const lines = muxd.stderr().split("\n");
    const said = (text: string) => lines.some((line) => line.includes(text));
    assert.ok(said('SIGHUP: "grace" is now 0.25 (was 30)'), muxd.stderr());
    assert.ok(said('SIGHUP: "maxConnections" is now 1 (was 100)'), muxd.stderr());
    assert.ok(
      said(
        'SIGHUP: "logFormat" changed to "json", which takes effect when muxd restarts; ' +
          'it keeps "text" until then',
      ),
      muxd.stderr(),
    );

    // The new cap holds at once: with one connection open, the next is refused.
    using second = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.equal(await firstRead(second), "eof", "a second connection over maxConnections 1");
    await muxd.waitForStderr(/refused/);
    assert.ok(await echoRoundTrip(first, new TextEncoder().encode("still\n")), "the open one");

    // The new grace period: the open connection may finish for 0.25 s, not 30.
    const finished = await muxd.stop("SIGTERM");
    assert.equal(finished.code, 0, finished.stderr);
    assert.match(finished.stderr, /open connections may finish for 0\.25 s/);
    assert.match(finished.stderr, /closed 1 connection\(s\) still open; bye/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve keeps a setting given on the command line when a SIGHUP changes it in the config file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-settings-" });
  const path = `${dir}/muxd.jsonc`;
  try {
    await Deno.writeTextFile(path, config({ grace: 30 }));
    await using muxd = await startMuxd(["serve", "--config", path, "--grace", "0.5"]);
    await Deno.writeTextFile(path, config({ grace: 20 }));
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: reloaded /);
    assert.doesNotMatch(
      muxd.stderr(),
      /"grace"/,
      "the command line's grace wins, so nothing changed",
    );
    const finished = await muxd.stop("SIGTERM");
    assert.match(finished.stderr, /open connections may finish for 0\.5 s/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve survives a SIGHUP sent as soon as its ready record is out", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-settings-" });
  const path = `${dir}/muxd.jsonc`;
  try {
    await Deno.writeTextFile(path, config({}));
    // Three runs: a SIGHUP that lands before muxd listens for it ends the process.
    for (let run = 1; run <= 3; run++) {
      await using muxd = await startMuxd(["serve", "--config", path]);
      muxd.signal("SIGHUP");
      await muxd.waitForStderr(/SIGHUP: reloaded /);
      const finished = await muxd.stop("SIGTERM");
      assert.equal(finished.code, 0, `run ${run}: ${finished.stderr}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve names each listener a SIGHUP closed and added, with its socket name and service", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-settings-" });
  const path = `${dir}/muxd.jsonc`;
  const listen = (specs: string[]) => JSON.stringify({ listen: specs });
  try {
    await Deno.writeTextFile(path, listen(["tcp://127.0.0.1:0=echo", "udp://127.0.0.1:0=whoami"]));
    await using muxd = await startMuxd(["serve", "--config", path]);
    const udpPort = muxd.port(1);
    await Deno.writeTextFile(path, listen(["tcp://127.0.0.1:0=echo", "tcp://[::1]:0=discard"]));
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: reloaded /);
    const line = muxd.stderr().split("\n").find((l) => l.includes("SIGHUP: reloaded "));
    assert.match(
      line!,
      new RegExp(
        `: 1 listener\\(s\\) kept with their connections, 1 closed \\(udp 127\\.0\\.0\\.1:${udpPort} ` +
          `whoami\\), 1 added \\(tcp \\[::1\\]:\\d+ discard\\)$`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
