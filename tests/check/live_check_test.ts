/**
 * checkLive() with the holder lookup replaced: what `check` reports, and the
 * exit code it gives, when the lookup is impossible, and which listeners it
 * looks up at all.
 */

import assert from "node:assert/strict";
import {
  checkLive,
  checkReport,
  formatCheckReport,
  type HostFacts,
  type LookUpHolders,
  predict,
} from "../../lib/check/mod.ts";
import { checkExitCode } from "../../lib/cli/mod.ts";
import type { HolderQuery } from "../../lib/holder/mod.ts";
import { buildPlan, type PlannedListener } from "../../lib/plan/mod.ts";

const FACTS: HostFacts = {
  os: "linux",
  bindV6Only: false,
  unprivilegedPortStart: 1024,
  canBindPrivileged: false,
  ephemeralPorts: { first: 32768, last: 60999 },
  addresses: ["127.0.0.1", "::1"],
  interfaces: [],
  assumed: [],
};

const NO_SS = "holder lookup needs the ss tool from iproute2 (apt-get install iproute2), " +
  "which Deno must be allowed to run (--allow-run=ss)";

/** A lookup that cannot look, as findHoldersOfEach() answers without ss; it records its queries. */
function failingLookUp(): { lookUp: LookUpHolders; asked: HolderQuery[][] } {
  const asked: HolderQuery[][] = [];
  const lookUp: LookUpHolders = (queries) => {
    asked.push([...queries]);
    return Promise.resolve(
      queries.map(() => ({ supported: false, reason: NO_SS, holders: [] })),
    );
  };
  return { lookUp, asked };
}

function listeners(...specs: string[]): readonly PlannedListener[] {
  const { plan, errors } = buildPlan(
    specs.map((text, i) => ({ text, source: { kind: "argument", index: 2 * i + 3 } })),
  );
  assert.deepEqual(errors, []);
  return plan.listeners;
}

/** The report `muxd check` would print, and its exit code. */
async function runCheck(ls: readonly PlannedListener[], lookUp: LookUpHolders) {
  const live = await checkLive(ls, FACTS, lookUp);
  const report = checkReport(ls, predict(ls, FACTS), FACTS, live);
  return { live, report, text: formatCheckReport(report), code: checkExitCode(report) };
}

Deno.test("checkLive() says it could not look, and why, when the lookup is impossible", async () => {
  const { lookUp } = failingLookUp();
  const live = await checkLive(listeners("tcp://127.0.0.1:7777=echo"), FACTS, lookUp);
  assert.deepEqual(live, { checked: false, reason: NO_SS });
});

Deno.test("muxd check's report claims no all-clear, and exits 3, when it could not look", async () => {
  const { lookUp } = failingLookUp();
  const { report, text, code } = await runCheck(listeners("tcp://127.0.0.1:7777=echo"), lookUp);
  assert.equal(report.ok, false);
  assert.deepEqual(report.live, { checked: false, reason: NO_SS });
  assert.doesNotMatch(text, /would bind every listener/);
  assert.match(
    text,
    /^ {2}not checked: the sockets that exist now .*: holder lookup needs the ss/m,
  );
  assert.match(text, /0 errors, 0 warnings, 0 notes: no rule fails, but muxd serve may still fail/);
  assert.equal(code, 3);
});

Deno.test("muxd check exits 1, not 3, when a rule fails and it could not look too", async () => {
  const { lookUp } = failingLookUp();
  const { text, code } = await runCheck(
    listeners("tcp://127.0.0.1:7777=echo", "tcp://127.0.0.1:7777=whoami"),
    lookUp,
  );
  assert.match(text, /muxd serve would fail\.$/);
  assert.equal(code, 1);
});

Deno.test("checkLive() looks up no socket name for port 0, and then claims the all-clear", async () => {
  const { lookUp, asked } = failingLookUp();
  const { live, text, code } = await runCheck(
    listeners("tcp://127.0.0.1:0=echo", "udp://[::1]:0=size"),
    lookUp,
  );
  assert.deepEqual(asked, []);
  assert.deepEqual(live, { checked: true, findings: [] });
  assert.match(text, /muxd serve would bind every listener\.$/);
  assert.equal(code, 0);
});

Deno.test("checkLive() asks about every address an interface or a port range expands to", async () => {
  const lo = (address: string, family: "IPv4" | "IPv6"): Deno.NetworkInterfaceInfo => ({
    name: "lo",
    family,
    address,
    netmask: family === "IPv4" ? "255.0.0.0" : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    scopeid: family === "IPv4" ? null : 0,
    cidr: family === "IPv4" ? `${address}/8` : `${address}/128`,
    mac: "00:00:00:00:00:00",
  });
  const { plan, errors } = buildPlan([
    { text: "tcp://127.0.0.1:7000-7001=echo", source: { kind: "argument", index: 3 } },
    { text: "udp://lo:1060=size", source: { kind: "argument", index: 5 } },
    { text: "udp://[::1]:0=size", source: { kind: "argument", index: 7 } },
  ], { interfaces: [lo("127.0.0.1", "IPv4"), lo("::1", "IPv6")] });
  assert.deepEqual(errors, []);
  const { lookUp, asked } = failingLookUp();
  await checkLive(plan.listeners, FACTS, lookUp);
  assert.deepEqual(asked, [[
    { transport: "tcp", address: "127.0.0.1", port: 7000 },
    { transport: "tcp", address: "127.0.0.1", port: 7001 },
    { transport: "udp", address: "127.0.0.1", port: 1060 },
    { transport: "udp", address: "::1", port: 1060 },
  ]]);
});

Deno.test("checkLive() reports the holders it found as in-use findings after the rules", async () => {
  const lookUp: LookUpHolders = (queries) =>
    Promise.resolve(queries.map((q) => ({
      supported: true,
      holders: q.port !== 7777 ? [] : [{
        transport: "tcp",
        local: { address: "0.0.0.0", port: 7777 },
        remote: null,
        state: "LISTEN",
        kind: "listening",
        uid: 1000,
        inode: 52133,
        process: { pid: 24024, name: "python3" },
      }],
    })));
  const { report, text, code } = await runCheck(
    listeners("tcp://127.0.0.1:7777=echo", "tcp://127.0.0.1:7778=echo"),
    lookUp,
  );
  assert.equal(code, 1);
  assert.deepEqual(report.findings.map((f) => [f.rule, f.severity, f.specs[0].spec]), [
    ["in-use", "error", "tcp://127.0.0.1:7777=echo"],
  ]);
  assert.deepEqual(report.findings[0].holders, [{
    transport: "tcp",
    local: "0.0.0.0:7777",
    remote: null,
    state: "LISTEN",
    kind: "listening",
    pid: 24024,
    program: "python3",
  }]);
  assert.match(
    text,
    /^error: in-use\n {2}tcp:\/\/127\.0\.0\.1:7777=echo \(argument 3\)\n {2}held by a listening socket tcp 0\.0\.0\.0:7777 of process 24024 \(python3\)\n {2}why: /m,
  );
});
