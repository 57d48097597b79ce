/**
 * `deno task bench:control [--quick]`: 1,000 listeners (100 with --quick)
 * added and removed through the control API, five rounds, with file
 * descriptors, RSS and the JS heap before, after the first round and after
 * the last; then the API's latency while echo runs at full load.
 *
 * @module
 */

import { type Memory, runChurn } from "./churn.ts";
import { runLatency } from "./latency.ts";

const quick = Deno.args.includes("--quick");
const n = quick ? 100 : 1000;
const rounds = 5;
const churn = await runChurn(n, rounds);
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
const growth = (a: number, b: number) => (b - a) / a * 100;
const pct = (a: number, b: number) => {
  const g = growth(a, b);
  return `${g >= 0 ? "+" : ""}${g.toFixed(1)} %`;
};
const { before, afterOne, afterAll } = churn;
const total = n * rounds;
const figures = (of: (m: Memory) => number) =>
  `${mib(of(before))} -> ${mib(of(afterOne))} MiB after ${n} (${pct(of(before), of(afterOne))}) ` +
  `-> ${mib(of(afterAll))} MiB after ${total} (${pct(of(afterOne), of(afterAll))} more)`;
console.log(
  `churn: ${n} listeners added in ${churn.addMs.toFixed(0)} ms ` +
    `(${(churn.addMs / n).toFixed(2)} ms each), removed in ${churn.removeMs.toFixed(0)} ms; ` +
    `then ${rounds - 1} more rounds; fds ${churn.fdsBefore} -> ${churn.fdsAfter}`,
);
console.log(
  `memory, from a baseline taken after a warm-up round of ${Math.max(10, Math.round(n / 10))} ` +
    `(compiled code, filled pools):`,
);
console.log(`  RSS after V8's last-resort GC: ${figures((m) => m.rss)}`);
if (before.rssTrimmed !== null) {
  console.log(
    `    then after malloc_trim(0):  ${
      figures((m) => m.rssTrimmed!)
    } (glibc's free memory given back)`,
  );
}
console.log(`    of it mapped from files:     ${figures((m) => m.rssFile)} (deno's code pages)`);
console.log(`  JS heap used after that GC:    ${figures((m) => m.heap)}`);
console.log(
  `  RSS after plain full GCs:      ${figures((m) => m.rssKept)} ` +
    `(includes the young generation and pooled pages V8 keeps while its memory reducer is off)`,
);
// A leak grows with every round; memory the runtime keeps for reuse grows
// once, in the first round, and not after.
const levels = (of: (m: Memory) => number) => growth(of(afterOne), of(afterAll)) <= 5;
// Where glibc can be asked, what malloc keeps free for reuse is left out.
const rss = (m: Memory) => m.rssTrimmed ?? m.rss;
const ok = churn.fdsAfter === churn.fdsBefore && levels(rss) && levels((m) => m.heap);
if (growth(rss(before), rss(afterOne)) > 5 && levels(rss)) {
  console.log(
    `RSS is not back within 5 % of the baseline after the first round, but the next ${
      rounds - 1
    } rounds add no more than 5 %: what stays is memory the runtime keeps for reuse, not a leak ` +
      "(see docs/BENCHMARKS.md, bench:control)",
  );
}
const latency = await runLatency(quick ? 3 : 10, 8);
console.log(
  `latency under echo load (8 connections, ${latency.echoRoundTrips} round trips of 16 KiB): ` +
    `${latency.calls} API calls, p50 ${latency.p50.toFixed(2)} ms, p99 ` +
    `${latency.p99.toFixed(2)} ms, max ${latency.max.toFixed(2)} ms (target p99 10 ms)`,
);
if (!ok) {
  console.log(
    `FAIL: a file descriptor leaked, or RSS or the JS heap grew more than 5 % between round 1 and ` +
      `round ${rounds}`,
  );
}
Deno.exit(ok ? 0 : 1);
