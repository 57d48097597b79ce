import assert from "node:assert/strict";
import { cLoadClient } from "../../bench/load/c_client.ts";
import { pinProcess, pinTree } from "../../bench/load/run.ts";

/** Why `--pin` cannot be tried here, or `null` when it can. */
function cannotPin(): string | null {
  if (navigator.hardwareConcurrency < 2) return "one CPU: --pin needs two";
  try {
    new Deno.Command("taskset", { args: ["--version"], stdout: "null" }).outputSync();
    return null;
  } catch {
    return "no taskset on PATH (util-linux)";
  }
}

const why = cannotPin();
if (why !== null) console.log(`tests/bench/pin_test.ts ignored: ${why}`);

/** The cores each thread of a process may run on, as taskset says (`0`, `0,1`), by thread id. */
async function allowedCpus(pid: number): Promise<Map<number, string>> {
  const out = await new Deno.Command("taskset", { args: ["-a", "-c", "-p", `${pid}`] }).output();
  const text = new TextDecoder().decode(out.stdout);
  return new Map(
    [...text.matchAll(/pid (\d+)'s current affinity list: (\S+)/g)].map((
      m,
    ) => [Number(m[1]), m[2]]),
  );
}

Deno.test({
  name: "pinProcess() puts every thread of a running process on one core, and its later threads",
  ignore: why !== null,
  async fn() {
    // A Deno child with helper threads already running, which starts one more after the pin.
    const child = new Deno.Command("deno", {
      args: [
        "eval",
        "console.log('up'); await new Promise((r) => setTimeout(r, 300)); " +
        "new Worker('data:text/javascript,setTimeout(()=>{},3000)', { type: 'module' }); " +
        "await new Promise((r) => setTimeout(r, 3000));",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const reader = child.stdout.getReader();
      await reader.read();
      reader.releaseLock();
      const before = await allowedCpus(child.pid);
      assert.ok(before.size > 1, `a Deno process has helper threads (${before.size})`);
      assert.ok([...before.values()].some((cpus) => cpus !== "1"), "not on core 1 alone yet");
      await pinProcess(child.pid, 1);
      await new Promise((r) => setTimeout(r, 800));
      const after = await allowedCpus(child.pid);
      assert.ok(
        [...after.keys()].some((thread) => !before.has(thread)),
        "the worker started a thread after the pin",
      );
      for (const [thread, cpus] of after) assert.equal(cpus, "1", `thread ${thread}`);
    } finally {
      child.kill();
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
  },
});

Deno.test({
  name: "pinProcess() says which process it could not pin, and why",
  ignore: why !== null,
  async fn() {
    await assert.rejects(() => pinProcess(2 ** 22 + 1, 0), {
      name: "PinError",
      message: /could not pin pid 4194305 to CPU 0: no such process/,
    });
  },
});

Deno.test({
  name:
    "pinTree() pins a server and passes over a process it started that is gone already (muxd's sysctl), but not a server that is gone",
  ignore: why !== null,
  async fn() {
    const server = new Deno.Command("sh", { args: ["-c", "exec sleep 10"] }).spawn();
    // A child that ran and ended between the listing and its pin.
    const gone = new Deno.Command("sh", { args: ["-c", "exit 0"] }).spawn();
    await gone.status;
    try {
      await pinTree([server.pid], 1, () => [gone.pid]);
      assert.deepEqual([...(await allowedCpus(server.pid)).values()], ["1"]);
      await assert.rejects(() => pinTree([gone.pid], 1, () => []), {
        name: "PinError",
        message: new RegExp(`could not pin pid ${gone.pid}`),
      });
    } finally {
      server.kill();
      await server.status;
    }
  },
});

Deno.test({
  name: "the C load generator given a core runs there (taskset starts it)",
  ignore: why !== null,
  async fn() {
    // A loadgen that is `sh`: it reports the cores it may use, as loadgen reports JSON.
    const dir = await Deno.makeTempDir();
    try {
      const fake = `${dir}/loadgen`;
      await Deno.writeTextFile(
        fake,
        `#!/bin/sh\necho "{\\"conns\\": 1, \\"seconds\\": 1, \\"errors\\": 0, \\"cpu\\": $(awk '/Cpus_allowed_list/{print $2}' /proc/self/status)}"\n`,
      );
      await Deno.chmod(fake, 0o755);
      const report = await cLoadClient(fake, 1).connRate(
        { host: "127.0.0.1", tcpPort: 1, udpPort: null },
        1,
        1,
        0,
      );
      assert.equal(report.clientCpu, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
