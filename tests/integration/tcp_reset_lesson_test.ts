/**
 * The TCP lesson of docs/faults.md: docs/examples/slow_reader.py, run with
 * the system's python3, reads a whole mebibyte and then the end of stream
 * from a listener that closes after it, and loses most of it to the reset of
 * a listener that resets after it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { serveDebug, startMuxd } from "../_support/process.ts";
import { eventsOf, logEvents } from "../_support/log.ts";

const EXAMPLE = new URL("../../docs/examples/slow_reader.py", import.meta.url).pathname;

/** Runs the example against 127.0.0.1:`port`; resolves to the line it prints. */
async function slowReader(port: number): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: [EXAMPLE, "127.0.0.1", `${port}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.equal(out.code, 0, decode(out.stderr));
  return decode(out.stdout).trim();
}

Deno.test("docs/examples/slow_reader.py reads all of a closed stream and loses what a reset throws away", async () => {
  await using muxd = await startMuxd(serveDebug(
    "tcp://127.0.0.1:0=chargen?close-after=1MiB",
    "tcp://127.0.0.1:0=chargen?reset-after=1MiB",
  ));
  assert.equal(await slowReader(muxd.port(0)), "end of stream after 1048576 bytes");
  const reset = await slowReader(muxd.port(1));
  const lost = reset.match(/^\[Errno 104\] Connection reset by peer after (\d+) bytes$/);
  assert.ok(lost !== null, reset);
  assert.ok(Number(lost[1]) < 1_048_576, reset);
  const { stderr } = await muxd.stop();
  // muxd wrote the whole mebibyte both times: the reset lost it on the way.
  const closed = eventsOf(logEvents(stderr), "connection-closed");
  assert.deepEqual(
    closed.map((e) => [e.bytesOut, e.reason, e.detail]).sort(),
    [
      [1_048_576, "fault", "closed after 1,048,576 B"],
      [1_048_576, "fault", "reset after 1,048,576 B"],
    ],
  );
});
