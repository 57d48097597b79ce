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
  // stopped server alive (seen once, not reproduced: a UDP server lived on
  // after SIGTERM until a second one; this covers the case where `serve`
  // had returned and a pending handle kept the process).
  // A promise that failed with nobody to handle it is a bug as well: one
  // line and exit 70, as for one thrown.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    Deno.exit(internalError(event.reason));
  });
  Deno.exit(await runMuxd(Deno.args).catch(internalError));
}

/**
 * The last boundary: an error nothing else caught is a bug in muxd. It gets
 * one line, with where it was thrown, and exit code 70 (EX_SOFTWARE), never
 * a stack trace or one of the codes muxd gives meanings to (0, 1, 2, 3).
 */
function internalError(error: unknown): number {
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const where = error instanceof Error
    ? error.stack?.split("\n").find((line) => line.trimStart().startsWith("at "))?.trim()
    : undefined;
  console.error(
    `muxd: internal error: ${what.replaceAll("\n", " ")}${where ? ` (${where})` : ""}; ` +
      `this is a bug in muxd, please report it`,
  );
  return 70;
}
