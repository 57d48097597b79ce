/**
 * What a SIGHUP's log line says when something other than the reload goes
 * wrong: a real muxd serves `--config FILE`, and the test makes the ready
 * file impossible to rewrite, or sends SIGHUP during the shutdown's grace
 * period.
 */

import assert from "node:assert/strict";
import { startMuxd } from "../_support/process.ts";

const config = (...listen: string[]) => JSON.stringify({ listen });

Deno.test("reloadOnHangup() says the reload took effect when only the ready file cannot be rewritten", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-outcomes-" });
  const path = `${dir}/muxd.jsonc`;
  const readyDir = `${dir}/ready`;
  try {
    await Deno.mkdir(readyDir);
    await Deno.writeTextFile(path, config("tcp://127.0.0.1:0=echo"));
    await using muxd = await startMuxd([
      "serve",
      "--config",
      path,
      "--ready-file",
      `${readyDir}/ready.json`,
    ]);
    // The harness cleaned up its folder: the record cannot be written again.
    await Deno.remove(readyDir, { recursive: true });
    await Deno.writeTextFile(path, config("tcp://127.0.0.1:0=echo", "tcp://127.0.0.1:0=discard"));
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: reloaded .*1 added/);
    await muxd.waitForStderr("could not be rewritten");
    const line = muxd.stderr().split("\n").find((l) => l.includes("could not be rewritten"))!;
    assert.doesNotMatch(muxd.stderr(), /reload failed/);
    assert.match(
      line,
      new RegExp(
        `WRN SIGHUP: the reload took effect, but the ready file ${readyDir}/ready\\.json could ` +
          `not be rewritten \\(its folder does not exist\\): there is no ready file at ` +
          `${readyDir}/ready\\.json now, so a program waiting for it takes muxd for not ready`,
      ),
    );
    // The reload is in force: the new listener's record is on stdout all the same.
    const finished = await muxd.stop("SIGTERM");
    const records = finished.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(records.at(-1).sockets.length, 2, finished.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reloadOnHangup() ignores a SIGHUP during the shutdown's grace period in one info line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-outcomes-" });
  const path = `${dir}/muxd.jsonc`;
  try {
    await Deno.writeTextFile(path, config("tcp://127.0.0.1:0=echo"));
    await using muxd = await startMuxd(["serve", "--config", path, "--grace", "3"]);
    // An open connection keeps the grace period going.
    using open = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
    await muxd.waitForStderr("-> echo");
    muxd.signal("SIGTERM");
    await muxd.waitForStderr("SIGTERM: stopped accepting");
    muxd.signal("SIGHUP");
    await muxd.waitForStderr("SIGHUP");
    open.close();
    const finished = await muxd.exited;
    assert.equal(finished.code, 0, finished.stderr);
    const said = finished.stderr.split("\n").filter((l) => l.includes("SIGHUP"));
    assert.deepEqual(
      said.map((l) => l.replace(/^\S+ /, "")),
      [
        "INF SIGHUP ignored: muxd is stopping (SIGTERM received), so there is nothing to reload",
      ],
      finished.stderr,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
