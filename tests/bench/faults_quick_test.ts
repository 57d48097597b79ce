/**
 * The fault precision benchmark's quick mode, as part of `deno task test`:
 * 100 connections with latency, two rates each way, 1,000 datagrams per
 * datagram fault, against muxd started as users run it. The timing targets
 * are not asserted here (this machine may be busy with other tests), only
 * bounds loose enough for a busy machine that still fail when the fault is
 * absent; the datagram rates, which a seed fixes, are held to their
 * binomial bounds.
 *
 * The benchmark runs as its own process with `--allow-all`, as
 * `deno task bench:faults` does.
 */

import assert from "node:assert/strict";
import type { PrecisionResult } from "../../bench/faults/precision.ts";

const MAIN = new URL("../../bench/faults/precision.ts", import.meta.url).pathname;

Deno.test("bench:faults --quick measures latency, bandwidth and datagram faults, each the fault it claims", async () => {
  const out = await new Deno.Command("deno", {
    args: ["run", "--allow-all", MAIN, "--quick", "--json"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const progress = new TextDecoder().decode(out.stderr);
  // 0: every target met; 1: a timing target missed on a busy machine.
  assert.ok(out.code === 0 || out.code === 1, `exit ${out.code}\n${progress}`);
  const result: PrecisionResult = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(result.ok, out.code === 0);
  assert.equal(result.quick, true);

  const l = result.latency;
  assert.equal(l.errors, 0, progress);
  assert.equal(l.messages, 300, progress);
  // The fault adds about 50 ms to the median round trip.
  const added = l.faultP50 - l.baseP50;
  assert.ok(added >= 45 && added <= 150, `latency-out=50 added ${added} ms`);

  assert.deepEqual(
    result.bandwidth.map((b) => [b.way, b.rate]),
    [["out", 100_000], ["in", 100_000], ["out", 10_000_000], ["in", 10_000_000]],
  );
  for (const b of result.bandwidth) {
    assert.ok(
      Math.abs(b.errorPercent) <= 50,
      `bandwidth-${b.way}=${b.rate}: ${b.measured} B/s`,
    );
  }

  assert.deepEqual(
    result.datagrams.map((d) => [d.fault, d.p, d.sent]),
    [
      ["drop", 0.1, 1000],
      ["drop", 0.5, 1000],
      ["duplicate", 0.1, 1000],
      ["duplicate", 0.5, 1000],
      ["reorder", 0.1, 1000],
      ["reorder", 0.5, 1000],
    ],
  );
  for (const d of result.datagrams) {
    assert.ok(d.ok, `${d.fault}=${d.p}: ${d.observed} (±${d.bound})\n${progress}`);
  }
});
