/**
 * How a connection with faults ends, byte for byte: what latency holds when
 * the service returns goes out, what a cap cuts is counted as dropped, and
 * what muxd drains after the service's part is counted apart from "in".
 * Each test fails when muxd loses bytes silently or counts them as the
 * service's.
 */

import assert from "node:assert/strict";
import { TIMER_LEAD_MS } from "../../lib/faults/delay_line.ts";
import { DashboardStats, LiveTable, type RelayRow } from "../../lib/dashboard/mod.ts";
import { bytesArrived, formatEvent } from "../../lib/events/mod.ts";
import { MetricsCollector } from "../../lib/metrics/mod.ts";
import { python, type ReadResult, withServer } from "./_tcp.ts";

/** Sends `bytes` zero bytes, half-closes, and reads until end of stream: how many bytes came. */
async function sendThenRead(port: number, bytes: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new Uint8Array(bytes));
    await conn.closeWrite();
    const buffer = new Uint8Array(65536);
    let got = 0;
    for (let n; (n = await conn.read(buffer)) !== null;) got += n;
    return got;
  } finally {
    conn.close();
  }
}

Deno.test("FaultyStream.finish() lets chargen with latency at its max-seconds cap deliver what latency held: the stream ends a latency after the cap, every byte counted", async () => {
  await withServer([
    "tcp://127.0.0.1:0=chargen?latency=300&bandwidth-out=100KB/s&max-seconds=0.5&seed=1",
  ], async (s) => {
    const r = await python<ReadResult>("read", s.port(), "", 100_000_000, 3);
    await s.closed(1);
    const [closed] = s.of("connection-closed");
    assert.equal(r.end, "eof");
    assert.equal(closed.reason, "done");
    assert.equal(r.bytes, closed.bytesOut, "the client got every byte muxd wrote");
    assert.equal(closed.droppedOut, undefined, "nothing dropped");
    // At 100 KB/s the line never fills: what chargen wrote in the last
    // 300 ms before its cap goes out up to 300 ms after it.
    assert.ok(r.bytes >= 40_000, `${r.bytes} B`);
    const last = r.times.at(-1)!;
    assert.ok(last >= 500 + 300 - 4 * TIMER_LEAD_MS - 20, `the last byte came at ${last} ms`);
  });
});

Deno.test("FaultyStream.finish() gives up on a client that takes nothing for 1 s, and the closing line counts what latency held as dropped", async () => {
  await withServer(["tcp://127.0.0.1:0=chargen?latency=10&max-seconds=1&seed=1"], async (s) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port() });
    try {
      await s.closed(1, 8000);
    } finally {
      conn.close();
    }
    const [closed] = s.of("connection-closed");
    assert.equal(closed.reason, "done");
    // chargen's 1 s, then 1 to 1.1 s with nothing taken (the client took
    // nothing at all); the rest is room for a loaded machine.
    assert.ok(closed.durationMs >= 1990, `closed after ${closed.durationMs} ms`);
    assert.ok(closed.durationMs < 3000, `closed after ${closed.durationMs} ms`);
    assert.ok((closed.droppedOut ?? 0) > 0, `dropped ${closed.droppedOut}`);
    assert.match(formatEvent(closed), new RegExp(`, dropped ${closed.droppedOut} B out$`));
    const said = s.of("fault").filter((e) => e.detail.startsWith("dropped"));
    assert.deepEqual(said.map((e) => e.fault), ["latency"]);
    assert.match(
      said[0].detail,
      / B out: the client took nothing for 1000 ms after the service was done$/,
    );
  });
});

Deno.test("close-after= counts what muxd drains after the fault apart: in and out are the 1,000 B that passed, the rest is drained", async () => {
  await withServer(["tcp://127.0.0.1:0=echo?close-after=1000&seed=1"], async (s) => {
    await sendThenRead(s.port(), 5000);
    await s.closed(1);
    const [closed] = s.of("connection-closed");
    assert.deepEqual([closed.reason, closed.detail], ["fault", "closed after 1,000 B"]);
    assert.equal(closed.bytesIn + closed.bytesOut, 1000, "in: what echo got; out: what it sent");
    assert.equal(closed.bytesIn + (closed.drained ?? 0) + (closed.droppedIn ?? 0), 5000);
    assert.ok((closed.drained ?? 0) > 0);
    assert.match(
      formatEvent(closed),
      new RegExp(
        `: ${closed.bytesIn} B in, ${closed.bytesOut} B out, then ${closed.drained} B drained, ` +
          "ended by a fault, closed after 1,000 B$",
      ),
    );
  });
});

Deno.test("close-after= with latency-in counts what the in line held as dropped, not as in: the service got none of it", async () => {
  await withServer(["tcp://127.0.0.1:0=echo?latency-in=300&close-after=1000&seed=1"], async (s) => {
    await sendThenRead(s.port(), 5000);
    await s.closed(1);
    const [closed] = s.of("connection-closed");
    assert.equal(closed.reason, "fault");
    assert.deepEqual([closed.bytesIn, closed.bytesOut, closed.droppedIn], [0, 0, 1000]);
    assert.equal(closed.drained, 4000);
    assert.match(
      formatEvent(closed),
      /: 0 B in, 0 B out, dropped 1000 B in, then 4000 B drained, /,
    );
  });
});

Deno.test("a lingering close counts what muxd drains apart from in: qotd reads nothing, so 0 B in", async () => {
  await withServer(["tcp://127.0.0.1:0=qotd"], async (s) => {
    const got = await sendThenRead(s.port(), 3000);
    await s.closed(1);
    const [closed] = s.of("connection-closed");
    assert.deepEqual([closed.reason, closed.bytesIn, closed.bytesOut, closed.drained], [
      "done",
      0,
      got,
      3000,
    ]);
  });
});

Deno.test("bytesArrived() is what the dashboard's socket row, its relay row and the metrics count as bytes in for a close-after relay: every byte the client sent, the drained ones too", async () => {
  await withServer(["tcp://127.0.0.1:0=discard"], async (upstream) => {
    const relay =
      `tcp://127.0.0.1:0=forward?to=127.0.0.1:${upstream.port()}&close-after=1000&seed=1`;
    await withServer([relay], async (s) => {
      await sendThenRead(s.port(), 5000);
      await s.closed(1);
      const [closed] = s.of("connection-closed");
      assert.equal(closed.reason, "fault");
      assert.ok(closed.bytesIn < 5000, `the relay got ${closed.bytesIn} B of them`);
      assert.equal(bytesArrived(closed), 5000);

      const stats = new DashboardStats();
      const metrics = new MetricsCollector();
      const live = new LiveTable();
      let ended: RelayRow | undefined;
      for (const event of s.events) {
        stats.record(event);
        metrics.record(event);
        ended ??= live.record(event)?.ended?.row as RelayRow | undefined;
      }
      assert.deepEqual(
        {
          socketRow: stats.sockets()[0].bytesIn,
          summary: stats.summary().bytesIn,
          metrics: metrics.series()[0].counters.bytesIn,
          relayRow: ended?.bytesIn,
        },
        { socketRow: 5000, summary: 5000, metrics: 5000, relayRow: 5000 },
      );
    });
  });
});
