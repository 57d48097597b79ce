import assert from "node:assert/strict";
import { HAND_WRITTEN_MARKER, keepHandWritten } from "../../bench/load/hand_written.ts";

const HAND = `${HAND_WRITTEN_MARKER}; deno task bench:load keeps it. -->\n\n## Notes\n\nBy hand.\n`;

Deno.test("keepHandWritten() puts the old report's hand-written part after the new tables", () => {
  const old = `# Load benchmark\n\nold tables\n\n${HAND}`;
  assert.equal(
    keepHandWritten("# Load benchmark\n\nnew tables\n", old),
    `# Load benchmark\n\nnew tables\n\n${HAND}`,
  );
});

Deno.test("keepHandWritten() writes the new report alone when the old one has no marker or is missing", () => {
  assert.equal(keepHandWritten("new\n", "# old, all generated\n"), "new\n");
  assert.equal(keepHandWritten("new\n", null), "new\n");
});

Deno.test("keepHandWritten() keeps the hand-written part of docs/BENCHMARKS.md as it is", () => {
  const current = Deno.readTextFileSync(new URL("../../docs/BENCHMARKS.md", import.meta.url));
  const at = current.indexOf(HAND_WRITTEN_MARKER);
  assert.ok(at > 0, "docs/BENCHMARKS.md has no hand-written part");
  assert.ok(keepHandWritten("# Load benchmark\n", current).endsWith(current.slice(at)));
});
