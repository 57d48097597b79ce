import assert from "node:assert/strict";
import { escapeHelp, escapeLabelValue, Exposition } from "../../lib/metrics/mod.ts";
import { helpText, labelValues, parseMetrics } from "./_prometheus.ts";

const NASTY = [
  'say "hi"',
  "C:\\muxd\\",
  "two\nlines",
  '\\"',
  "\\n is not a newline",
  '}, x="1"',
];

Deno.test("Exposition escapes label values with quotes, backslashes and newlines so that a Prometheus parser reads them back", () => {
  const out = new Exposition();
  out.family("muxd_test_total", "counter", "A test.");
  NASTY.forEach((value, i) => out.sample("muxd_test_total", [["v", value], ["i", String(i)]], i));
  assert.deepEqual(labelValues(out.text(), "muxd_test_total", "v"), NASTY);
  assert.deepEqual(labelValues(out.text(), "muxd_test_total", "i"), ["0", "1", "2", "3", "4", "5"]);
});

Deno.test("escapeLabelValue() escapes exactly backslash, double quote and newline", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd\te'), 'a\\\\b\\"c\\nd\te');
});

Deno.test("escapeHelp() escapes backslash and newline and leaves quotes", () => {
  assert.equal(escapeHelp('a\\b"c\nd'), 'a\\\\b"c\\nd');
});

Deno.test("Exposition writes help text with a newline and a backslash on one line that a parser reads back", async () => {
  const out = new Exposition();
  out.family("muxd_test", "gauge", "first\nsecond \\ third");
  out.sample("muxd_test", [], 1);
  assert.equal(out.text().split("\n").length, 4);
  assert.equal(helpText(out.text(), "muxd_test"), "first\nsecond \\ third");
  assert.equal((await parseMetrics(out.text())).get("muxd_test")?.type, "gauge");
});
