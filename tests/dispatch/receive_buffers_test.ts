import assert from "node:assert/strict";
import { ReceiveBuffers, SLOTS_PER_SLAB } from "../../lib/dispatch/receive_buffers.ts";
import { MAX_DATAGRAM } from "../../lib/dispatch/udp.ts";

Deno.test("ReceiveBuffers.take() gives buffers that never overlap while they are taken", () => {
  const buffers = new ReceiveBuffers();
  const taken = Array.from({ length: SLOTS_PER_SLAB + 3 }, () => buffers.take());
  assert.equal(buffers.slabs, 2);
  const spans = taken.map((b) => ({
    slab: b.buffer,
    from: b.byteOffset,
    to: b.byteOffset + b.length,
  }));
  for (const [i, a] of spans.entries()) {
    assert.equal(taken[i].length, MAX_DATAGRAM);
    for (const b of spans.slice(i + 1)) {
      assert.ok(a.slab !== b.slab || a.to <= b.from || b.to <= a.from, "two buffers overlap");
    }
  }
});

Deno.test("ReceiveBuffers.give() lets a slab go once all its slots are free, but keeps the last", () => {
  const buffers = new ReceiveBuffers();
  const taken = Array.from({ length: SLOTS_PER_SLAB + 1 }, () => buffers.take());
  const last = taken.pop()!;
  for (const b of taken) buffers.give(b);
  assert.equal(buffers.slabs, 1);
  buffers.give(last);
  assert.equal(buffers.slabs, 1);
  assert.equal(buffers.take().buffer, last.buffer);
});

Deno.test("ReceiveBuffers.give() refuses a buffer it did not give", () => {
  const buffers = new ReceiveBuffers();
  buffers.take();
  assert.throws(() => buffers.give(new Uint8Array(MAX_DATAGRAM)), RangeError);
});
