/**
 * hostExplainer()'s fix for a port that only closed connections hold, as
 * `muxd serve` prints it: a server's TIME-WAIT on a port below the
 * ephemeral range (left by a plain Python socket server, which never set
 * SO_REUSEADDR, so it blocks muxd's bind for about 60 s) is not met only
 * in the ephemeral range, and the fix must not say that a port below it
 * meets none.
 */

import assert from "node:assert/strict";
import { runMuxdExpectingFailure } from "../_support/process.ts";
import { ssProblem } from "../_support/host.ts";
import { freePort } from "../_support/socket.ts";

const NO_SS = await ssProblem();
if (NO_SS !== null) console.log(`host_explainer_test.ts: ignored: ${NO_SS}`);

/** A connection that a plain Python socket server closed first: TIME-WAIT on `port`. */
async function plainServerTimeWait(port: number): Promise<void> {
  const script = "import socket, sys\n" +
    "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n" +
    "c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n" +
    "a, _ = s.accept(); a.close(); c.recv(1); c.close(); s.close()\n";
  const done = await new Deno.Command("python3", { args: ["-c", script, `${port}`] }).output();
  assert.ok(done.success, new TextDecoder().decode(done.stderr));
}

Deno.test({
  name: "hostExplainer() tells muxd serve that a server's TIME-WAIT below the ephemeral range " +
    "passes with time or another port, not that a port below that range meets none",
  ignore: NO_SS !== null,
  async fn() {
    const port = freePort();
    await plainServerTimeWait(port);
    const failed = await runMuxdExpectingFailure(["serve", "-l", `tcp://127.0.0.1:${port}=echo`]);
    assert.equal(failed.code, 1, failed.stderr);
    const line = failed.stderr.split("\n").find((l) => l.includes("cannot bind"));
    assert.ok(line, failed.stderr);
    assert.match(line, new RegExp(`in TIME-WAIT`));
    assert.match(
      line,
      /Fix: wait about 60 s, until the kernel forgets the closed connections, or choose another port\.$/,
    );
    assert.doesNotMatch(line, /meets none/);
  },
});
