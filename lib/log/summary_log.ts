/**
 * Writes a summary line (of faults, of lines held back) to the log at info,
 * under a category of its own; the JSON log holds the line's other fields
 * as properties.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

/**
 * A writer of summary lines, each with its text and fields.
 *
 * @param category The logger's category under `muxd`, such as `faults`.
 * @returns The writer.
 */
export function summaryLog<Line extends { readonly text: string }>(
  category: string,
): (line: Line) => void {
  const logger = getLogger(["muxd", category]);
  return ({ text, ...properties }) => {
    // LogTape reads a message as a template: "{{" is a literal brace.
    logger.info(text.replaceAll("{", "{{").replaceAll("}", "}}"), properties);
  };
}
