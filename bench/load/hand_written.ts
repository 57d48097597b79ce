/**
 * The hand-written part of docs/BENCHMARKS.md: everything from a marker
 * comment on, which `deno task bench:load` keeps when it rewrites the
 * generated sections above it.
 *
 * @module
 */

/** The start of the comment that opens the hand-written part. */
export const HAND_WRITTEN_MARKER = "<!-- Everything below this line is written by hand";

/**
 * Joins a freshly generated report with the hand-written part of the one
 * it replaces.
 *
 * @param generated The new report, as `reportMarkdown()` writes it.
 * @param existing The current file's text, or `null` when there is none.
 * @returns `generated`, followed by `existing` from the marker on, if it has one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HAND_WRITTEN_MARKER, keepHandWritten } from "./hand_written.ts";
 *
 * const old = `# Old tables\n\n${HAND_WRITTEN_MARKER} -->\n\n## Notes\n`;
 * assert.equal(
 *   keepHandWritten("# New tables\n", old),
 *   `# New tables\n\n${HAND_WRITTEN_MARKER} -->\n\n## Notes\n`,
 * );
 * ```
 */
export function keepHandWritten(generated: string, existing: string | null): string {
  const at = existing?.indexOf(HAND_WRITTEN_MARKER) ?? -1;
  if (existing === null || at < 0) return generated;
  return `${generated.trimEnd()}\n\n${existing.slice(at)}`;
}
