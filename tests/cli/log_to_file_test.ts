/**
 * End-to-end test of muxd's log when standard error is a regular file
 * (`deno task serve 2> muxd.log`): every line whole, in order, none lost.
 * That such a file is written in place, not through Deno's stream, is
 * tests/log/stderr_output_test.ts's to show: these lines read the same either way.
 */

import assert from "node:assert/strict";
import { MAIN, SERVE_PERMISSIONS, startMuxd } from "../_support/process.ts";

/** One short echo connection: a line there and back. */
async function echoOnce(port: number, n: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const line = new TextEncoder().encode(`line ${n}\n`);
    await conn.write(line);
    const buffer = new Uint8Array(64);
    let got = 0;
    while (got < line.length) {
      const read = await conn.read(buffer.subarray(got));
      if (read === null) break;
      got += read;
    }
    assert.deepEqual(buffer.subarray(0, got), line);
  } finally {
    conn.close();
  }
}

Deno.test("muxd serve --log-lines 0 with standard error in a regular file logs every connection's two lines, whole and in order, then bye", async () => {
  const log = await Deno.makeTempFile({ prefix: "muxd-log-", suffix: ".log" });
  try {
    {
      // `sh -c 'exec "$@" 2>"$0"' FILE deno run ...`: what `2> FILE` does in a shell.
      // 600 lines in well under a second: every one only with no budget of lines.
      const args = ["serve", "--log-lines", "0", "-l", "tcp://127.0.0.1:0=echo"];
      await using muxd = await startMuxd(args, {
        program: "sh",
        args: ["-c", 'exec "$@" 2>"$0"', log, "deno", "run", ...SERVE_PERMISSIONS, MAIN],
      });
      for (let n = 0; n < 300; n++) await echoOnce(muxd.port(0), n);
      const { code } = await muxd.stop("SIGINT");
      assert.equal(code, 0);
    }
    const lines = (await Deno.readTextFile(log)).split("\n");
    assert.equal(lines.pop(), "", "the log ends with a newline");
    const opened = lines.filter((line) =>
      / INF tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ -> echo$/.test(line)
    );
    const closed = lines.filter((line) =>
      / INF tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ closed after \d+ ms: (\d+) B in, \1 B out$/
        .test(line)
    );
    assert.equal(opened.length, 300, lines.slice(0, 10).join("\n"));
    assert.equal(closed.length, 300);
    // Each connection's opening line comes before its closing one.
    for (const line of opened) {
      const peer = line.match(/<- (\S+) /)![1];
      const open = lines.indexOf(line);
      const close = lines.findIndex((l) => l.includes(`<- ${peer} closed after`));
      assert.ok(open < close, `${peer}: opened at line ${open}, closed at ${close}`);
    }
    assert.match(lines.at(-1)!, / INF bye$/);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("muxd serve with standard error on /dev/full serves, echoes and stops with 0: the socket table it cannot print costs only the table", async () => {
  await using muxd = await startMuxd(["serve", "-l", "tcp://127.0.0.1:0=echo"], {
    program: "sh",
    args: ["-c", 'exec "$@" 2>/dev/full', "sh", "deno", "run", ...SERVE_PERMISSIONS, MAIN],
  });
  for (let n = 0; n < 20; n++) await echoOnce(muxd.port(0), n);
  const { code } = await muxd.stop("SIGINT");
  assert.equal(code, 0);
});
