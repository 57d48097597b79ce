import assert from "node:assert/strict";
import { groupSignal, ProcessTable } from "../../lib/services/mod.ts";

/** Starts `sh -c 'sleep 30 & exec sleep 30'` as the leader of its own group. */
function groupOfTwo(): Deno.ChildProcess {
  return new Deno.Command("sh", {
    args: ["-c", "sleep 30 & exec sleep 30"],
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("groupSignal() through kill signals a whole group and tells an empty one, several groups in one run", async () => {
  const signal = groupSignal("kill-program")!;
  const child = groupOfTwo();
  const [got, empty] = await Promise.all([
    signal(child.pid, "SIGTERM"),
    // No group has this id: pids stop below 2^22 on Linux.
    signal(2 ** 22 + 1, "SIGTERM"),
  ]);
  assert.equal(got, true);
  assert.equal(empty, false);
  assert.equal((await child.status).signal, "SIGTERM");
});

Deno.test("groupSignal() is null where muxd may not signal a group", () => {
  assert.equal(groupSignal("none"), null);
});

Deno.test("ProcessTable.firstWithoutGroup() is true once, and only without a group signal", () => {
  const without = new ProcessTable("none");
  assert.equal(without.groupSignal, null);
  assert.deepEqual([without.firstWithoutGroup(), without.firstWithoutGroup()], [true, false]);
  const withKill = new ProcessTable("kill-program");
  assert.notEqual(withKill.groupSignal, null);
  assert.equal(withKill.firstWithoutGroup(), false);
});
