/**
 * The text lines of the exec service's events, part of
 * {@linkcode formatEvent}'s one definition of every line.
 *
 * @module
 */

import { formatSocketName } from "../spec/socket_name.ts";
import type { EndCause } from "../services/process_table.ts";
import type { ExecEvent, ProgramExit } from "./exec_event.ts";
// For the doc link only.
import type { formatEvent as _formatEvent } from "./format.ts";

/** What an exit line adds when muxd ended the program, by cause. */
export const END_CAUSE_TEXT: Readonly<Record<EndCause, string>> = {
  "time-limit": "ended by muxd: it ran for max-seconds",
  "output-limit": "ended by muxd: it wrote more than max-output",
  "datagram-limit": "ended by muxd: it wrote more than a UDP reply holds (65,507 B)",
  "closed": "ended by muxd: its connection closed",
  "shutdown": "ended by muxd: muxd stopped",
  "reload": "ended by muxd: a reload removed its listener",
  "removed": "ended by muxd: its listener was removed through the API",
};

/**
 * Formats an exec event as one line: the conversation, then what the
 * program did.
 *
 * @param event An exec event.
 * @returns The line, such as
 *   `tcp 127.0.0.1:7300 <- 127.0.0.1:40000 #3 -> exec: python3 (pid 812) exited with status 0 after 41 ms`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatExecEvent } from "./format_exec.ts";
 *
 * const line = formatExecEvent({
 *   type: "exec-stderr", time: 0, transport: "udp", id: null,
 *   listener: "udp://127.0.0.1:7301=exec?run=python3,size.py", service: "exec",
 *   local: { address: "127.0.0.1", port: 7301 },
 *   remote: { address: "127.0.0.1", port: 40000 }, pid: 812, line: "oops",
 * });
 * assert.equal(line, "udp 127.0.0.1:7301 <- 127.0.0.1:40000 -> exec: pid 812 stderr: oops");
 * ```
 */
export function formatExecEvent(event: ExecEvent): string {
  const id = event.id === null ? "" : ` #${event.id}`;
  const head = `${event.transport} ${formatSocketName(event.local)} <- ` +
    `${formatSocketName(event.remote)}${id} -> ${event.service}`;
  switch (event.type) {
    case "exec-started":
      return `${head}: started ${event.program} (pid ${event.pid})`;
    case "exec-stderr":
      return `${head}: pid ${event.pid} stderr: ${event.line}`;
    case "exec-exited": {
      const dropped = event.stderrDropped === 0
        ? ""
        : `; ${event.stderrDropped} stderr lines not logged`;
      return `${head}: ${event.program} (pid ${event.pid}) ${howItEnded(event)} after ` +
        `${Math.round(event.runMs)} ms${whyEnded(event)}${dropped}`;
    }
    case "exec-refused":
      return `${head} ran nothing (${event.reason}): ${event.detail}`;
    case "exec-no-group":
      return `${head}: pid ${event.pid}: ${event.detail}`;
  }
}

/**
 * How a program ended, in a few words, for the closing line of its
 * connection: `python3 exited with status 0`, `sh killed by SIGTERM (ended
 * by muxd: its connection closed)`.
 *
 * @param exit How it ended.
 * @returns The words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProgramExit } from "./format_exec.ts";
 *
 * assert.equal(
 *   formatProgramExit({ program: "cat", pid: 9, code: 0, signal: null, endedBy: null }),
 *   "cat exited with status 0",
 * );
 * ```
 */
export function formatProgramExit(exit: ProgramExit): string {
  return `${exit.program} ${howItEnded(exit)}${whyEnded(exit)}`;
}

/** `exited with status 0`, `killed by SIGTERM`. */
function howItEnded(exit: ProgramExit): string {
  return exit.signal === null ? `exited with status ${exit.code}` : `killed by ${exit.signal}`;
}

/** ` (ended by muxd: ...)`, or nothing when it exited by itself. */
function whyEnded(exit: ProgramExit): string {
  return exit.endedBy === null ? "" : ` (${END_CAUSE_TEXT[exit.endedBy]})`;
}
