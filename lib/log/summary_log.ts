/**
 * Writes a summary line (of faults, of lines held back) to the log at info
 * (or warning), under a category of its own; the JSON log holds the line's
 * other fields as properties.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

/**
 * A writer of summary lines, each with its text and fields.
 *
 * @param category The logger's category under `muxd`, such as `faults`.
 * @param level The level of its lines. @default "info"
 * @returns The writer.
 */
export function summaryLog<Line extends { readonly text: string }>(
  category: string,
  level: "info" | "warning" = "info",
): (line: Line) => void {
  const logger = getLogger(["muxd", category]);
  const write = level === "info" ? logger.info.bind(logger) : logger.warn.bind(logger);
  return ({ text, ...properties }) => {
    // LogTape reads a message as a template: "{{" is a literal brace.
    write(text.replaceAll("{", "{{").replaceAll("}", "}}"), properties);
  };
}
