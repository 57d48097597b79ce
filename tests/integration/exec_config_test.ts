/**
 * exec from a config file: a listen entry written as an object gives `run`
 * as a real JSON array, each item one argument, commas and spaces kept.
 */

import assert from "node:assert/strict";
import {
  MAIN,
  permissionFlags,
  runMuxdExpectingFailure,
  startMuxd,
  task,
} from "../_support/process.ts";
import { nc } from "../_support/netcat.ts";

Deno.test("muxd serve --config runs an exec listener's run array, each item one argument", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-exec-config-" });
  try {
    const path = `${dir}/muxd.jsonc`;
    await Deno.writeTextFile(
      path,
      `{
  "listen": [
    {
      "listen": "tcp://127.0.0.1:0=exec",
      // no shell: each item is one argument, as it is written
      "run": ["python3", "-c", "import sys; print(sys.argv[1:])", "a, b", "c d", "$HOME"],
      "max-seconds": 5
    }
  ]
}`,
    );
    await using muxd = await startMuxd(["serve", "--config", path], {
      program: "deno",
      args: ["run", ...permissionFlags(task("serve:exec")), MAIN],
    });
    const { text } = await nc(["-d", "127.0.0.1", String(muxd.port(0))]);
    assert.equal(text, "['a, b', 'c d', '$HOME']\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve --config with a bad listen entry object exits 2 with one line naming file:line:column", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-exec-config-" });
  try {
    const path = `${dir}/muxd.jsonc`;
    await Deno.writeTextFile(
      path,
      `{\n  "listen": [\n    { "listen": "tcp://127.0.0.1:0=exec", "run": ["cat", 1] }\n  ]\n}\n`,
    );
    const { code, stderr } = await runMuxdExpectingFailure(["serve", "--config", path]);
    assert.equal(code, 2);
    assert.match(
      stderr,
      new RegExp(
        `^.*${path}:3:58: option "run" must be a string, a number, true or false, or an array of strings$`,
        "m",
      ),
    );
    assert.doesNotMatch(stderr, /\n\s+at /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
