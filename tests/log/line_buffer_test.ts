import assert from "node:assert/strict";
import { LineBuffer } from "../../lib/log/line_buffer.ts";

const decode = (buffer: LineBuffer) => new TextDecoder().decode(buffer.view());

/** Writes ASCII `text` in place, as a byte writer does. */
function writeInPlace(buffer: LineBuffer, text: string): void {
  const bytes = buffer.reserve(text.length);
  for (let i = 0; i < text.length; i++) bytes[buffer.length + i] = text.charCodeAt(i);
  buffer.length += text.length;
}

Deno.test("LineBuffer grows and keeps every byte written before, in place or as UTF-8", () => {
  const buffer = new LineBuffer(4);
  let expected = "";
  for (let i = 0; i < 2_000; i++) {
    const line = i % 3 === 0 ? `café ${i}\n` : `line ${i}\n`;
    if (i % 3 === 0) buffer.appendUtf8(line);
    else writeInPlace(buffer, line);
    expected += line;
  }
  assert.equal(decode(buffer), expected);
  assert.equal(buffer.length, new TextEncoder().encode(expected).length);
  assert.ok(buffer.capacity >= buffer.length);
});

Deno.test("LineBuffer drops what was written from the length it is set back to", () => {
  const buffer = new LineBuffer(8);
  buffer.appendUtf8("kept\n");
  const start = buffer.length;
  writeInPlace(buffer, "a line that grows the buffer and is dropped");
  buffer.length = start;
  buffer.appendUtf8("next\n");
  assert.equal(decode(buffer), "kept\nnext\n");
});

Deno.test("LineBuffer refuses a length below 0 or past its capacity", () => {
  const buffer = new LineBuffer(8);
  for (const length of [-1, 9, NaN, Infinity]) {
    assert.throws(() => buffer.length = length, RangeError, String(length));
  }
  assert.equal(buffer.length, 0);
});

Deno.test("LineBuffer takes UTF-8 text of any length, and clear() keeps the capacity", () => {
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
