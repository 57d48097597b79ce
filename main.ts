/**
 * muxd: one process binds many socket names and hands each connection or
 * datagram to the service configured for the socket name it arrived on.
 *
 * @module
 */

import { runMuxd } from "./lib/cli/mod.ts";

if (import.meta.main) {
  Deno.exitCode = await runMuxd(Deno.args);
}
