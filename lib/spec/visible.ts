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

/**
 * What JSON text may hold raw that a terminal obeys or that hides text:
 * DEL and the C1 controls (U+009B is a CSI, as ESC [ is), format
 * characters (U+202E reverses the text after it) and the line and paragraph
 * separators. `JSON.stringify` escapes only U+0000 to U+001F.
 */
const JSON_INVISIBLE = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

/**
 * JSON text with every character that {@linkcode visible} escapes written as
 * a `\uXXXX` escape: the same JSON value, safe to print on a terminal. Such
 * characters can only be inside strings, where an escape means the same.
 *
 * @param json JSON text, as `JSON.stringify` writes it.
 * @returns The same JSON, with no control or format character left raw.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonVisible } from "./visible.ts";
 *
 * const json = jsonVisible(JSON.stringify({ line: "a\u202eb\u009b2J" }));
 * assert.equal(json, '{"line":"a\\u202eb\\u009b2J"}');
 * assert.deepEqual(JSON.parse(json), { line: "a\u202eb\u009b2J" });
 * ```
 */
export function jsonVisible(json: string): string {
  return json.replace(JSON_INVISIBLE, (character) => {
    let escaped = "";
    for (let i = 0; i < character.length; i++) {
      escaped += `\\u${character.charCodeAt(i).toString(16).padStart(4, "0")}`;
    }
    return escaped;
  });
}
