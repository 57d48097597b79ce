/**
 * TCP faults seen from outside: a real client (Python's socket module, as
 * a learner writes it) measures what each fault does, against its bound,
 * with a fixed seed. Each test fails when its fault is absent.
 */

import assert from "node:assert/strict";
import { TIMER_LEAD_MS } from "../../lib/faults/delay_line.ts";
import type { ServerEvent } from "../../lib/events/mod.ts";
import { python, type ReadResult, withServer } from "./_tcp.ts";
import { waitUntil } from "../_support/wait.ts";
import { nc } from "../_support/netcat.ts";

const ECHO = "tcp://127.0.0.1:0=echo";

Deno.test("latency= delays each way: an echo round trip takes twice the latency", async () => {
  await withServer([`${ECHO}?latency=50&seed=1`, ECHO], async (s) => {
    const delayed = await python<{ times: number[] }>("rtt", s.port(0), 5);
    const plain = await python<{ times: number[] }>("rtt", s.port(1), 5);
    for (const t of delayed.times) {
      // Each way a chunk may go up to TIMER_LEAD_MS early.
      assert.ok(
        t >= 100 - 2 * TIMER_LEAD_MS && t < 100 + 150,
        `a round trip took ${t} ms, not about 100`,
      );
    }
    assert.ok(Math.min(...plain.times) < 50, "the client measures: without latency it is fast");
    await s.closed(2);
    const faults = s.of("fault");
    assert.deepEqual(faults.map((e) => [e.fault, e.detail, e.on]), [
      ["latency", "50 ms in, 50 ms out", null],
    ]);
    assert.equal(faults[0].id, s.of("connection-opened")[0].id);
    assert.deepEqual(s.of("connection-closed").map((e) => e.reason), ["done", "done"]);
  });
});

Deno.test("latency= keeps throughput: 512 KiB through an echo with latency=50 takes far less than a round trip per chunk", async () => {
  await withServer([`${ECHO}?latency=50&seed=1`], async (s) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port() });
    try {
      const size = 512 * 1024;
      const data = new Uint8Array(size).map((_, i) => i % 251);
      const started = performance.now();
      const sending = (async () => {
        for (let at = 0; at < size; at += 16 * 1024) {
          await conn.write(data.subarray(at, at + 16 * 1024));
        }
        await conn.closeWrite();
      })();
      const got = new Uint8Array(size + 1);
      let filled = 0;
      for (;;) {
        const n = await conn.read(got.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      await sending;
      const took = performance.now() - started;
      assert.equal(filled, size);
      assert.deepEqual(got.subarray(0, size), data, "every byte back, in order");
      // 32 chunks of 16 KiB one at a time would take 32 round trips: 3.2 s.
      assert.ok(took >= 100 && took < 1500, `took ${Math.round(took)} ms`);
    } finally {
      conn.close();
    }
  });
});

Deno.test("jitter= varies each round trip within latency ± jitter each way, order kept", async () => {
  await withServer([`${ECHO}?latency=50&jitter=20&seed=3`], async (s) => {
    const { times } = await python<{ times: number[] }>("rtt", s.port(), 20);
    for (const t of times) {
      assert.ok(t >= 59 && t < 140 + 150, `a round trip took ${t} ms, outside 60-140 ms`);
    }
    const spread = Math.max(...times) - Math.min(...times);
    assert.ok(spread > 15, `round trips from ${Math.min(...times)} to ${Math.max(...times)} ms`);
    await s.closed(1);
    assert.equal(s.of("fault")[0].detail, "50 ms in, 50 ms out ±20 ms");
  });
});

