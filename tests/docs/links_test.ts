/**
 * The links of README.md and docs/*.md lead somewhere: every relative
 * target is a file of the repository, and every `#anchor` is a heading of
 * the file it points into.
 */

import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { headingAnchors, relativeLinks } from "./_markdown.ts";
import { ROOT } from "./_runner.ts";

function docFiles(): string[] {
  const docs = [...Deno.readDirSync(`${ROOT}docs`)]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`);
  return ["README.md", ...docs.sort()];
}

Deno.test("README.md and docs/*.md link only to files and headings that exist", () => {
  const problems: string[] = [];
  for (const file of docFiles()) {
    for (const link of relativeLinks(file, Deno.readTextFileSync(`${ROOT}${file}`))) {
      const [path, anchor] = link.target.split("#", 2);
      const target = path === "" ? file : normalize(join(dirname(file), path));
      const at = `${link.file}:${link.line}: ${link.target}`;
      let text: string;
      try {
        const info = Deno.statSync(`${ROOT}${target}`);
        if (!info.isFile) {
          if (anchor !== undefined) problems.push(`${at}: ${target} is a folder, with no headings`);
          continue;
        }
        text = Deno.readTextFileSync(`${ROOT}${target}`);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        problems.push(`${at}: ${target} does not exist`);
        continue;
      }
      if (anchor !== undefined && !headingAnchors(target, text).has(anchor)) {
        problems.push(`${at}: ${target} has no heading #${anchor}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("headingAnchors() makes GitHub's anchors: punctuation dropped, repeats numbered", () => {
  const anchors = headingAnchors(
    "x.md",
    '# "Address already in use", explained\n## `[::]` is dual-stack\n## Offline: DENORT_BIN\n' +
      "## Notes\n## Notes\n```sh\n# not a heading\n```\n",
  );
  assert.deepEqual([...anchors], [
    "address-already-in-use-explained",
    "-is-dual-stack",
    "offline-denort_bin",
    "notes",
    "notes-1",
  ]);
});
