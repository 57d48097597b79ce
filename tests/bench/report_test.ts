import assert from "node:assert/strict";
import { HAND_WRITTEN_HEADING, keepHandWritten } from "../../bench/load/report.ts";

Deno.test("keepHandWritten() keeps the hand-written section of the last report after the new one", () => {
  const previous = `# Load benchmark\n\nold figures\n\n${HAND_WRITTEN_HEADING}\n\nwhy, by hand\n`;
  assert.equal(
    keepHandWritten("# Load benchmark\n\nnew figures\n", previous),
    `# Load benchmark\n\nnew figures\n\n${HAND_WRITTEN_HEADING}\n\nwhy, by hand\n`,
  );
});

Deno.test("keepHandWritten() writes the new report alone when the last one has no hand-written section", () => {
  assert.equal(keepHandWritten("new\n", ""), "new\n");
  assert.equal(keepHandWritten("new\n", "# Load benchmark\n\nold\n"), "new\n");
});