Deno.test("bandwidth-out= paces what the client reads: 150 KB at 100 KB/s take 1.5 s ± 10 %", async () => {
  // idle=0.5: a paced connection moves bytes all along, so it is never idle.
  await withServer(
    ["tcp://127.0.0.1:0=chargen?bandwidth-out=100KB/s&idle=0.5&seed=1"],
    async (s) => {
      const r = await python<ReadResult>("read", s.port(), "", 150_000, 5);
      assert.ok(r.bytes >= 150_000);
      // From the first byte to the 150,000th: the rate the schedule keeps.
      const rate = (r.bytes - r.sizes[0]) / ((r.times.at(-1)! - r.times[0]) / 1000);
      assert.ok(rate > 90_000 && rate < 110_000, `${Math.round(rate)} B/s`);
      await s.closed(1);
      assert.equal(s.of("fault")[0].detail, "100,000 B/s out");
    },
  );
});

Deno.test("bandwidth-in= paces what muxd reads: 100 KB up to discard at 100 KB/s take 1 s ± 10 %", async () => {
  await withServer(["tcp://127.0.0.1:0=discard?bandwidth-in=100KB/s&seed=1"], async (s) => {
    const r = await python<{ ms: number; end: string }>("upload", s.port(), 100_000);
    assert.equal(r.end, "eof");
    assert.ok(r.ms > 900 && r.ms < 1100, `took ${r.ms} ms`);
    await s.closed(1);
    assert.equal(s.of("fault")[0].detail, "100,000 B/s in");
  });
});

Deno.test("slice= sends what the service writes in pieces of N bytes, slice-delay apart", async () => {
  await withServer([`${ECHO}?slice=4&slice-delay=30&seed=1`], async (s) => {
    const r = await python<ReadResult>("read", s.port(), "hello, world", 12, 2);
    assert.equal(r.bytes, 12);
    assert.ok(r.sizes.every((n) => n <= 4), `read sizes ${r.sizes}`);
    assert.equal(r.sizes.length, 3);
    const gaps = r.times.slice(1).map((t, i) => t - r.times[i]);
    assert.ok(gaps.every((g) => g >= 25), `gaps ${gaps} ms`);
    await s.closed(1);
    assert.equal(s.of("fault")[0].detail, "pieces of 4 B, 30 ms apart");
  });
});

Deno.test("close-after= bytes: the client reads exactly N bytes, then end of stream; reason fault", async () => {
  await withServer(["tcp://127.0.0.1:0=chargen?close-after=1000&seed=1"], async (s) => {
    const r = await python<ReadResult>("read", s.port(), "", 100_000, 3);
    assert.deepEqual([r.bytes, r.end], [1000, "eof"]);
    await s.closed(1);
    const [closed] = s.of("connection-closed");
    assert.deepEqual(
      [closed.reason, closed.detail, closed.bytesOut],
      ["fault", "closed after 1,000 B", 1000],
    );
    assert.deepEqual(s.of("fault").map((e) => [e.fault, e.detail]), [
      ["close", "closed after 1,000 B"],
    ]);
  });
});

Deno.test("close-after= counts bytes either way: an echo of 10 B each way, then 5 B more in, closes", async () => {
  await withServer([`${ECHO}?close-after=25&seed=1`], async (s) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port() });
    try {
      await conn.write(new TextEncoder().encode("0123456789"));
      const buffer = new Uint8Array(100);
      let got = 0;
      while (got < 10) got += (await conn.read(buffer.subarray(got)))!;
      await conn.write(new TextEncoder().encode("abcdefghij"));
      assert.equal(await conn.read(buffer), null, "end of stream, no echo of the second part");
    } finally {
      conn.close();
    }
    await s.closed(1);
    const [closed] = s.of("connection-closed");
    assert.deepEqual([closed.reason, closed.detail, closed.bytesOut], [
      "fault",
      "closed after 25 B",
      10,
    ]);
  });
});

Deno.test("close-after= ms: the client reads end of stream that long after connecting", async () => {
  await withServer([`${ECHO}?close-after=300ms&seed=1`], async (s) => {
    const r = await python<ReadResult>("read", s.port(), "", 1, 3);
    assert.equal(r.end, "eof");
    assert.ok(r.ms >= 290 && r.ms < 1000, `end of stream after ${r.ms} ms`);
    await s.closed(1);
    const [closed] = s.of("connection-closed");
    assert.deepEqual([closed.reason, closed.detail], ["fault", "closed after 300 ms"]);
  });
});

