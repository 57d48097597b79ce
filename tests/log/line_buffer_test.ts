import assert from "node:assert/strict";
import { LineBuffer } from "../../lib/log/line_buffer.ts";

const decode = (buffer: LineBuffer) => new TextDecoder().decode(buffer.view());

Deno.test("line buffer writes numbers as String() does", () => {
  const numbers = [
    0,
    7,
    65535,
    1_234_567_890,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    Number.MAX_SAFE_INTEGER,
  ];
  // Every digit count, at both of its ends.
  for (let power = 1; power <= 11; power++) numbers.push(10 ** power - 1, 10 ** power);
  const odd = [-0, -5, 2.5, NaN, Infinity, 2 ** 60, 1e21];
  for (const n of [...numbers, ...odd]) {
    const buffer = new LineBuffer(1);
    buffer.text("<");
    buffer.int(n);
    buffer.text(">");
    assert.equal(decode(buffer), `<${String(n)}>`, `${n}`);
    assert.ok(buffer.plain);
  }
});

Deno.test("line buffer grows and keeps every byte written before", () => {
  const buffer = new LineBuffer(4);
  let expected = "";
  for (let i = 0; i < 2_000; i++) {
    buffer.text("line ");
    buffer.int(i);
    buffer.newline();
    expected += `line ${i}\n`;
  }
  assert.equal(decode(buffer), expected);
  assert.equal(buffer.length, expected.length);
  assert.ok(buffer.capacity >= expected.length);
});

Deno.test("line buffer: a line with a character that is not printable ASCII is not plain, and rolls back", () => {
  for (const odd of ["\u0007", "\n", "\u007f", "\u0085", "é", "☕", "\ud834\udd1e"]) {
    const buffer = new LineBuffer();
    buffer.text("kept\n");
    const start = buffer.begin();
    buffer.text(`before ${odd} after`);
    assert.equal(buffer.plain, false, JSON.stringify(odd));
    buffer.rollback(start);
    assert.equal(buffer.plain, true);
    buffer.appendUtf8(`before ${odd} after\n`);
    assert.equal(decode(buffer), `kept\nbefore ${odd} after\n`);
  }
});

Deno.test("line buffer: begin() starts each line plain again", () => {
  const buffer = new LineBuffer();
  buffer.begin();
  buffer.text("é");
  assert.equal(buffer.plain, false);
  buffer.begin();
  buffer.text("e");
  assert.equal(buffer.plain, true);
});

Deno.test("line buffer: UTF-8 text of any length, and clear() keeps the capacity", () => {
  const buffer = new LineBuffer(8);
  const text = "café ☕ 𝄞 ".repeat(5_000) + "\n";
  buffer.appendUtf8(text);
  assert.equal(decode(buffer), text);
  const capacity = buffer.capacity;
  buffer.clear();
  assert.equal(buffer.length, 0);
  assert.equal(decode(buffer), "");
  assert.equal(buffer.capacity, capacity);
});
