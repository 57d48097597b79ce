/**
 * muxd serve under a CI runner that reads standard output and error only
 * once muxd has exited: pipes that fill (64 KiB) and are never read must not
 * stop muxd from getting ready, serving, or exiting at SIGTERM.
 */
import assert from "node:assert/strict";
import { MAIN, SERVE_PERMISSIONS } from "../_support/process.ts";
import { waitUntil, withTimeout } from "../_support/wait.ts";

/** Echoes one byte on a TCP port; returns the reply. */
async function echo(port: number): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("x"));
  await conn.closeWrite();
  const buffer = new Uint8Array(16);
  const n = await conn.read(buffer);
  return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
}

// 1,000 sockets on ports the OS picks: the socket table (text, on stderr) and the ready record
// (on stdout) are each larger than a pipe holds.
for (const format of ["text", "json"]) {
  Deno.test(`muxd serve --log-format ${format} with stdout and stderr pipes nobody reads: 1,000 sockets get ready, echo, and exit 0 within 6 s of SIGTERM`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "muxd-pipes-" });
    const readyFile = `${dir}/ready.json`;
    const child = new Deno.Command("deno", {
      args: [
        "run",
        ...SERVE_PERMISSIONS,
        MAIN,
        "serve",
        ...Array.from({ length: 1000 }, () => ["-l", "tcp://127.0.0.1:0=echo"]).flat(),
        "--log-format",
        format,
        "--ready-file",
        readyFile,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    let exited = false;
    let out = "";
    let err = "";
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    try {
      await waitUntil(
        async () => {
          if (exited) throw new Error("muxd exited before it was ready");
          return await Deno.stat(readyFile).then(() => true, () => false);
        },
        15_000,
        "the ready file",
      );
      const { sockets } = JSON.parse(await Deno.readTextFile(readyFile));
      const last = sockets.at(-1).port;
      assert.equal(await withTimeout(echo(last), 3000, "an echo on the last port"), "x");
      child.kill("SIGTERM");
      const { code } = await withTimeout(status, 6000, "muxd's exit, its pipes still unread");
      assert.equal(code, 0);
    } finally {
      if (!exited) child.kill("SIGKILL");
      await status;
      // Read only now, as the runner does.
      [out, err] = await Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      await Deno.remove(dir, { recursive: true });
    }
    assert.ok(out.startsWith('{"ready":true'), `stdout starts: ${out.slice(0, 80)}`);
    assert.ok(
      format === "text" ? /is serving 1,?000 sockets/.test(err) : err.includes('"bye"'),
      `stderr: ${err.slice(0, 200)}`,
    );
  });
}
