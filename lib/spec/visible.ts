/**
 * Text from outside muxd made safe to print on a terminal as it is: a
 * process's name from `ss`, which any local program chooses for itself.
 *
 * @module
 */

/**
 * Control and format characters, and the line and paragraph separators:
 * what moves a terminal's cursor, clears its screen, reorders or hides text.
 * A tab is left alone.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * Writes every control, format or separator character of `text` (but a tab)
 * as an escape, `\x1b` or `\u202e`, and leaves the rest as it is.
 *
 * @param text Any text.
 * @returns The text, safe to print.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { visible } from "./visible.ts";
 *
 * assert.equal(visible("\x1b[2J\rFAKE"), "\\x1b[2J\\x0dFAKE");
 * assert.equal(visible("python3"), "python3");
 * ```
 */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (character) => {
    if (character === "\t") return character;
    const code = character.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
