/**
 * The banner service (muxd's own): one line of text on connect, then
 * goodbye. TCP only.
 *
 * @module
 */

import { anyText, type OptionValues } from "./options.ts";
import type { Service } from "./service.ts";
import { writeAll } from "./write_all.ts";

/** The text sent when the spec sets no `text` option. */
export const DEFAULT_BANNER_TEXT = "Connection received";

const encoder = new TextEncoder();

/** banner's spec option: the line it sends. */
export const BANNER_OPTIONS = [{
  key: "text",
  field: "text",
  description: "The line to send, without its final newline.",
  default: DEFAULT_BANNER_TEXT,
  parse: anyText,
}] as const;

/**
 * Banner, muxd's own, TCP only: sends the `text` option (UTF-8) and `\n`,
 * then returns, ignoring input. It has no `udp` member.
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:7009=banner
 * tcp://127.0.0.1:7010=banner?text=Hello
 * ```
 */
export const banner: Service<OptionValues<typeof BANNER_OPTIONS>> = {
  name: "banner",
  rfc: null,
  summary: "Sends one line of text on connect and closes (TCP only).",
  options: BANNER_OPTIONS,
  async tcp(stream, ctx) {
    await writeAll(stream, encoder.encode(`${ctx.options.text}\n`));
  },
};
