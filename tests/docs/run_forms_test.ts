/**
 * The `run=` values that README.md and docs/*.md show in running text, as a
 * reader copies them into a listen spec, are ones muxd takes: each parses in
 * a spec and names the program and arguments the text says.
 */

import assert from "node:assert/strict";
import { parseListenSpec } from "../../lib/spec/mod.ts";
import { parseRun } from "../../lib/services/exec_command.ts";
import { ROOT } from "./_runner.ts";

function docFiles(): string[] {
  const docs = [...Deno.readDirSync(`${ROOT}docs`)]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`);
  return ["README.md", ...docs.sort()];
}

/** Each inline code span `run=...` of the docs, with its file and line. */
function runSpans(): { at: string; value: string }[] {
  const spans: { at: string; value: string }[] = [];
  for (const file of docFiles()) {
    const lines = Deno.readTextFileSync(`${ROOT}${file}`).split("\n");
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/`run=([^`]+)`/g)) {
        spans.push({ at: `${file}:${i + 1}`, value: m[1] });
      }
    });
  }
  return spans;
}

Deno.test("the run= forms of the docs' running text parse in a listen spec", () => {
  const spans = runSpans();
  assert.ok(spans.some((s) => s.value.startsWith("[")), "the docs show run='s JSON form");
  const problems: string[] = [];
  for (const { at, value } of spans) {
    try {
      const spec = parseListenSpec(`tcp://127.0.0.1:0=exec?run=${value}`);
      parseRun(spec.options.run);
    } catch (error) {
      problems.push(`${at}: run=${value}: ${(error as Error).message}`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("the JSON form of run= in reference.md keeps an argument with a comma and spaces whole", () => {
  const json = runSpans().find((s) => s.at.startsWith("docs/reference.md") && s.value[0] === "[");
  assert.ok(json !== undefined);
  const spec = parseListenSpec(`tcp://127.0.0.1:0=exec?run=${json.value}`);
  assert.deepEqual(parseRun(spec.options.run), ["python3", "-c", "import os, sys"]);
});
