/**
 * The error thrown for a listen spec that does not parse.
 *
 * @module
 */

import { formatSource } from "./source.ts";
import type { SpecSource } from "./types.ts";

/** Longest stretch of user text quoted in a message; the rest is elided. */
const MAX_QUOTED = 200;

/**
 * Whether user text is short enough to repeat whole in a message, as a
 * suggested fix: a longer one would make the message as long as the input.
 *
 * @param text Any text.
 * @returns `true` up to {@linkcode MAX_QUOTED} characters.
 */
export function fits(text: string): boolean {
  return text.length <= MAX_QUOTED;
}

/**
 * User text cut to {@linkcode MAX_QUOTED} characters, `...` marking the cut,
 * as a message quotes it.
 *
 * @param text Any text.
 * @returns The text, or its head and `...`.
 */
export function shorten(text: string): string {
  return fits(text) ? text : `${text.slice(0, MAX_QUOTED)}...`;
}

/**
 * Quotes user text for a message: JSON string syntax with every invisible
 * character escaped (`\u200b`), so what is wrong can be seen, shortened to
 * {@linkcode MAX_QUOTED} characters.
 *
 * @param text Any text.
 * @returns The quoted text, e.g. `"sctp"`.
 */
export function quote(text: string): string {
  // Whitespace but the space, control and format characters would hide.
  return JSON.stringify(shorten(text)).replace(/(?! )[\s\p{Cc}\p{Cf}]/gu, (character) => {
    const code = character.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * A listen spec that does not parse. The message names the text, where it
 * came from and what is wrong:
 *
 * `Cannot parse listen spec "udp://:70000=echo" (argument 3): port must be <= 65535`
 *
 * @example Catch it and show the reason
 * ```ts
 * import { ListenSpecError } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ListenSpecError("udp://:70000=echo", "port must be <= 65535", {
 *   kind: "argument",
 *   index: 3,
 * });
 * assert.equal(
 *   error.message,
 *   'Cannot parse listen spec "udp://:70000=echo" (argument 3): port must be <= 65535',
 * );
 * assert.ok(error instanceof SyntaxError);
 * ```
 */
export class ListenSpecError extends SyntaxError {
  /** The text that does not parse. */
  readonly text: string;
  /** Where the text came from, when known. */
  readonly source: SpecSource | undefined;
  /** What is wrong, in plain lowercase words, e.g. `missing port`. */
  readonly reason: string;

  /**
   * Makes the error and its message.
   *
   * @param text The text that does not parse.
   * @param reason What is wrong, in plain lowercase words.
   * @param source Where the text came from, when known.
   */
  constructor(text: string, reason: string, source?: SpecSource) {
    const where = source === undefined ? "" : ` (${formatSource(source)})`;
    super(`Cannot parse listen spec ${quote(text)}${where}: ${reason}`);
    this.name = "ListenSpecError";
    this.text = text;
    this.source = source;
    this.reason = reason;
  }
}

/**
 * Reports what is wrong with the text being parsed; never returns. Parsing
 * helpers take one so that they need not know the text or its source.
 */
export type Fail = (reason: string) => never;
