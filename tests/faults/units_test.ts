import assert from "node:assert/strict";
import { parseBytes } from "../../lib/faults/mod.ts";

Deno.test("parseBytes() names its least value in words that agree with it", () => {
  assert.throws(() => parseBytes("0", 1), { message: /^must be at least 1 byte, such as 4096/ });
  assert.throws(() => parseBytes("1", 2), { message: /^must be at least 2 bytes, such as 4096/ });
  assert.throws(() => parseBytes("x"), { message: /^must be bytes, such as 4096 .* not "x"$/ });
  assert.equal(parseBytes("64KiB", 1), 65_536);
});
