import assert from "node:assert/strict";
import { BufferPool, LARGE_READ_BUFFER_SIZE } from "../../lib/services/buffer_pool.ts";
import { echoChunks } from "../../lib/services/echo.ts";
import { MEDIUM_READ_BUFFER_SIZE } from "../../lib/services/buffer_pool.ts";
import { ChunkReader, readChunks } from "../../lib/services/read_chunks.ts";
import type { Stream } from "../../lib/services/service.ts";
import { writeAll } from "../../lib/services/write_all.ts";
import { type Random, seededRandom } from "../_support/random.ts";

// The oracle: the plain loop echoChunks() stands for.
async function plainEcho(stream: Stream, pool: BufferPool): Promise<void> {
  for await (const chunk of readChunks(stream, pool)) await writeAll(stream, chunk);
}

/** How one scripted conversation goes: what the client sends, and how the socket behaves. */
interface Script {
  readonly seed: number;
  readonly input: Uint8Array;
  /** A write that accepts nothing now and then (echo must fail with WriteZero). */
  readonly stuckWrites: boolean;
  /** The read or write, counted from 1, that fails as a reset connection would; 0 for none. */
  readonly failAt: number;
}

/** Everything a loop did to its stream, and how it ended. */
interface Run {
  readonly calls: string[];
  readonly output: Uint8Array;
  readonly error: string | null;
  readonly spares: readonly number[];
}

/**
 * A stream that plays `script`: reads of random sizes up to the buffer
 * given, writes that accept a random part of what they are given. The same
 * script gives the same answers to the same calls.
 */
function scriptedStream(script: Script, calls: string[], output: number[]): Stream {
  const random: Random = seededRandom(script.seed);
  let at = 0;
  const fail = (what: string, error: Error) => {
    calls.push(`${what} failed`);
    throw error;
  };
  return {
    read(p) {
      if (calls.length + 1 === script.failAt) {
        fail("read", new Deno.errors.ConnectionReset("reset"));
      }
      if (at === script.input.length) {
        calls.push(`read ${p.length} -> end`);
        return Promise.resolve(null);
      }
      const most = Math.min(p.length, script.input.length - at);
      const n = random.chance(0.5) ? most : random.int(1, most);
      p.set(script.input.subarray(at, at + n));
      at += n;
      calls.push(`read ${p.length} -> ${n}`);
      return Promise.resolve(n);
    },
    write(p) {
      if (calls.length + 1 === script.failAt) fail("write", new Deno.errors.BrokenPipe("pipe"));
      const n = script.stuckWrites && random.chance(0.05)
        ? 0
        : random.chance(0.6)
        ? p.length
        : random.int(1, p.length);
      for (let i = 0; i < n; i++) output.push(p[i]);
      calls.push(`write ${p.length} -> ${n}`);
      return Promise.resolve(n);
    },
    closeWrite: () => Promise.resolve(),
  };
}

async function run(
  loop: (stream: Stream, pool: BufferPool) => Promise<void>,
  script: Script,
): Promise<Run> {
  const calls: string[] = [];
  const output: number[] = [];
  const pool = new BufferPool();
  let error: string | null = null;
  try {
    await loop(scriptedStream(script, calls, output), pool);
  } catch (e) {
    error = `${(e as Error).name}: ${(e as Error).message}`;
  }
  return {
    calls,
    output: new Uint8Array(output),
    error,
    spares: [pool.spares(MEDIUM_READ_BUFFER_SIZE), pool.spares(LARGE_READ_BUFFER_SIZE)],
  };
}

function randomScript(random: Random, seed: number): Script {
  const sizes = [0, 1, 1022, 1023, 1024, 17_407, 17_408, 300_000, random.int(0, 1_200_000)];
  const input = new Uint8Array(random.pick(sizes));
  for (let i = 0; i < input.length; i++) input[i] = (i * 31 + seed) & 0xff;
  return {
    seed,
    input,
    stuckWrites: random.chance(0.2),
    failAt: random.chance(0.2) ? random.int(1, 40) : 0,
  };
}

Deno.test("echoChunks() makes the same reads and writes, and ends the same way, as the plain readChunks/writeAll loop", async () => {
  const random = seededRandom(862);
  const endings = new Set<string>();
  for (let seed = 1; seed <= 300; seed++) {
    const script = randomScript(random, seed);
    const fast = await run(echoChunks, script);
    const plain = await run(plainEcho, script);
    const what = `seed ${seed}, ${script.input.length} bytes`;
    assert.deepEqual(fast.calls, plain.calls, what);
    assert.equal(fast.error, plain.error, what);
    assert.deepEqual(fast.spares, plain.spares, `${what}: the pool's spares`);
    assert.deepEqual(fast.output, plain.output, what);
    if (plain.error === null) assert.deepEqual(fast.output, script.input, what);
    endings.add(plain.error?.split(":")[0] ?? "end of stream");
  }
  // The scripts reached every way a loop ends.
  assert.deepEqual(
    [...endings].sort(),
    ["BrokenPipe", "ConnectionReset", "WriteZero", "end of stream"],
  );
});

Deno.test("ChunkReader.release() gives each pooled buffer back once, however the reads left them", async () => {
  // A stream whose every read fills the buffer: the reader steps up to
  // 16 KiB, then 256 KiB, and stays there (the same buffer lent and next).
  const full = { read: (p: Uint8Array) => Promise.resolve(p.length) };
  const steps = async (reads: number) => {
    const pool = new BufferPool();
    const reader = new ChunkReader(full, pool);
    for (let i = 0; i < reads; i++) await reader.read();
    reader.release();
    return [pool.spares(MEDIUM_READ_BUFFER_SIZE), pool.spares(LARGE_READ_BUFFER_SIZE)];
  };
  assert.deepEqual(await steps(1), [1, 0], "next: 16 KiB");
  assert.deepEqual(await steps(2), [1, 1], "lent: 16 KiB, next: 256 KiB");
  assert.deepEqual(await steps(4), [1, 1], "lent and next: the same 256 KiB, given back once");
});
