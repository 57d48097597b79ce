/**
 * muxd: one process binds many socket names and hands each connection or
 * datagram to the service configured for the socket name it arrived on.
 *
 * @module
 */

import { runMuxd } from "./lib/cli/mod.ts";

if (import.meta.main) {
  // runMuxd returns once its command is done and its output written (the log
  // is flushed before `serve` returns). Exit then, rather than when the event
  // loop runs dry: a handle left pending in the runtime must not keep a
  // stopped server alive. Seen once: a UDP server lived on after SIGTERM
  // until a second one, which only ends a process whose signal listeners
  // are gone, that is, one whose `serve` had already returned.
  Deno.exit(await runMuxd(Deno.args));
}
