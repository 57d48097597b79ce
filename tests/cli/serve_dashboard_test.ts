/**
 * End-to-end tests of `muxd serve --dashboard`: where the dashboard's URL is
 * reported, and what happens when its address is refused or taken.
 */

import assert from "node:assert/strict";
import { runMuxd, runMuxdExpectingFailure, startMuxd } from "../_support/process.ts";

const ECHO = ["-l", "tcp://127.0.0.1:0=echo"];

Deno.test("muxd serve --dashboard names its URL in the ready record and serves the socket table", async () => {
  await using muxd = await startMuxd(["serve", ...ECHO, "--dashboard", "127.0.0.1:0"]);
  const url = muxd.ready.dashboard;
  assert.match(url ?? "", /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.match(
    muxd.stderr(),
    /\nDashboard: http:\/\/127\.0\.0\.1:\d+\/ \(open it in a browser\)\n/,
  );
  const response = await fetch(new URL("/api/sockets", url!));
  const { sockets } = await response.json() as { sockets: { key: string; state: string }[] };
  assert.deepEqual(sockets.map((s) => [s.key, s.state]), [
    [`tcp 127.0.0.1:${muxd.port(0)}`, "listening"],
  ]);
});

Deno.test("muxd serve with listeners and without --dashboard serves no dashboard", async () => {
  await using muxd = await startMuxd(["serve", ...ECHO]);
  assert.equal(muxd.ready.dashboard, null);
  assert.doesNotMatch(muxd.stderr(), /Dashboard:/);
});

Deno.test("muxd serve exits with 2 when --dashboard names an address other hosts could reach, without --public", async () => {
  const { code, stderr } = await runMuxd(["serve", ...ECHO, "--dashboard", "0.0.0.0:0"]);
  assert.equal(code, 2, stderr);
  assert.match(
    stderr,
    /^muxd: Cannot use dashboard address "0\.0\.0\.0:0" \(--dashboard\): 0\.0\.0\.0 is the wildcard/m,
  );
  assert.match(stderr, /unless you pass --public/);
});

Deno.test("muxd serve exits with 2 and names the problem for a --dashboard value that does not parse", async () => {
  const { code, stderr } = await runMuxd(["serve", ...ECHO, "--dashboard", "7080"]);
  assert.equal(code, 2, stderr);
  assert.match(
    stderr,
    /^muxd: Cannot parse dashboard address "7080" \(--dashboard\): write HOST:PORT/m,
  );
});

Deno.test("muxd serve exits with 1 and explains why when the --dashboard address is in use", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${taken.addr.port}`;
  const { code, stderr } = await runMuxdExpectingFailure([
    "serve",
    ...ECHO,
    "--dashboard",
    address,
  ]);
  assert.equal(code, 1, stderr);
  assert.match(
    stderr,
    new RegExp(
      `ERR Cannot bind the dashboard at http://${address.replaceAll(".", "\\.")}/: ` +
        "address already in use: another socket already holds tcp .*" +
        // Who holds it: this test, a Deno process.
        `It is held by a listening socket tcp ${address.replaceAll(".", "\\.")} of process ` +
        `${Deno.pid} \\(deno\\)\\. ` +
        "Nothing is being served \\(use --keep-going to serve without the dashboard\\)",
    ),
  );
});

Deno.test("muxd serve --keep-going goes on without a dashboard whose address is in use", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using muxd = await startMuxd([
    "serve",
    ...ECHO,
    "--keep-going",
    "--dashboard",
    `127.0.0.1:${taken.addr.port}`,
  ]);
  assert.equal(muxd.ready.dashboard, null);
  assert.equal(muxd.ready.sockets.length, 1);
  await muxd.waitForStderr(/WRN Cannot bind the dashboard at .* Going on without it\./);
});
