/**
 * exec under an open-files limit: each program costs muxd three pipes
 * beside its connection, so a client that holds many connections runs muxd
 * out of file descriptors. A program that cannot be started is an
 * `exec-refused` event with the reason, not a connection error, and muxd
 * runs programs again once some end.
 */

import assert from "node:assert/strict";
import { MAIN, permissionFlags, serveJson, startMuxd, task } from "../_support/process.ts";
import { countEvents, eventsOf, logEvents } from "../_support/log.ts";
import { waitUntil } from "../_support/wait.ts";
import { readToEnd } from "../_support/socket.ts";

Deno.test("muxd serve under a low open-files limit refuses exec's programs it cannot start, with the reason, and runs them again later", async () => {
  await using muxd = await startMuxd(
    [
      ...serveJson(
        "tcp://127.0.0.1:0=exec?run=sleep,60&max-seconds=1&max-procs=1000&max-procs-per-source=1000",
        "tcp://127.0.0.1:0=exec?run=cat",
      ),
    ],
    {
      program: "prlimit",
      args: [
        "--nofile=64",
        "deno",
        "run",
        ...permissionFlags(task("serve")).map((flag) =>
          flag.startsWith("--allow-run=") ? `${flag},sleep,cat` : flag
        ),
        MAIN,
      ],
    },
  );
  // Out of files, Deno itself may warn on standard error (it cannot load
  // its CA certificates, which muxd does not use): only JSON lines count.
  const events = () =>
    logEvents(muxd.stderr().split("\n").filter((line) => line.startsWith("{")).join("\n"));
  const conns: Deno.TcpConn[] = [];
  try {
    // 30 programs would need 90 pipe ends beside 30 sockets: more than 64.
    for (let i = 0; i < 30; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) }));
    }
    await waitUntil(
      () => eventsOf(events(), "exec-refused").some((e) => e.reason === "out-of-resources"),
      10_000,
      "a program muxd could not start",
      () => muxd.stderr(),
    );
    const refused = eventsOf(events(), "exec-refused")
      .find((e) => e.reason === "out-of-resources")!;
    assert.match(refused.detail, /out of open files/);
    // Not an error of the connection: muxd knows what happened.
    assert.equal(eventsOf(events(), "error").length, 0);
  } finally {
    for (const conn of conns) conn.close();
  }
  // The sleeps end at max-seconds, their connections with them, and programs start again.
  await waitUntil(
    () => countEvents(muxd.stderr(), "connection-closed") >= 30,
    20_000,
    "every held connection's close",
    () => muxd.stderr(),
  );
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(1) });
  await conn.write(new TextEncoder().encode("again\n"));
  await conn.closeWrite();
  assert.equal(new TextDecoder().decode(await readToEnd(conn)), "again\n");
});
