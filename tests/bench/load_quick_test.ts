/**
 * The load benchmark's quick mode, as part of `deno task test`: it runs
 * every measure for about a second against muxd alone, with the Deno load
 * generator (no C compiler needed), and every check must pass. Speed is
 * not asserted: this machine may be busy with other tests.
 *
 * The benchmark runs as its own process with `--allow-all`, as
 * `deno task bench:load` does: Deno lets a program read /proc (the server's
 * CPU time and memory) only with every permission.
 */

import assert from "node:assert/strict";
import type { LoadBenchResult } from "../../bench/load/run.ts";

const MAIN = new URL("../../bench/load/main.ts", import.meta.url).pathname;

Deno.test("bench:load --quick completes against muxd with every check passing", async () => {
  const out = await new Deno.Command("deno", {
    args: ["run", "--allow-all", MAIN, "--quick", "--json"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const progress = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, progress);
  const result: LoadBenchResult = JSON.parse(new TextDecoder().decode(out.stdout));

  assert.deepEqual(result.peers.map((p) => [p.id, p.skipped]), [["muxd", null]], progress);
  const summary = (measure: string) => {
    const s = result.summaries.find((s) => s.measure === measure && s.peer === "muxd");
    assert.ok(s, `no ${measure} result\n${progress}`);
    assert.ok(s.value !== null && s.value > 0, `${measure} gave no figure\n${progress}`);
    return s;
  };
  const failed = result.checks.filter((c) => c.required && !c.ok);
  assert.deepEqual(failed, [], progress);

  // TCP: every byte sent came back and was verified; nothing lost.
  for (const id of ["tcp-1", "tcp-32"]) {
    assert.equal(summary(id).extras.unanswered, 0, id);
    assert.equal(summary(id).extras.mismatches, 0, id);
    assert.equal(summary(id).extras.errors, 0, id);
  }
  assert.equal(summary("conn-rate").extras.errors, 0);
  // UDP: every reply was exactly one request's bytes.
  for (const id of ["udp-1", "udp-16"]) assert.equal(summary(id).extras.bad, 0, id);
  summary("idle-mem");
  assert.ok(result.startup.length > 0);
  for (const s of result.startup) {
    assert.ok(
      s.skipped !== null || (s.checks.length > 0 && s.checks.every((c) => c.ok)),
      s.skipped ?? "",
    );
  }
});
