/**
 * The JSON log as a test suite reads it: durations with at most three
 * decimals (whole microseconds), never the float noise of a subtraction.
 */

import assert from "node:assert/strict";
import { serveJson, startMuxd } from "../_support/process.ts";
import { readToEnd, sendAndHalfClose } from "../_support/socket.ts";
import { countEvents, eventsOf, logEvents } from "../_support/log.ts";
import { waitUntil } from "../_support/wait.ts";

const CONNECTIONS = 20;

Deno.test("muxd serve --log-format json writes durationMs to the microsecond", async () => {
  await using muxd = await startMuxd(serveJson("tcp://127.0.0.1:0=echo"));
  const port = muxd.port(0);
  for (let i = 0; i < CONNECTIONS; i++) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await sendAndHalfClose(conn, new TextEncoder().encode(`hello ${i}\n`));
    await readToEnd(conn);
  }
  await waitUntil(
    () => countEvents(muxd.stderr(), "connection-closed") === CONNECTIONS,
    10_000,
    `${CONNECTIONS} connection-closed events`,
    () => muxd.stderr(),
  );
  const { stderr } = await muxd.stop("SIGTERM");
  const closed = eventsOf(logEvents(stderr), "connection-closed");
  assert.equal(closed.length, CONNECTIONS);
  for (const event of closed) {
    // The number as the JSON line has it.
    assert.match(String(event.durationMs), /^\d+(\.\d{1,3})?$/, "three decimals at most");
  }
});
