/**
 * `deno task bench:control [--quick]`: 1,000 listeners (100 with --quick)
 * added and removed through the control API, with file descriptors and RSS
 * before and after; then the API's latency while echo runs at full load.
 *
 * @module
 */

import { runChurn } from "./churn.ts";
import { runLatency } from "./latency.ts";

const quick = Deno.args.includes("--quick");
const n = quick ? 100 : 1000;
const churn = await runChurn(n);
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
const pct = (a: number, b: number) => {
  const g = (b - a) / a * 100;
  return `${g >= 0 ? "+" : ""}${g.toFixed(1)} %`;
};
const heapGrowth = (churn.heapAfter - churn.heapBefore) / churn.heapBefore * 100;
const rssGrowth = (churn.rssAfter - churn.rssBefore) / churn.rssBefore * 100;
console.log(
  `churn: ${n} listeners added in ${churn.addMs.toFixed(0)} ms ` +
    `(${(churn.addMs / n).toFixed(2)} ms each), removed in ${churn.removeMs.toFixed(0)} ms; ` +
    `fds ${churn.fdsBefore} -> ${churn.fdsAfter}; RSS after GC ${mib(churn.rssBefore)} -> ` +
    `${mib(churn.rssAfter)} MiB (${pct(churn.rssBefore, churn.rssAfter)}); JS heap used after GC ` +
    `${mib(churn.heapBefore)} -> ${mib(churn.heapAfter)} MiB (${
      pct(churn.heapBefore, churn.heapAfter)
    })`,
);
if (rssGrowth > 5) {
  console.log(
    "RSS is not back within 5 % of its start: the JS heap is, so what stays is memory the " +
      "runtime's native allocator keeps after the sockets closed (see docs/control.md)",
  );
}
const latency = await runLatency(quick ? 3 : 10, 8);
console.log(
  `latency under echo load (8 connections, ${latency.echoRoundTrips} round trips of 16 KiB): ` +
    `${latency.calls} API calls, p50 ${latency.p50.toFixed(2)} ms, p99 ` +
    `${latency.p99.toFixed(2)} ms, max ${latency.max.toFixed(2)} ms (target p99 10 ms)`,
);
const ok = churn.fdsAfter === churn.fdsBefore && heapGrowth <= 5;
if (!ok) console.log("FAIL: a file descriptor leaked or the JS heap grew more than 5 %");
Deno.exit(ok ? 0 : 1);
