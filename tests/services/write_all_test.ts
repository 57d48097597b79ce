import assert from "node:assert/strict";
import { writeAll, writeRest } from "../../lib/services/write_all.ts";

/** A writer that accepts at most the given count at each call, and records what it got. */
function writer(accepts: number[]) {
  const got: number[][] = [];
  return {
    got,
    write(p: Uint8Array): Promise<number> {
      const n = Math.min(p.length, accepts.shift() ?? p.length);
      got.push([...p.subarray(0, n)]);
      return Promise.resolve(n);
    },
  };
}

Deno.test("writeAll() writes every byte across partial writes, and nothing for an empty array", async () => {
  const stream = writer([2, 1, 3]);
  await writeAll(stream, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.deepEqual(stream.got, [[1, 2], [3], [4, 5, 6], [7, 8]]);
  const empty = writer([]);
  await writeAll(empty, new Uint8Array(0));
  assert.deepEqual(empty.got, []);
});

Deno.test("writeAll() throws WriteZero when a write accepts nothing, first or midway", async () => {
  for (const accepts of [[0], [3, 0]]) {
    const stream = writer([...accepts]);
    await assert.rejects(writeAll(stream, new Uint8Array(8)), Deno.errors.WriteZero);
    assert.equal(stream.got.length, accepts.length, JSON.stringify(accepts));
  }
});

Deno.test("writeRest() writes what a first write left, and throws WriteZero if that write took nothing", async () => {
  const stream = writer([]);
  await writeRest(stream, new Uint8Array([1, 2, 3, 4]), 1);
  assert.deepEqual(stream.got, [[2, 3, 4]]);
  await assert.rejects(writeRest(writer([]), new Uint8Array(4), 0), Deno.errors.WriteZero);
});
