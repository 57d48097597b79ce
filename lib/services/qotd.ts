/**
 * The quote of the day service (RFC 865): one short text, then goodbye.
 *
 * @module
 */

import type { OptionValues } from "./options.ts";
import type { Service } from "./service.ts";
import { writeAll } from "./write_all.ts";

/** The quote sent when the spec sets no `quote` option; muxd's own words. */
export const DEFAULT_QUOTE =
  "Every connection has two ends, and each end has a name: an address and a port. -- muxd";

/** RFC 865: the quote "should be less than 512 characters". */
const MAX_QUOTE_BYTES = 511;

const encoder = new TextEncoder();

/**
 * Turns quote text into the bytes RFC 865 asks for: ASCII, CR LF line
 * endings, ending with CR LF, fewer than 512 characters. Any line ending
 * (`\n`, `\r`, `\r\n`) becomes CR LF, and a final CR LF is added when missing.
 *
 * @param text The quote, one line or several.
 * @returns The bytes to send.
 * @throws {RangeError} When `text` holds a character other than printable
 * ASCII, space and line endings, or when the result has 512 bytes or more.
 *
 * @example A two-line quote
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatQuote } from "./qotd.ts";
 *
 * const bytes = formatQuote("Hello\nworld");
 * assert.equal(new TextDecoder().decode(bytes), "Hello\r\nworld\r\n");
 * ```
 */
export function formatQuote(text: string): Uint8Array {
  const bad = /[^\x20-\x7e\r\n]/.exec(text);
  if (bad !== null) {
    throw new RangeError(
      `Cannot send quote: character ${JSON.stringify(bad[0])} at index ${bad.index} ` +
        "is not printable ASCII",
    );
  }
  const lines = text.replace(/\r\n|\r|\n/g, "\r\n");
  const quote = lines.endsWith("\r\n") ? lines : `${lines}\r\n`;
  if (quote.length > MAX_QUOTE_BYTES) {
    throw new RangeError(
      `Cannot send quote: it has ${quote.length} characters with CR LF endings, ` +
        `RFC 865 asks for fewer than 512`,
    );
  }
  return encoder.encode(quote);
}

/** qotd's spec option: the quote, formatted and encoded once. */
export const QOTD_OPTIONS = [{
  key: "quote",
  field: "quote",
  description: "The quote to send: printable ASCII, fewer than 512 characters; " +
    "line endings become CR LF.",
  default: DEFAULT_QUOTE,
  parse: formatQuote,
}] as const;

/**
 * Quote of the day, RFC 865.
 *
 * - TCP: sends the quote (see {@linkcode formatQuote}) and returns, ignoring input.
 * - UDP: replies with the quote, whatever the request holds.
 *
 * Option `quote` replaces {@linkcode DEFAULT_QUOTE}.
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:7017=qotd
 * udp://127.0.0.1:7017=qotd?quote=Hello
 * ```
 */
export const qotd: Service<OptionValues<typeof QOTD_OPTIONS>> = {
  name: "qotd",
  rfc: 865,
  summary: "Sends one short quote and closes (UDP: replies with the quote).",
  options: QOTD_OPTIONS,
  async tcp(stream, ctx) {
    await writeAll(stream, ctx.options.quote);
  },
  udp(_request, ctx) {
    return ctx.options.quote;
  },
};
