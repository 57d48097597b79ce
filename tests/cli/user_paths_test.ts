/**
 * Paths are the user's: `deno task muxd` run from another folder resolves
 * relative paths on its command line against that folder, not against the
 * project's folder where `deno task` runs muxd.
 */

import assert from "node:assert/strict";
import { runMuxd, startMuxd } from "../_support/process.ts";
import type { MuxdLauncher } from "../_support/process.ts";

/** The project's deno.json. */
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;

/** `deno task muxd`, typed in `folder`. */
function taskIn(folder: string): MuxdLauncher {
  return { program: "deno", args: ["task", "-q", "--config", DENO_JSON, "muxd"], cwd: folder };
}

Deno.test("deno task muxd check --config FILE reads FILE from the folder the user ran it in", async () => {
  const folder = await Deno.makeTempDir({ prefix: "muxd-user-paths-" });
  try {
    await Deno.writeTextFile(`${folder}/sub.jsonc`, '{ "listen": ["tcp://127.0.0.1:0=echo"] }\n');
    const result = await runMuxd(["check", "--config", "sub.jsonc"], taskIn(folder));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^muxd check: 1 listener on /);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("deno task muxd serve --ready-file FILE writes FILE in the folder the user ran it in", async () => {
  const folder = await Deno.makeTempDir({ prefix: "muxd-user-paths-" });
  const name = `muxd-user-paths-${crypto.randomUUID()}.json`;
  const project = new URL(`../../${name}`, import.meta.url).pathname;
  try {
    const muxd = await startMuxd(
      ["serve", "-l", "tcp://127.0.0.1:0=echo", "--ready-file", name],
      taskIn(folder),
    );
    // SIGTERM, which deno task passes on to muxd (SIGKILL would reach deno task alone).
    try {
      const written = JSON.parse(await Deno.readTextFile(`${folder}/${name}`));
      assert.equal(written.pid, muxd.ready.pid);
      await assert.rejects(Deno.stat(project), Deno.errors.NotFound, "nothing in the project");
    } finally {
      const { code } = await muxd.stop("SIGTERM");
      assert.equal(code, 0);
    }
  } finally {
    await Deno.remove(project).catch(() => {});
    await Deno.remove(folder, { recursive: true });
  }
});
