import assert from "node:assert/strict";
import {
  findProgram,
  findSetsid,
  groupSignal,
  ProcessTable,
  programFile,
  programLaunch,
} from "../../lib/services/mod.ts";

/** Starts `sh -c 'sleep 30 & exec sleep 30'` through setsid, as the leader of its own group. */
function groupOfTwo(): Deno.ChildProcess {
  return new Deno.Command("setsid", {
    args: ["/bin/sh", "-c", "sleep 30 & exec sleep 30"],
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

Deno.test("programLaunch() starts through setsid and signals the group when muxd may do both", () => {
  const launch = programLaunch({ file: "/usr/bin/setsid" }, "kill-program");
  assert.equal(launch.setsid, "/usr/bin/setsid");
  assert.notEqual(launch.groupSignal, null);
  assert.equal(launch.warning, null);
});

Deno.test("programLaunch() without setsid starts programs directly, signals no group, and names the fix", () => {
  const cases = [
    [{ missing: "no-right" }, "kill-program", /add setsid to --allow-run/],
    [{ missing: "no-right" }, "none", /add setsid and kill to --allow-run/],
    [{ missing: "no-path" }, "kill-program", /add PATH to --allow-env/],
    [{ missing: "not-found" }, "deno-kill", /setsid \(util-linux\) is not on muxd's PATH/],
  ] as const;
  for (const [setsid, method, fix] of cases) {
    const launch = programLaunch(setsid, method);
    assert.equal(launch.setsid, null);
    assert.equal(launch.groupSignal, null);
    assert.match(launch.warning!, /ends the program alone/);
    assert.match(launch.warning!, fix);
  }
});

Deno.test("programLaunch() with setsid but no right to signal a group says to add kill", () => {
  const launch = programLaunch({ file: "/usr/bin/setsid" }, "none");
  assert.equal(launch.groupSignal, null);
  assert.match(launch.warning!, /add kill to --allow-run/);
});

Deno.test("ProcessTable.firstWarning() gives the launch's warning once, and none without one", () => {
  const without = new ProcessTable(programLaunch({ file: "/usr/bin/setsid" }, "none"));
  assert.equal(without.launch.groupSignal, null);
  const first = without.firstWarning();
  assert.match(first!, /add kill/);
  assert.equal(without.firstWarning(), null);
  const withKill = new ProcessTable(programLaunch({ file: "/usr/bin/setsid" }, "kill-program"));
  assert.notEqual(withKill.launch.groupSignal, null);
  assert.equal(withKill.firstWarning(), null);
});

Deno.test("findSetsid() finds setsid on PATH where muxd may run it", () => {
  // The test task reads the environment and runs programs by list: setsid is on it.
  assert.deepEqual(findSetsid(), { file: findProgram("setsid", Deno.env.get("PATH")!, "/") });
});

Deno.test("findProgram() finds nothing, and throws nothing, for a name too long for a file or a loop of links", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-find-program-" });
  try {
    await Deno.symlink(`${dir}/loop`, `${dir}/loop`);
    // Longer than a file name may be (NAME_MAX, 255 bytes): stat() says ENAMETOOLONG.
    assert.equal(findProgram("a".repeat(300), `${dir}:/bin`, "/"), null);
    assert.equal(findProgram(`${dir}/${"a".repeat(300)}`, "/bin", "/"), null);
    // Longer than a path may be (PATH_MAX, 4,096 bytes).
    assert.equal(findProgram(`${dir}/${"a/".repeat(3000)}x`, "/bin", "/"), null);
    // ELOOP.
    assert.equal(findProgram("loop", dir, "/"), null);
    assert.equal(findProgram(`${dir}/loop`, "/bin", "/"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exec's run= names a file that is not a program: the error says why, in words", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-find-program-" });
  try {
    await Deno.writeTextFile(`${dir}/script.py`, "print('hi')\n", { mode: 0o644 });
    const error = (run: string) => {
      try {
        programFile(run);
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.equal(
      error(`${dir}/script.py`),
      `cannot run program "${dir}/script.py": it is not executable (mode 644): chmod +x it, ` +
        `or name its interpreter first (run=python3,${dir}/script.py)`,
    );
    assert.equal(error(dir), `cannot run program "${dir}": it is a directory`);
    assert.equal(error(`${dir}/gone`), `cannot run program "${dir}/gone": there is no such file`);
    // A shell's habit: program and argument in one name.
    assert.equal(
      error("python3 server.py"),
      `cannot find program "python3 server.py" on muxd's PATH (${Deno.env.get("PATH")}); run ` +
        `takes the program and each argument apart: run=python3,server.py in a spec, ` +
        `"run": ["python3", "server.py"] in a config file`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("findProgram() takes a name with a slash as a path and looks any other name up on the search path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-find-program-" });
  try {
    await Deno.writeTextFile(`${dir}/runs`, "#!/bin/sh\n", { mode: 0o755 });
    await Deno.writeTextFile(`${dir}/plain`, "not a program\n", { mode: 0o644 });
    await Deno.mkdir(`${dir}/sub/runs`, { recursive: true });
    // The first directory's entry is a directory, not a file: the search goes on.
    assert.equal(findProgram("runs", `${dir}/sub:${dir}`, "/"), `${dir}/runs`);
    assert.equal(findProgram("plain", dir, "/"), null);
    assert.equal(findProgram("runs", "", dir), `${dir}/runs`);
    assert.equal(findProgram("./runs", "/bin", dir), `${dir}/./runs`);
    assert.equal(findProgram(`${dir}/plain`, "/bin", "/"), null);
    assert.equal(findProgram("runs/x", "/bin", dir), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
