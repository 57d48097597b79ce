/**
 * FaultyStream.finish(), the end of a service's part under out faults, on a
 * connection whose writes the test holds and lets go: what a write left
 * waiting still puts in the line, and when muxd gives up on a client that
 * stopped taking bytes.
 */

import assert from "node:assert/strict";
import { BufferPool } from "../../lib/services/buffer_pool.ts";
import { type CountedStream, FaultyStream } from "../../lib/faults/faulty_stream.ts";
import { faultsFrom, planTcpConnection, Random, SocketEnd } from "../../lib/faults/mod.ts";
import { STUCK_WRITE_LOOK_MS, STUCK_WRITE_MS } from "../../lib/faults/stuck_write.ts";
import { sleep, waitUntil } from "../_support/wait.ts";

/**
 * A connection as muxd counts it, without a socket: a write is taken whole
 * at once, or, while `holding`, waits until the test takes some of it.
 */
class HeldConnection implements CountedStream {
  bytesOut = 0;
  droppedIn = 0;
  droppedOut = 0;
  holding = false;
  #waiting: PromiseWithResolvers<number> & { readonly length: number } | null = null;

  get writing(): boolean {
    return this.#waiting !== null;
  }

  read(): Promise<number | null> {
    return Promise.resolve(null);
  }

  write(p: Uint8Array): Promise<number> {
    if (!this.holding) {
      this.bytesOut += p.length;
      return Promise.resolve(p.length);
    }
    this.#waiting = { ...Promise.withResolvers<number>(), length: p.length };
    return this.#waiting.promise;
  }

  /** The client takes `n` bytes of the write waiting. */
  take(n: number): void {
    const waiting = this.#waiting!;
    this.#waiting = null;
    this.bytesOut += Math.min(n, waiting.length);
    waiting.resolve(Math.min(n, waiting.length));
  }

  /** The write waiting fails, as the socket's close fails it. */
  fail(): void {
    this.#waiting?.reject(new Deno.errors.BadResource("closed"));
    this.#waiting = null;
  }

  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  beginDrain(): void {}
}

/** A FaultyStream with `options` over a {@linkcode HeldConnection}; its socket closed after `body`. */
async function withHeld(
  options: Record<string, string>,
  body: (faulty: FaultyStream, source: HeldConnection, reports: string[]) => Promise<void>,
): Promise<void> {
  const faults = faultsFrom({ ...options, seed: "1" }, "tcp");
  assert.ok(faults?.transport === "tcp");
  const plan = planTcpConnection(faults.tcp, new Random(1, 1));
  assert.ok(plan !== null);
  const source = new HeldConnection();
  const socket = new SocketEnd({ close: () => source.fail() });
  const reports: string[] = [];
  const faulty = new FaultyStream({
    source,
    buffers: new BufferPool(),
    socket,
    plan,
    startedMs: performance.now(),
    report: (fault, detail) => reports.push(`${fault}: ${detail}`),
  });
  try {
    await body(faulty, source, reports);
  } finally {
    faulty.release();
    socket.close();
    // Let the line's writer see the close.
    await sleep(10);
  }
}

Deno.test("FaultyStream.finish() stops a write waiting in a slice's sleep: it puts no more pieces in the line", async () => {
  // Pieces of 100 B, 300 ms apart, each out 800 ms later: two are in the
  // line at 450 ms, when the service returns; the third was due in at 600.
  await withHeld(
    { "latency-out": "800", slice: "100", "slice-delay": "300" },
    async (faulty, source) => {
      const writing = faulty.write(new Uint8Array(1000)).then(() => null, (error) => error);
      await sleep(450);
      await faulty.finish();
      assert.equal(source.bytesOut, 200, "the two pieces in the line went out, and no third");
      assert.ok(await writing instanceof Deno.errors.Interrupted, "the write left waiting ended");
    },
  );
});

Deno.test("FaultyStream.finish() gives up on a client STUCK_WRITE_MS after it last took a byte, not a whole look later", async () => {
  await withHeld({ "latency-out": "10" }, async (faulty, source, reports) => {
    source.holding = true;
    await faulty.write(new Uint8Array(1000));
    await waitUntil(() => source.writing, 2000, "the line's write to the client");
    const finishing = faulty.finish();
    // The client takes a little, 300 ms into the wait, then nothing more.
    await sleep(300);
    source.take(100);
    const took = performance.now();
    await finishing;
    const after = performance.now() - took;
    assert.ok(after >= STUCK_WRITE_MS - 5, `gave up ${after} ms after the last byte`);
    assert.ok(after < STUCK_WRITE_MS + STUCK_WRITE_LOOK_MS + 200, `gave up ${after} ms after it`);
    assert.equal(source.droppedOut, 900);
    assert.deepEqual(reports, [
      "latency: dropped 900 B out: the client took nothing for 1000 ms after the service was done",
    ]);
  });
});
