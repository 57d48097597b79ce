import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { getBatchSink } from "../../lib/log/batch_sink.ts";

/** A stream that keeps every chunk written to it; `hold` makes writes wait until released. */
function collector() {
  const chunks: Uint8Array[] = [];
  let release: () => void = () => {};
  let held: Promise<void> | null = null;
  const hold = () => {
    if (held === null) held = new Promise((resolve) => release = resolve);
  };
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (held) await held;
      // A write takes a moment, as a real one does; the chunk is copied when
      // it completes, so a sink that reused its buffer too soon would show.
      await new Promise((resolve) => setTimeout(resolve, 1));
      chunks.push(chunk.slice());
    },
  });
  return {
    stream,
    chunks,
    text: () => new TextDecoder().decode(concat(chunks)),
    hold,
    release() {
      held = null;
      release();
    },
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const record = (text: string): LogRecord => ({
  category: ["muxd"],
  level: "info",
  message: [text],
  rawMessage: text,
  properties: {},
  timestamp: 0,
});

const formatter = (r: LogRecord) => `${r.message[0]}\n`;

Deno.test("batch sink writes records and lines in order, many to a write", async () => {
  const out = collector();
  const sink = getBatchSink(out.stream, { formatter });
  const expected: string[] = [];
  for (let i = 0; i < 1_000; i++) {
    if (i % 2 === 0) sink(record(`record ${i}`));
    else sink.writeLine(`line ${i}\n`);
    expected.push(i % 2 === 0 ? `record ${i}\n` : `line ${i}\n`);
  }
  await sink[Symbol.asyncDispose]();
  assert.equal(out.text(), expected.join(""));
  assert.ok(out.chunks.length < 10, `${out.chunks.length} writes for 1,000 lines`);
});

Deno.test("batch sink keeps every byte of non-ASCII and of long lines", async () => {
  const out = collector();
  const sink = getBatchSink(out.stream, { formatter });
  const lines = [
    "tcp [fe80::1%eth0]:7007 <- café ☕ 𝄞\n",
    "x".repeat(200_000) + "\n",
    "é".repeat(70_000) + "\n",
    "after\n",
  ];
  for (const line of lines) sink.writeLine(line);
  await sink[Symbol.asyncDispose]();
  assert.equal(out.text(), lines.join(""));
});

Deno.test("batch sink loses nothing that arrives while a write is stalled", async () => {
  const out = collector();
  const sink = getBatchSink(out.stream, { formatter });
  const expected = [];
  for (let batch = 0; batch < 4; batch++) {
    // Each batch goes out to a stalled write; the next one arrives meanwhile.
    out.hold();
    for (let i = 0; i < 100; i++) {
      const line = `batch ${batch} line ${i}\n`;
      sink.writeLine(line);
      expected.push(line);
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    if (batch % 2 === 1) out.release();
  }
  out.release();
  await sink[Symbol.asyncDispose]();
  assert.equal(out.text(), expected.join(""));
});

Deno.test("batch sink drops lines past its limit while stuck, counts them, and says so", async () => {
  const out = collector();
  const sink = getBatchSink(out.stream, { formatter, maxPendingBytes: 1_000 });
  out.hold();
  sink.writeLine("first\n");
  // The first batch goes to the stalled stream; the next ones wait behind it.
  await new Promise((resolve) => setTimeout(resolve, 30));
  const line = "0123456789".repeat(9) + "\n"; // 91 bytes
  for (let i = 0; i < 20; i++) sink.writeLine(line);
  out.release();
  await sink[Symbol.asyncDispose]();
  const text = out.text();
  // A line is taken while fewer than 1,000 bytes wait: 11 were (1,001 bytes);
  // the other 9 were dropped and counted.
  assert.equal(text.split(line).length - 1, 11);
  assert.match(text, /^first\n/);
  assert.match(text, /muxd: 9 log line\(s\) dropped: standard error could not keep up\n$/);
});

Deno.test("batch sink keeps writing after a batch that turned out empty", async () => {
  const out = collector();
  const sink = getBatchSink(out.stream, { formatter });
  // A caller took the buffer and then wrote nothing.
  assert.notEqual(sink.lineBuffer(), null);
  await new Promise((resolve) => setTimeout(resolve, 30));
  sink.writeLine("after\n");
  // Written by a flush of its own, not only when the sink is disposed (a
  // busy machine may take longer than the 10 ms the flush waits for).
  const deadline = performance.now() + 5000;
  while (out.text() === "" && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(out.text(), "after\n");
  await sink[Symbol.asyncDispose]();
});

/** Outputs whose every write fails as a closed pipe does, counting the tries. */
const FAILING_OUTPUTS = {
  stream: (tried: () => void) =>
    new WritableStream<Uint8Array>({
      write() {
        tried();
        throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
      },
    }),
  SyncWriter: (tried: () => void) => ({
    writeSync(): number {
      tried();
      throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
    },
  }),
};

for (const [kind, failing] of Object.entries(FAILING_OUTPUTS)) {
  Deno.test(`batch sink drops lines, and never throws, once a write to its ${kind} fails`, async () => {
    let writes = 0;
    const sink = getBatchSink(failing(() => writes++), { formatter });
    sink.writeLine("lost\n");
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(writes, 1);
    // Later lines are dropped at once: no further write is tried, nothing rejects.
    for (let i = 0; i < 100; i++) sink.writeLine(`line ${i}\n`);
    assert.equal(sink.lineBuffer(), null);
    await sink[Symbol.asyncDispose]();
    assert.equal(writes, 1);
  });
}

Deno.test("batch sink writes a line that arrives just as a write completes, before it is disposed", async () => {
  // The last line of a run (muxd's "bye") may arrive in any microtask after
  // the write before it completes; try each one in turn.
  for (let hops = 0; hops < 40; hops++) {
    const chunks: string[] = [];
    const written = Promise.withResolvers<void>();
    const stream = new WritableStream<Uint8Array>({
      write(chunk) {
        chunks.push(new TextDecoder().decode(chunk));
        return written.promise;
      },
    });
    const sink = getBatchSink(stream, { formatter });
    sink.writeLine("first\n");
    while (chunks.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    written.resolve();
    for (let i = 0; i < hops; i++) await Promise.resolve();
    sink.writeLine("last\n");
    await sink[Symbol.asyncDispose]();
    assert.equal(chunks.join(""), "first\nlast\n", `"last" written ${hops} microtasks after`);
  }
});

Deno.test("batch sink gathers the lines that come during a write into the next batch, not one write each", async () => {
  let writes = 0;
  const stream = new WritableStream<Uint8Array>({
    async write() {
      writes++;
      // A write that takes a moment, as one to a file does (a thread's round trip).
      await new Promise((resolve) => setTimeout(resolve, 1));
    },
  });
  const sink = getBatchSink(stream, { formatter });
  let lines = 0;
  const started = performance.now();
  // A line every turn of the event loop, about as often as a write takes.
  while (performance.now() - started < 200) {
    sink.writeLine(`line ${lines++}\n`);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await sink[Symbol.asyncDispose]();
  assert.ok(writes * 3 < lines, `${writes} writes for ${lines} lines`);
});

Deno.test("batch sink writes each batch to a SyncWriter in place, in order, one writeSync a batch, and a short write is finished", async () => {
  const writes: Uint8Array[] = [];
  // Takes at most 1,000 bytes a call, as a file may.
  const output = {
    writeSync(p: Uint8Array) {
      const n = Math.min(p.length, 1000);
      writes.push(p.slice(0, n));
      return n;
    },
  };
  const sink = getBatchSink(output, { formatter });
  const expected: string[] = [];
  for (let i = 0; i < 100; i++) {
    sink.writeLine(`line ${i}\n`);
    expected.push(`line ${i}\n`);
  }
  await new Promise((resolve) => setTimeout(resolve, 30));
  const first = writes.length;
  // 790 bytes: one batch, one call.
  assert.equal(first, 1);
  for (let i = 100; i < 300; i++) {
    sink.writeLine(`line ${i}\n`);
    expected.push(`line ${i}\n`);
  }
  await sink[Symbol.asyncDispose]();
  assert.equal(new TextDecoder().decode(concat(writes)), expected.join(""));
  // 2,000 bytes more: one batch in two calls.
  assert.equal(writes.length, first + 2);
});

Deno.test("batch sink disposal gives up the lines still waiting once a write has taken stallMs: a pipe nobody reads does not keep muxd alive", async () => {
  let started = false;
  const stream = new WritableStream<Uint8Array>({
    write() {
      started = true;
      // A reader that never reads: the write never completes.
      return new Promise<void>(() => {});
    },
  });
  const sink = getBatchSink(stream, { formatter, stallMs: 100 });
  sink.writeLine("never read\n");
  while (!started) await new Promise((resolve) => setTimeout(resolve, 1));
  sink.writeLine("waits behind it\n");
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => timer = setTimeout(() => resolve("hung"), 3000));
  const outcome = await Promise.race([sink[Symbol.asyncDispose]().then(() => "done"), hung]);
  clearTimeout(timer);
  assert.equal(outcome, "done", "disposal waited for a write that never completes");
  const took = performance.now() - t0;
  assert.ok(took >= 90 && took < 1000, `gave up after ${took} ms`);
});

Deno.test("batch sink with onDropped tells it the count of dropped lines and writes no line of words among its own", async () => {
  const out = collector();
  const counts: number[] = [];
  const sink = getBatchSink(out.stream, {
    formatter,
    maxPendingBytes: 1_000,
    onDropped: (n) => counts.push(n),
  });
  out.hold();
  sink.writeLine("{}\n");
  await new Promise((resolve) => setTimeout(resolve, 30));
  for (let i = 0; i < 200; i++) sink.writeLine(`{"record":${i}}\n`);
  out.release();
  await sink[Symbol.asyncDispose]();
  assert.ok(counts.length > 0 && counts.reduce((a, b) => a + b) > 0, `counts ${counts}`);
  for (const line of out.text().trimEnd().split("\n")) JSON.parse(line);
});
