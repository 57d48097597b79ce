import assert from "node:assert/strict";
import { useColor } from "../../lib/log/use_color.ts";

const CASES: readonly [terminal: boolean, env: Record<string, string>, color: boolean][] = [
  [true, {}, true],
  [false, {}, false],
  [true, { NO_COLOR: "1" }, false],
  [true, { NO_COLOR: "" }, true], // empty: as if unset (no-color.org)
  [false, { FORCE_COLOR: "1" }, true],
  [false, { FORCE_COLOR: "3" }, true],
  [false, { FORCE_COLOR: "true" }, true],
  [false, { FORCE_COLOR: "" }, false],
  [true, { FORCE_COLOR: "0" }, false],
  [true, { FORCE_COLOR: "false" }, false],
  [false, { FORCE_COLOR: "1", NO_COLOR: "1" }, false],
  [true, { TERM: "dumb" }, false],
  [false, { TERM: "dumb", FORCE_COLOR: "1" }, true],
  [true, { TERM: "xterm-256color" }, true],
];

Deno.test("useColor() colours a terminal, honours NO_COLOR, then FORCE_COLOR, then TERM=dumb", () => {
  for (const [terminal, env, color] of CASES) {
    assert.equal(
      useColor(terminal, (name) => env[name]),
      color,
      `terminal ${terminal}, ${JSON.stringify(env)}`,
    );
  }
});