for (const faults of ["", "&latency=20"]) {
  Deno.test(`close-after= ms acts on time while a write waits on a client that does not read: the socket is closed whole${faults}`, async () => {
    // chargen fills the client's buffers and waits; a FIN would wait behind
    // that write for ever (Deno half-closes after the write in flight).
    await withServer([`tcp://127.0.0.1:0=chargen?close-after=300ms&seed=1${faults}`], async (s) => {
      using _client = await Deno.connect({ hostname: "127.0.0.1", port: s.port() });
      await s.closed(1, 3000);
      const [closed] = s.of("connection-closed");
      assert.deepEqual([closed.reason, closed.detail], [
        "fault",
        "closed after 300 ms (closed whole: the client was not reading)",
      ]);
      assert.ok(closed.durationMs < 1500, `closed after ${closed.durationMs} ms`);
    });
  });
}

Deno.test("close-after= ms waits for a client that reads slowly: its bytes, then end of stream, not a whole close", async () => {
  // chargen keeps a write waiting on a client that takes 16 KiB every 5 ms:
  // the write goes on, so the FIN follows it.
  await withServer(["tcp://127.0.0.1:0=chargen?close-after=300ms&seed=1"], async (s) => {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port() });
    const buffer = new Uint8Array(16 * 1024);
    let total = 0;
    const started = performance.now();
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      total += n;
      assert.ok(performance.now() - started < 10_000, "no end of stream within 10 s");
      await new Promise((r) => setTimeout(r, 5));
    }
    await s.closed(1);
    const [closed] = s.of("connection-closed");
    assert.deepEqual([closed.reason, closed.detail], ["fault", "closed after 300 ms"]);
    assert.equal(closed.bytesOut, total, "every byte written reached the client");
  });
});

Deno.test("reset-after= resets the connection with a real RST under unread bytes: the client sees ECONNRESET, never end of stream", async () => {
  await withServer([
    "tcp://127.0.0.1:0=discard?reset-after=1000&seed=1",
    "tcp://127.0.0.1:0=discard?reset-after=1000000&seed=1",
  ], async (s) => {
    type Reset = ReadResult & { sendAfterEnd?: string; sendError?: string };
    const reset = await python<Reset>("read", s.port(0), "bytes:200000", 1, 3);
    assert.ok(
      reset.end === "reset" || reset.sendError === "ConnectionResetError",
      JSON.stringify(reset),
    );
    const kept = await python<Reset>("read", s.port(1), "bytes:200000", 1, 0.3);
    assert.equal(kept.end, "timeout", "below its trigger the connection stays");
    await s.closed(1);
    const [closed] = s.of("connection-closed");
    assert.equal(closed.reason, "fault");
    assert.equal(closed.detail, "reset after 1,000 B");
    assert.deepEqual(s.of("fault").map((e) => [e.fault, e.detail]), [["reset", closed.detail]]);
  });
});

Deno.test("reset-after= resets a connection with nothing unread at muxd with a real RST, by bytes (chargen) and by time (a quiet echo)", async () => {
  await withServer([
    "tcp://127.0.0.1:0=chargen?reset-after=1000",
    // A client that sends nothing to echo: nothing moves until the reset.
    "tcp://127.0.0.1:0=echo?reset-after=200ms",
  ], async (s) => {
    const byBytes = await python<ReadResult>("read", s.port(0), "", 10_000_000, 3);
    assert.equal(byBytes.end, "reset", JSON.stringify({ ...byBytes, sizes: undefined }));
    assert.ok(byBytes.bytes <= 1000, `${byBytes.bytes} B arrived before the reset`);
    const byTime = await python<ReadResult>("read", s.port(1), "", 1_000_000_000, 3);
    assert.equal(byTime.end, "reset");
    assert.ok(byTime.ms >= 190, `reset after ${byTime.ms} ms`);
    await s.closed(2);
    assert.deepEqual(
      s.of("connection-closed").map((e) => [e.reason, e.detail]).sort(),
      [["fault", "reset after 1,000 B"], ["fault", "reset after 200 ms"]],
    );
  });
});

