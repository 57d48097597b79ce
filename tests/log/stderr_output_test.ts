/**
 * Tests of stderrOutput() in a process of its own, run with the serve
 * task's permissions (as `deno task serve` runs muxd) and its standard
 * error redirected as a shell does it.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { SERVE_PERMISSIONS } from "../_support/process.ts";

const KIND = fileURLToPath(new URL("../_support/stderr_output_kind.ts", import.meta.url));

/** Runs the probe under `sh -c`, its standard error sent to `redirect`; returns what it printed. */
async function kindWith(redirect: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("sh", {
    args: ["-c", `exec "$@" ${redirect}`, "sh", "deno", "run", ...SERVE_PERMISSIONS, KIND],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, text.decode(stderr));
  return text.decode(stdout).trim();
}

Deno.test("stderrOutput() writes a regular file in place under the serve task's permissions (2> FILE, 2>> FILE)", async () => {
  const log = await Deno.makeTempFile({ prefix: "muxd-stderr-", suffix: ".log" });
  try {
    assert.equal(await kindWith(`2>'${log}'`), "in place");
    assert.equal(await kindWith(`2>>'${log}'`), "in place");
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("stderrOutput() writes a pipe, /dev/null or a closed standard error through the stream", async () => {
  assert.equal(await kindWith(""), "stream"); // the test's pipe
  assert.equal(await kindWith("2>/dev/null"), "stream");
  assert.equal(await kindWith("2>&-"), "stream");
});
