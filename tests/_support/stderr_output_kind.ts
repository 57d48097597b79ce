/**
 * Prints on standard output which way muxd's log would write standard
 * error in this process: `in place` or `stream`. Run by
 * tests/log/stderr_output_test.ts with the serve task's permissions.
 */

import { stderrOutput } from "../../lib/log/stderr_output.ts";

console.log("writeSync" in stderrOutput() ? "in place" : "stream");
