/**
 * `check` and the open-files limit: each listener is one file descriptor,
 * so past `ulimit -n` a bind fails with EMFILE whatever its address. `check`
 * once said "would bind every listener" for a port range that serve, under
 * the same limit, could not bind; its prediction is held to serve's own
 * failure here, under `prlimit`.
 */

import assert from "node:assert/strict";
import { buildPlan } from "../../lib/plan/plan.ts";
import {
  FILES_BEFORE_BINDING,
  FILES_BEFORE_BINDING_AT_MOST,
  openFilesFindings,
} from "../../lib/check/open_files_rule.ts";
import { prlimitProblem } from "../_support/host.ts";
import { runMuxd, runMuxdExpectingFailure, underOpenFilesLimit } from "../_support/process.ts";

const noPrlimit = prlimitProblem();
if (noPrlimit !== null) console.log(`open_files_check_test.ts: kernel tests ignored: ${noPrlimit}`);

/** `-l SPEC` for `n` echo listeners on ports the OS picks. */
function echoListeners(n: number): string[] {
  return Array.from({ length: n }, () => ["-l", "tcp://127.0.0.1:0=echo"]).flat();
}

function planOf(n: number) {
  const text = `tcp://127.0.0.1:20000-${20000 + n - 1}=echo`;
  return buildPlan([{ text, source: { kind: "argument", index: 2 } }]).plan.listeners;
}

Deno.test("openFilesFindings: nothing while every listener surely has a file, or the limit is unknown", () => {
  const limit = 256;
  assert.deepEqual(openFilesFindings(planOf(limit - FILES_BEFORE_BINDING_AT_MOST), limit), []);
  assert.deepEqual(openFilesFindings(planOf(1000), null), []);
});

Deno.test("openFilesFindings: a warning where the last listeners may not have a file, naming the first that may fail", () => {
  const limit = 256;
  const n = limit - FILES_BEFORE_BINDING_AT_MOST + 2;
  const [finding, ...rest] = openFilesFindings(planOf(n), limit);
  assert.equal(rest.length, 0);
  assert.equal(finding.rule, "open-files");
  assert.equal(finding.severity, "warning");
  assert.equal(finding.listeners[0].port, 20000 + limit - FILES_BEFORE_BINDING_AT_MOST);
  assert.match(finding.explanation, /the last up to 2 listeners, from about this one on, may fail/);
  assert.match(finding.fix, /ulimit -n \d+/);
});

Deno.test("openFilesFindings: an error once some listeners surely cannot have a file", () => {
  const limit = 256;
  const n = limit - FILES_BEFORE_BINDING + 1;
  const [finding] = openFilesFindings(planOf(n), limit);
  assert.equal(finding.severity, "error");
  assert.match(finding.explanation, /these 241 listeners need 241, .* limit, ulimit -n\)/);
  assert.match(
    finding.explanation,
    /the last 1 to 17 listeners, from about this one on, would fail/,
  );
});

Deno.test({
  name:
    "muxd check under prlimit --nofile=256 says 300 listeners would fail with EMFILE, and serve under the same limit fails as many as it said",
  ignore: noPrlimit !== null,
}, async () => {
  const listeners = echoListeners(300);
  const checked = await runMuxd(["check", ...listeners], underOpenFilesLimit(256));
  assert.equal(checked.code, 1, checked.stdout + checked.stderr);
  assert.match(checked.stdout, /, open files 256\)\n/);
  const said = checked.stdout.match(
    /error: open-files\n.*\n {2}why: .*the last (\d+) to (\d+) listeners, from about this one on, would fail with "too many open files" \(EMFILE\)\.\n {2}fix: Raise the limit/,
  );
  assert.ok(said, checked.stdout);
  assert.match(checked.stdout, /1 error, 0 warnings, 0 notes: muxd serve would fail\./);

  const served = await runMuxdExpectingFailure(["serve", ...listeners], underOpenFilesLimit(256));
  const failed = served.stderr.match(/nothing is being served: (\d+) of 300 listeners could not/);
  assert.ok(failed, served.stderr);
  const [low, high] = [Number(said[1]), Number(said[2])];
  const n = Number(failed[1]);
  assert.ok(low <= n && n <= high, `serve failed ${n} listeners; check said ${low} to ${high}`);
});

Deno.test({
  name:
    "muxd check under prlimit --nofile=256 finds no open-files problem for 10 listeners, and names the limit",
  ignore: noPrlimit !== null,
}, async () => {
  const checked = await runMuxd(
    ["check", "--format", "json", ...echoListeners(10)],
    underOpenFilesLimit(256),
  );
  const report = JSON.parse(checked.stdout);
  assert.equal(report.host.openFiles, 256);
  assert.deepEqual(report.findings.filter((f: { rule: string }) => f.rule === "open-files"), []);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
});
