/**
 * The load benchmark's quick mode, as part of `deno task test`: it runs
 * every measure for about a second against muxd alone (its echo, its
 * forward in front of an upstream echo server, its exec running `cat`), with
 * the Deno load generator, and every check must pass. Speed is not asserted:
 * this machine may be busy with other tests.
 *
 * The benchmark runs as its own process with `--allow-all`, as
 * `deno task bench:load` does: Deno lets a program read /proc (the server's
 * CPU time and memory) only with every permission.
 */

import assert from "node:assert/strict";
import type { LoadBenchResult } from "../../bench/load/run.ts";

const MAIN = new URL("../../bench/load/main.ts", import.meta.url).pathname;

Deno.test("bench:load --quick completes against muxd's echo, forward and exec with every check passing", async () => {
  const out = await new Deno.Command("deno", {
    args: ["run", "--allow-all", MAIN, "--quick", "--json"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const progress = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, progress);
  const result: LoadBenchResult = JSON.parse(new TextDecoder().decode(out.stdout));

  assert.deepEqual(
    result.peers.map((p) => [p.id, p.section, p.skipped]),
    [["muxd", "echo", null], ["fwd-muxd", "relay", null], ["exec-muxd", "exec", null]],
    progress,
  );
  assert.ok(result.upstream, "the relays ran without an upstream");
  const summary = (measure: string, peer = "muxd") => {
    const s = result.summaries.find((s) => s.measure === measure && s.peer === peer);
    assert.ok(s, `no ${measure} result for ${peer}\n${progress}`);
    assert.ok(s.value !== null && s.value > 0, `${measure} gave no figure\n${progress}`);
    return s;
  };
  const failed = result.checks.filter((c) => c.required && !c.ok);
  assert.deepEqual(failed, [], progress);

  for (const peer of ["muxd", "fwd-muxd"]) {
    // TCP: every byte sent came back and was verified; nothing lost.
    for (const id of ["tcp-1", "tcp-32"]) {
      assert.equal(summary(id, peer).extras.unanswered, 0, `${peer} ${id}`);
      assert.equal(summary(id, peer).extras.mismatches, 0, `${peer} ${id}`);
      assert.equal(summary(id, peer).extras.errors, 0, `${peer} ${id}`);
    }
    // UDP: every reply was exactly one request's bytes.
    for (const id of ["udp-1", "udp-16"]) {
      assert.equal(summary(id, peer).extras.bad, 0, `${peer} ${id}`);
    }
  }
  for (const peer of ["muxd", "fwd-muxd", "exec-muxd"]) {
    assert.equal(summary("conn-rate", peer).extras.errors, 0, peer);
  }
  summary("idle-mem");
  // Each section's measures, and no more: exec is measured by its connection rate alone.
  assert.deepEqual(
    result.summaries.filter((s) => s.peer === "exec-muxd").map((s) => s.measure),
    ["conn-rate"],
  );
  assert.ok(result.startup.length > 0);
  for (const s of result.startup) {
    assert.ok(
      s.skipped !== null || (s.checks.length > 0 && s.checks.every((c) => c.ok)),
      s.skipped ?? "",
    );
  }
});
