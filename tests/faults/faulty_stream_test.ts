/**
 * FaultyStream's costs, seen on a real connection: what it reads into, and
 * whether the service's bytes are handed on as they are or copied into a
 * delay line. The connection's reads and writes are recorded on their way
 * to the socket.
 */

import assert from "node:assert/strict";
import { BufferPool } from "../../lib/services/buffer_pool.ts";
import { type CountedStream, FaultyStream } from "../../lib/faults/faulty_stream.ts";
import { DelayLine, TIMER_LEAD_MS } from "../../lib/faults/delay_line.ts";
import { faultsFrom, planTcpConnection, Random, SocketEnd } from "../../lib/faults/mod.ts";
import { waitUntil } from "../_support/wait.ts";

/** A connection on loopback, muxd's end wrapped in a FaultyStream with `options`, its reads and writes recorded. */
async function withFaulty(
  options: Record<string, string>,
  body: (
    faulty: FaultyStream,
    client: Deno.TcpConn,
    seen: { readSizes: number[]; written: Uint8Array[] },
  ) => Promise<void>,
): Promise<void> {
  const faults = faultsFrom({ ...options, seed: "1" }, "tcp");
  assert.ok(faults?.transport === "tcp");
  const plan = planTcpConnection(faults.tcp, new Random(1, 1));
  assert.ok(plan !== null);
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const conn = await listener.accept();
  const seen = { readSizes: [] as number[], written: [] as Uint8Array[] };
  let writes = 0;
  let bytesOut = 0;
  const source: CountedStream = {
    read: (p) => {
      seen.readSizes.push(p.length);
      return conn.read(p);
    },
    write: (p) => {
      seen.written.push(p);
      writes++;
      return conn.write(p).then((n) => (bytesOut += n, n)).finally(() => writes--);
    },
    closeWrite: () => conn.closeWrite(),
    get writing() {
      return writes > 0;
    },
    get bytesOut() {
      return bytesOut;
    },
    droppedIn: 0,
    droppedOut: 0,
    beginDrain: () => {},
  };
  const socket = new SocketEnd(conn);
  const faulty = new FaultyStream({
    source,
    buffers: new BufferPool(),
    socket,
    plan,
    startedMs: performance.now(),
    report: () => {},
  });
  try {
    await body(faulty, client, seen);
  } finally {
    faulty.release();
    client.close();
    socket.close();
    // Let the reader's last read end with the socket.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function readExactly(conn: Deno.TcpConn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  for (let at = 0; at < n;) {
    const got = await conn.read(out.subarray(at));
    assert.ok(got !== null, `end of stream after ${at} of ${n} B`);
    at += got;
  }
  return out;
}

Deno.test("FaultyStream with latency=0 and no jitter reads into the service's buffer and writes its bytes uncopied, at once", async () => {
  await withFaulty({ latency: "0" }, async (faulty, client, seen) => {
    await client.write(new TextEncoder().encode("hello"));
    const p = new Uint8Array(1023);
    const n = await faulty.read(p);
    assert.equal(new TextDecoder().decode(p.subarray(0, n!)), "hello");
    assert.deepEqual(seen.readSizes, [1023], "one read, into the service's own buffer");

    const reply = new TextEncoder().encode("world");
    await faulty.write(reply);
    assert.equal(seen.written.length, 1, "the write reached the connection before it resolved");
    assert.equal(seen.written[0], reply, "the service's own bytes, not a copy");
    assert.equal(new TextDecoder().decode(await readExactly(client, 5)), "world");
  });
});

Deno.test("FaultyStream under latency-in waits for data with 1,023 bytes, reads larger pooled buffers while data keeps coming, and waits small again", async () => {
  await withFaulty({ "latency-in": "20" }, async (faulty, client, seen) => {
    const p = new Uint8Array(256 * 1024);
    const first = faulty.read(p);
    // Failed assertions below close the connection under it: not an uncaught rejection.
    first.catch(() => {});
    await waitUntil(() => seen.readSizes.length > 0, 2000, "the reader's first read");
    assert.deepEqual(seen.readSizes, [1023], "an idle connection waits with 1,023 bytes");

    const sent = new Uint8Array(200_000).map((_, i) => i % 251);
    const sending = (async () => {
      for (let at = 0; at < sent.length;) at += await client.write(sent.subarray(at));
    })();
    const got: number[] = [];
    let n = await first;
    for (;;) {
      got.push(...p.subarray(0, n!));
      if (got.length >= sent.length) break;
      n = await faulty.read(p);
    }
    await sending;
    assert.deepEqual(new Uint8Array(got), sent, "every byte, in order");
    assert.ok(seen.readSizes.some((size) => size > 1023), `read sizes ${seen.readSizes}`);
    // The reader goes on reading once the service took everything: it waits small.
    await waitUntil(
      () => seen.readSizes.at(-1) === 1023,
      2000,
      "a read that waits in 1,023 bytes",
      () => `read sizes ${seen.readSizes}`,
    );
  });
});

Deno.test("FaultyStream.write() under jitter hands a chunk that is due at once and has nothing ahead on uncopied, and copies one the line holds", async () => {
  // latency 0 ± 10 ms: about half the chunks are due at once.
  await withFaulty({ latency: "0", jitter: "10" }, async (faulty, client, seen) => {
    const chunks: Uint8Array[] = Array.from({ length: 30 }, (_, i) => new Uint8Array([i]));
    for (const chunk of chunks) {
      await faulty.write(chunk);
      // Everything out: the next chunk has nothing ahead of it.
      await faulty.flush();
    }
    assert.deepEqual([...await readExactly(client, 30)], chunks.map((c) => c[0]), "in order");
    const uncopied = seen.written.filter((w) => chunks.some((c) => c.buffer === w.buffer)).length;
    assert.equal(seen.written.length, 30);
    assert.ok(uncopied >= 5 && uncopied <= 25, `${uncopied} of 30 went uncopied`);
  });
});

Deno.test("DelayLine.takeDue() hands out a due chunk without a promise, and undefined until one is due", () => {
  const line = new DelayLine(0, 0, new Random(1));
  assert.equal(line.takeDue(10), undefined, "empty");
  line.push(new Uint8Array([1, 2, 3]));
  assert.deepEqual(line.takeDue(2), new Uint8Array([1, 2]));
  assert.deepEqual(line.takeDue(10), new Uint8Array([3]));
  line.end();
  assert.equal(line.takeDue(10), null, "ended and empty");

  const later = new DelayLine(1000, 0, new Random(1));
  later.push(new Uint8Array([1]));
  assert.equal(later.takeDue(10), undefined, "not due for a second");
  later.fail(new Error("done"));
});

Deno.test("DelayLine.takeDue() hands out a chunk within TIMER_LEAD_MS of its due time: a timer re-armed for the rest would fire ms late", () => {
  const line = new DelayLine(TIMER_LEAD_MS * 0.9, 0, new Random(1));
  line.push(new Uint8Array([1]));
  assert.deepEqual(line.takeDue(10), new Uint8Array([1]));
  const later = new DelayLine(TIMER_LEAD_MS + 50, 0, new Random(1));
  later.push(new Uint8Array([1]));
  assert.equal(later.takeDue(10), undefined, "due later than the lead");
  later.fail(new Error("done"));
});
