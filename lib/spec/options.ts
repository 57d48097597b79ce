/**
 * The options part of a listen spec, after `?`: `key=value` pairs joined by
 * `&`, with percent-encoded values.
 *
 * @module
 */

import { type Fail, fits, quote } from "./listen_spec_error.ts";

/** What an option key looks like. */
const KEY = /^[a-z][a-z0-9-]*$/;

/**
 * Characters no listen spec holds as they are: whitespace, control and
 * (invisible) format characters. Option values hold them percent-encoded.
 */
export const FORBIDDEN_CHARACTER: RegExp = /[\s\p{Cc}\p{Cf}]/u;

/**
 * Parses `key=value&key=value`. Keys match `[a-z][a-z0-9-]*` and appear at
 * most once; values are percent-decoded as UTF-8 and may be empty. A `+`
 * stays a plus sign.
 *
 * @param text The text after `?`, or `undefined` when there is no `?`.
 * @param fail Called with the reason when the text is not valid options.
 * @returns The options, sorted by key.
 */
export function parseOptions(text: string | undefined, fail: Fail): Record<string, string> {
  if (text === undefined) return {};
  if (text === "") fail(`missing options after "?"; write ?KEY=VALUE`);
  const options = new Map<string, string>();
  for (const item of text.split("&")) {
    if (item === "") fail(`empty option in ${quote(text)}; separate options with one "&"`);
    const equals = item.indexOf("=");
    if (equals < 0) {
      const hint = KEY.test(item) && fits(item) ? `: ${item}=VALUE` : "";
      fail(`option ${quote(item)} needs a value${hint}`);
    }
    const key = item.slice(0, equals);
    if (key === "") fail(`missing option name before "=" in ${quote(item)}`);
    if (!KEY.test(key)) {
      fail(
        `option name ${
          quote(key)
        } must be lowercase letters, digits and "-", starting with a letter`,
      );
    }
    if (options.has(key)) fail(`duplicate option ${quote(key)}`);
    options.set(key, decodeValue(key, item.slice(equals + 1), fail));
  }
  const sorted = [...options].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(sorted);
}

/** Percent-decodes one option value. */
function decodeValue(key: string, raw: string, fail: Fail): string {
  const bad = raw.match(FORBIDDEN_CHARACTER);
  if (bad !== null && bad[0] === " " && key === "run") {
    // exec's program and its arguments: a space is most likely meant to
    // part them, as in a shell, and %20 would make one name of both.
    fail(
      `option "run" cannot hold a raw space: part the program and its arguments with commas, ` +
        `as in run=python3,server.py (a space inside one argument is %20)`,
    );
  }
  if (bad !== null) {
    fail(
      `option ${quote(key)} cannot hold a raw ${describeCharacter(bad[0])}; write it as ${
        percentEncode(bad[0])
      }`,
    );
  }
  if (!raw.isWellFormed()) fail(`option ${quote(key)} holds a lone UTF-16 surrogate`);
  const escape = raw.match(/%(?![0-9A-Fa-f]{2})(.{0,2})/su);
  if (escape !== null) {
    fail(`bad percent escape ${quote(escape[0])} in option ${quote(key)}; write "%" itself as %25`);
  }
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    if (!(error instanceof URIError)) throw error;
    return fail(`option ${quote(key)} does not percent-decode to UTF-8 text`);
  }
}

/**
 * Formats options as a listen spec writes them: `?key=value&...` sorted by
 * key, values percent-encoded only where needed (`%`, `&`, whitespace,
 * control and format characters).
 *
 * @param options The options.
 * @returns The text from `?` on, or `""` when there are no options.
 */
export function formatOptions(options: Readonly<Record<string, string>>): string {
  const keys = Object.keys(options).sort();
  if (keys.length === 0) return "";
  return `?${keys.map((key) => `${key}=${encodeValue(options[key])}`).join("&")}`;
}

/** Percent-encodes the characters of a value that cannot stand as they are. */
function encodeValue(value: string): string {
  let text = "";
  for (const character of value) {
    const raw = character !== "%" && character !== "&" && !FORBIDDEN_CHARACTER.test(character) &&
      character.isWellFormed();
    text += raw ? character : percentEncode(character);
  }
  return text;
}

/**
 * Percent-encodes a character as UTF-8 bytes, e.g. `%20` for a space.
 *
 * @param character One character (code point).
 * @returns Its `%XX` form.
 */
export function percentEncode(character: string): string {
  const bytes = new TextEncoder().encode(character);
  return [...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

/**
 * Names a character for a message: `space`, `tab`, or `character U+200B`.
 *
 * @param character One character (code point).
 * @returns Its description.
 */
export function describeCharacter(character: string): string {
  switch (character) {
    case " ":
      return "space";
    case "\t":
      return "tab";
    case "\n":
      return "line feed";
    case "\r":
      return "carriage return";
    default: {
      const code = character.codePointAt(0) ?? 0;
      return `character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
}
