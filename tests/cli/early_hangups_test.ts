/**
 * A SIGHUP sent while `muxd serve` starts, before its reload is in place,
 * must not end muxd (SIGHUP's default action): EarlyHangups hears it from
 * the start, and the reload runs once muxd is ready.
 */

import assert from "node:assert/strict";
import { EarlyHangups } from "../../lib/cli/reload.ts";
import { waitUntil } from "../_support/wait.ts";

Deno.test("EarlyHangups hears a SIGHUP sent to this process, which then goes on", async () => {
  using early = new EarlyHangups();
  assert.equal(early.heard, false);
  // Sent by `kill`, as a harness sends it; without a listener it would end this process.
  const sent = await new Deno.Command("kill", { args: ["-HUP", String(Deno.pid)] }).output();
  assert.ok(sent.success);
  await waitUntil(() => early.heard, 5000, "the SIGHUP to be heard");
});