Deno.test("reset-after= on a service that writes at once: nc -N with nothing to send gets the reply every time", async () => {
  // netcat half-closes as soon as its standard input ends, often before muxd
  // has taken the connection: the reply must still go (Deno 2.9's node:net
  // drops a write made too soon after such an accept, see lib/bind/node_tcp.ts).
  await withServer([
    "tcp://127.0.0.1:0=daytime?reset-after=1GiB",
    "tcp://127.0.0.1:0=whoami?reset-after=1GiB",
  ], async (s) => {
    for (let i = 0; i < 30; i++) {
      const daytime = await nc(["-N", "127.0.0.1", String(s.port(0))]);
      assert.match(daytime.text, /^.+\r\n$/, `run ${i + 1}: ${JSON.stringify(daytime)}`);
      const whoami = await nc(["-N", "127.0.0.1", String(s.port(1))]);
      assert.match(whoami.text, /127\.0\.0\.1/, `run ${i + 1}: ${JSON.stringify(whoami)}`);
    }
    await s.closed(60);
    assert.deepEqual(s.of("error"), []);
    const reasons = new Set(s.of("connection-closed").map((e) => e.reason));
    assert.ok(!reasons.has("reset"), `reasons: ${[...reasons].join(", ")}`);
  });
});

Deno.test("stall-after= stops reading after N bytes: the client's writes block, and what the service wrote still arrives", async () => {
  await withServer([
    "tcp://127.0.0.1:0=discard?stall-after=10000&seed=1",
    "tcp://127.0.0.1:0=discard",
    `${ECHO}?stall-after=5&idle=0.5&seed=1`,
  ], async (s) => {
    const stalled = await python<{ sent: number; end: string }>("push", s.port(0), 64_000_000, 0.5);
    const free = await python<{ sent: number; end: string }>("push", s.port(1), 64_000_000, 0.5);
    assert.equal(stalled.end, "timeout", JSON.stringify(stalled));
    // N, plus what the kernel buffers on both sides hold.
    assert.ok(stalled.sent >= 10_000 && stalled.sent < 16_000_000, `${stalled.sent} B went`);
    assert.equal(free.end, "max", "without the stall, the client sends all it has");
    const echoed = await python<ReadResult>("read", s.port(2), "hello, world", 100, 0.3);
    assert.deepEqual([echoed.bytes, echoed.end], [5, "timeout"]);
    await s.closed(2);
    const stalls = s.of("fault").filter((e) => e.fault === "stall").map((e) => e.detail);
    assert.deepEqual(stalls.sort(), [
      "stopped reading after 10,000 B",
      "stopped reading after 5 B",
    ]);
    assert.deepEqual(
      s.of("connection-closed").map((e) => [e.service, e.reason, e.bytesIn, e.bytesOut]),
      [["discard", "done", 64_000_000, 0], ["echo", "idle", 5, 5]],
      "the stalled discard is still open: it moves no byte, and its idle limit is 300 s",
    );
  });
});

Deno.test("hang= accepts, then neither reads, writes nor closes until the idle limit", async () => {
  await withServer([`${ECHO}?hang=1&idle=0.5&seed=1`], async (s) => {
    const quiet = await python<ReadResult>("read", s.port(), "hello", 100, 0.3);
    assert.deepEqual([quiet.bytes, quiet.end], [0, "timeout"], "no echo: the client times out");
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port() });
    const opened = performance.now();
    try {
      assert.equal(await conn.read(new Uint8Array(10)), null, "closed at the idle limit");
      const after = performance.now() - opened;
      assert.ok(after >= 450 && after < 1500, `closed after ${Math.round(after)} ms`);
    } finally {
      conn.close();
    }
    await s.closed(2);
    assert.deepEqual(s.of("connection-closed").map((e) => [e.reason, e.bytesIn]), [
      ["idle", 0],
      ["idle", 0],
    ]);
    assert.deepEqual(s.of("fault").map((e) => [e.fault, e.detail]), [
      ["hang", "hangs until idle (0.5 s)"],
      ["hang", "hangs until idle (0.5 s)"],
    ]);
  });
});

