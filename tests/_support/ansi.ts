/**
 * ANSI escape codes in what muxd writes to a terminal: colour codes (SGR)
 * taken out, or listed with the text each colours.
 *
 * @module
 */

/** One SGR sequence (colour and style), which neither moves the cursor nor erases. */
// deno-lint-ignore no-control-regex -- escape codes are what it matches
const SGR = /\x1b\[[0-9;]*m/g;

/** A piece of text between a colour code and the reset after it. */
// deno-lint-ignore no-control-regex -- escape codes are what it matches
const COLORED = /\x1b\[[0-9;]*m([^\x1b]*)\x1b\[0m/g;

/**
 * What Deno itself writes first on a terminal, before muxd runs: it erases
 * the line its progress bar may have used.
 */
// deno-lint-ignore no-control-regex -- escape codes are what it matches
const DENO_PROGRESS_CLEAR = /^(\x1b\[0G\x1b\[2K\x1b\[J)+/;

/** The escape character, which begins every escape code. */
export const ESC = "\x1b";

/**
 * Text without its colour codes; every other escape code stays.
 *
 * @param text Text with colour codes.
 * @returns The text without them.
 */
export function withoutColor(text: string): string {
  return text.replace(SGR, "");
}

/**
 * The pieces of text that are coloured, in order.
 *
 * @param text Text with colour codes.
 * @returns Each piece between a colour code and the reset after it.
 */
export function coloredPieces(text: string): string[] {
  return [...text.matchAll(COLORED)].map((m) => m[1]);
}

/**
 * A terminal's output as a pipe would have it: newlines without the
 * carriage returns a terminal adds, and Deno's own erasing at the start
 * left out.
 *
 * @param terminal What the terminal received.
 * @returns The text.
 */
export function asPipeText(terminal: string): string {
  return terminal.replaceAll("\r\n", "\n").replace(DENO_PROGRESS_CLEAR, "");
}
