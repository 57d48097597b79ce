/**
 * Tests of what `muxd serve` tells a person once it is up (lib/cli/report.ts).
 */

import assert from "node:assert/strict";
import { controlLine, type TokenWhere } from "../../lib/cli/report.ts";

const URL = "http://127.0.0.1:7081/";

Deno.test("controlLine() names where the token can be read, or how to get one", () => {
  const table: [TokenWhere, string][] = [
    [
      { tokenFile: "token.txt", readyFile: "ready.json", stdoutIsTerminal: true },
      "token from token.txt",
    ],
    [{ readyFile: "ready.json", stdoutIsTerminal: true }, "token in the ready file ready.json"],
    [{ stdoutIsTerminal: false }, "token in the ready record on standard output"],
    [
      { stdoutIsTerminal: true },
      "its token is in the ready record, which a terminal does not get: " +
      "add --ready-file FILE, or give the token with --control-token-file FILE",
    ],
  ];
  for (const [where, token] of table) {
    assert.equal(controlLine(URL, where), `Control API: ${URL} (${token}; docs/control.md)`);
  }
});
