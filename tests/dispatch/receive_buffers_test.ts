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

Deno.test("ReceiveBuffers keeps the second slab of a server that crosses a slab's edge back and forth", () => {
  const buffers = new ReceiveBuffers();
  const full = Array.from({ length: SLOTS_PER_SLAB }, () => buffers.take());
  const first = buffers.take();
  buffers.give(first);
  for (let round = 0; round < 3; round++) {
    assert.equal(buffers.slabs, 2, "the empty second slab is kept while the first is full");
    const again = buffers.take();
    assert.equal(again.buffer, first.buffer, "the same slab, not 32 MiB more");
    buffers.give(again);
  }
  // Once the first slab has room, an empty slab is let go.
  buffers.give(full[0]);
  assert.equal(buffers.slabs, 2);
  const last = buffers.take();
  buffers.give(last);
  assert.equal(buffers.slabs, 2, "both have free slots; the first is not empty");
  for (const b of full.slice(1)) buffers.give(b);
  assert.equal(buffers.slabs, 1);
});

Deno.test("ReceiveBuffers.give() refuses a buffer it did not give", () => {
  const buffers = new ReceiveBuffers();
  buffers.take();
  assert.throws(() => buffers.give(new Uint8Array(MAX_DATAGRAM)), RangeError);
});
