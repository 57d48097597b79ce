import assert from "node:assert/strict";
import { FAULT_KINDS } from "../../lib/faults/mod.ts";

Deno.test("app.js lists the fault kinds in the order muxd's FAULT_KINDS does", async () => {
  const script = await Deno.readTextFile(new URL("../../lib/dashboard/app.js", import.meta.url));
  const list = script.match(/const FAULT_KINDS = \[([^\]]*)\];/);
  assert.ok(list, "app.js has a FAULT_KINDS list");
  const kinds = [...list[1].matchAll(/"([a-z-]+)"/g)].map((m) => m[1]);
  assert.deepEqual(kinds, [...FAULT_KINDS]);
});
