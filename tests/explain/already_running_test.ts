/**
 * findSoleHolder() and alreadyRunningLine(): one line when one muxd holds
 * every listener; nothing to say (per-listener explanations stay) otherwise.
 */

import assert from "node:assert/strict";
import { alreadyRunningLine, findSoleHolder } from "../../lib/explain/already_running.ts";
import { BindError } from "../../lib/bind/bind_error.ts";
import type { Holder, HolderReport } from "../../lib/holder/mod.ts";
import { buildPlan } from "../../lib/plan/mod.ts";

const SPECS = [
  "tcp://127.0.0.1:7007=echo",
  "tcp://127.0.0.2:7007=whoami",
  "udp://127.0.0.1:1060=size",
  "tcp://127.0.0.1:7100-7101=discard",
];

function failures(cause: Error = new Deno.errors.AddrInUse("in use")): BindError[] {
  const { plan } = buildPlan(SPECS.map((text, i) => ({
    text,
    source: { kind: "argument", index: 2 * i + 3 },
  })));
  return plan.listeners.map((l) => new BindError(l, cause, "address already in use"));
}

function heldBy(...pids: (number | null)[]): HolderReport {
  return {
    supported: true,
    holders: pids.map((pid): Holder => ({
      transport: "tcp",
      local: { address: "127.0.0.1", port: 7007 },
      remote: null,
      state: "LISTEN",
      kind: "listening",
      uid: 1000,
      inode: 1,
      process: pid === null ? null : { pid, name: "deno" },
    })),
  };
}

const muxdLine = () => Promise.resolve("deno run --allow-net main.ts serve");

Deno.test("findSoleHolder() names the one muxd that holds every listener", async () => {
  const all = failures();
  const sole = await findSoleHolder(all, {
    holders: (q) => Promise.resolve(q.map(() => heldBy(42))),
    commandLine: muxdLine,
  });
  assert.deepEqual(sole, { pid: 42, name: "deno", muxd: true });
});

Deno.test("findSoleHolder() looks past TIME-WAIT connections, which no process owns, on the ports it holds", async () => {
  const all = failures();
  const withTimeWait = (): HolderReport => {
    const held = heldBy(42);
    const timeWait: Holder = {
      ...held.holders[0],
      remote: { address: "127.0.0.1", port: 46664 },
      state: "TIME-WAIT",
      kind: "time-wait",
      uid: 0,
      inode: 0,
      process: null,
    };
    return { supported: true, holders: [...held.holders, timeWait] };
  };
  const sole = await findSoleHolder(all, {
    holders: (q) => Promise.resolve(q.map(withTimeWait)),
    commandLine: muxdLine,
  });
  assert.deepEqual(sole, { pid: 42, name: "deno", muxd: true });
});

Deno.test("findSoleHolder() finds none when two processes hold them, one is unknown, or one is free", async () => {
  const all = failures();
  const cases: ((i: number) => HolderReport)[] = [
    (i) => heldBy(i === 0 ? 41 : 42),
    (i) => heldBy(i === 1 ? null : 42),
    (i) => i === 2 ? heldBy() : heldBy(42),
  ];
  for (const report of cases) {
    const sole = await findSoleHolder(all, {
      holders: (q) => Promise.resolve(q.map((_, i) => report(i))),
      commandLine: muxdLine,
    });
    assert.equal(sole, null);
  }
});

Deno.test("findSoleHolder() finds none for failures other than an address in use", async () => {
  const sole = await findSoleHolder(failures(new Deno.errors.PermissionDenied("no")), {
    holders: () => assert.fail("no lookup"),
    commandLine: muxdLine,
  });
  assert.equal(sole, null);
});

Deno.test("findSoleHolder() tells another program from muxd by its command line", async () => {
  const sole = await findSoleHolder(failures(), {
    holders: (q) => Promise.resolve(q.map(() => heldBy(42))),
    commandLine: () => Promise.resolve("deno run server.ts"),
  });
  assert.deepEqual(sole, { pid: 42, name: "deno", muxd: false });
});

Deno.test("alreadyRunningLine() ends with a command to paste: three specs of the second set on port 0, quoted for the shell", () => {
  const line = alreadyRunningLine({ pid: 42, name: "deno", muxd: true }, failures(), "muxd serve");
  assert.equal(
    line,
    "muxd is already running as process 42 and holds all 5 listeners asked for: stop it with " +
      "`kill 42`, or serve a second set on ports the OS picks (the first 3 of 4): muxd serve " +
      "-l 'tcp://127.0.0.1:0=echo' -l 'tcp://127.0.0.2:0=whoami' -l 'udp://127.0.0.1:0=size'",
  );
});

Deno.test("alreadyRunningLine()'s command runs in sh as it is printed, [::1], ? and & included", async () => {
  const { plan } = buildPlan([
    { text: "tcp://[::1]:7007=echo?latency=10&seed=1", source: { kind: "argument", index: 2 } },
  ]);
  const line = alreadyRunningLine(
    { pid: 42, name: "deno", muxd: true },
    plan.listeners.map((l) => new BindError(l, new Deno.errors.AddrInUse("in use"), "in use")),
    "printf '%s\\n'",
  );
  const command = line.slice(line.lastIndexOf(": ") + 2);
  const out = await new Deno.Command("sh", { args: ["-c", command], stdout: "piped" }).output();
  assert.equal(new TextDecoder().decode(out.stdout), "-l\ntcp://[::1]:0=echo?latency=10&seed=1\n");
});