/** The ordinals (from 0) of the connections that hang among `count` in a row. */
async function hangingOrdinals(spec: string, count: number): Promise<number[]> {
  let hanging: number[] = [];
  await withServer([spec], async (s) => {
    for (let i = 0; i < count; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port() });
      // One at a time, so that the n-th connection is the n-th accepted.
      await waitUntil(() => s.of("connection-opened").length > i, 3000, `connection ${i}`);
      conn.close();
    }
    const ids = s.of("connection-opened").map((e) => e.id);
    const hung = new Set(s.of("fault").filter((e) => e.fault === "hang").map((e) => e.id));
    hanging = ids.flatMap((id, ordinal) => hung.has(id) ? [ordinal] : []);
  });
  return hanging;
}

Deno.test("hang=0.5&seed=1 hangs the same connections in two runs, about half of 40", async () => {
  const spec = `${ECHO}?hang=0.5&seed=1&idle=30`;
  const first = await hangingOrdinals(spec, 40);
  const second = await hangingOrdinals(spec, 40);
  assert.deepEqual(second, first);
  // Binomial(40, 0.5): mean 20, σ ≈ 3.2; ±4σ.
  assert.ok(first.length >= 8 && first.length <= 32, `${first.length} of 40 hung`);
  const other = await hangingOrdinals(`${ECHO}?hang=0.5&seed=2&idle=30`, 40);
  assert.notDeepEqual(other, first, "another seed, other connections");
});

Deno.test("latency= acts on exec and forward listeners too", async () => {
  const cat = `run=${
    encodeURIComponent(JSON.stringify([
      "python3",
      "-u",
      "-c",
      "import sys\nfor line in sys.stdin: sys.stdout.write(line); sys.stdout.flush()",
    ]))
  }`;
  using upstream = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // An echo upstream for forward's one connection.
  const serving = upstream.accept().then(async (conn) => {
    try {
      const buffer = new Uint8Array(1024);
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
        await conn.write(buffer.subarray(0, n));
      }
    } finally {
      conn.close();
    }
  });
  await withServer([
    `tcp://127.0.0.1:0=exec?${cat}&latency=50&seed=1`,
    `tcp://127.0.0.1:0=forward?to=127.0.0.1:${upstream.addr.port}&latency=50&seed=1`,
  ], async (s) => {
    for (const port of [s.port(0), s.port(1)]) {
      // The first round trip also waits for python3 to start, or for the upstream's connect.
      const { times } = await python<{ times: number[] }>("rtt", port, 4);
      for (const t of times) assert.ok(t >= 100 - 2 * TIMER_LEAD_MS, `a round trip took ${t} ms`);
      for (const t of times.slice(1)) assert.ok(t < 400, `a round trip took ${t} ms`);
    }
    await s.closed(2);
    assert.deepEqual(s.of("fault").map((e) => [e.service, e.fault]), [
      ["exec", "latency"],
      ["forward", "latency"],
    ]);
  });
  await serving;
});

Deno.test("muxd's close ends connections held by latency, bandwidth and a stall at once (reason shutdown), leaving no timer", async () => {
  let conn: Deno.TcpConn | null = null;
  let events: ServerEvent[] = [];
  await withServer([`${ECHO}?latency=200&bandwidth=1000&stall-after=100&seed=1`], async (s) => {
    events = s.events;
    conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port() });
    await conn.write(new Uint8Array(5000));
    await waitUntil(() => s.of("fault").length === 2, 3000, "the latency and bandwidth faults");
  });
  const closed = (conn as Deno.TcpConn | null)!;
  try {
    assert.equal(await closed.read(new Uint8Array(100_000)).catch(() => null), null);
  } finally {
    closed.close();
  }
  const reasons = events.flatMap((e) => e.type === "connection-closed" ? [e.reason] : []);
  assert.deepEqual(reasons, ["shutdown"]);
});
