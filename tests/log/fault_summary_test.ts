import assert from "node:assert/strict";
import type { FaultKind, ServerEvent } from "../../lib/events/mod.ts";
import {
  FaultSummary,
  type FaultSummaryLine,
  faultSummaryLog,
} from "../../lib/log/fault_summary.ts";
import { setUpLogging } from "../../lib/log/log.ts";
import { countEvents, logRecords } from "../_support/log.ts";
import { serveDebug, startMuxd } from "../_support/process.ts";
import { waitUntil } from "../_support/wait.ts";

const REMOTE = { address: "127.0.0.1", port: 40000 };
const UDP = {
  time: 0,
  transport: "udp",
  listener: "udp://127.0.0.1:1060=size?drop=0.5",
  service: "size",
  local: { address: "127.0.0.1", port: 1060 },
} as const;
const WILD = {
  time: 0,
  transport: "tcp",
  listener: "tcp://0.0.0.0:7000=echo?latency=5",
  service: "echo",
  local: { address: "0.0.0.0", port: 7000 },
} as const;

function udpFault(fault: FaultKind): ServerEvent {
  return { ...UDP, type: "fault", fault, remote: REMOTE, id: null, on: "request", detail: "" };
}

Deno.test("FaultSummary writes one line per listener, kinds in a fixed order, on a wildcard's own name", () => {
  const lines: FaultSummaryLine[] = [];
  let clock = 1000;
  const summary = new FaultSummary((line) => lines.push(line), 10_000, () => clock);
  summary.sink({ ...UDP, type: "listening" });
  summary.sink({ ...WILD, type: "listening" });
  for (let i = 0; i < 5012; i++) summary.sink(udpFault("drop"));
  for (let i = 0; i < 12; i++) summary.sink(udpFault("duplicate"));
  summary.sink({
    ...WILD,
    type: "fault",
    fault: "latency",
    local: { address: "127.0.0.3", port: 7000 },
    remote: REMOTE,
    id: 1,
    on: null,
    detail: "5 ms each way",
  });
  clock += 2500;
  summary.close();
  assert.deepEqual(lines.map((l) => l.text), [
    "faults on udp 127.0.0.1:1060 -> size in the last 2.5 s: 5,012 drop, 12 duplicate",
    "faults on tcp 0.0.0.0:7000 -> echo in the last 2.5 s: 1 latency",
  ]);
  assert.deepEqual(lines[0].counts, { drop: 5012, duplicate: 12 });
  summary.sink(udpFault("drop"));
  summary.close();
  assert.equal(lines.length, 2, "nothing after close()");
});

Deno.test("FaultSummary writes nothing and starts no timer while no fault hits", () => {
  const lines: FaultSummaryLine[] = [];
  using summary = new FaultSummary((line) => lines.push(line));
  summary.sink({ ...UDP, type: "listening" });
  summary.sink({ ...UDP, type: "datagram", remote: REMOTE, bytesIn: 3 });
  assert.equal(summary.ticking, false);
  summary.close();
  assert.deepEqual(lines, []);
});

Deno.test("FaultSummary writes every interval while faults hit, and its timer stops after a quiet one", async () => {
  const lines: string[] = [];
  let clock = 0;
  // No close(): the sanitizers fail this test if the timer is still set at its end.
  const summary = new FaultSummary((line) => lines.push(line.text), 20, () => clock);
  summary.sink({ ...UDP, type: "listening" });
  summary.sink(udpFault("drop"));
  clock = 10_000;
  await waitUntil(() => lines.length === 1, 5000, "the first summary");
  summary.sink(udpFault("corrupt"));
  summary.sink(udpFault("drop"));
  clock = 20_000;
  await waitUntil(() => lines.length === 2, 5000, "the second summary");
  await waitUntil(() => !summary.ticking, 5000, "the timer to stop");
  assert.deepEqual(lines, [
    "faults on udp 127.0.0.1:1060 -> size in the last 10 s: 1 drop",
    "faults on udp 127.0.0.1:1060 -> size in the last 10 s: 1 drop, 1 corrupt",
  ]);
});

Deno.test("faultSummaryLog() writes the line at info, with its counts as properties in the JSON log", async () => {
  const chunks: string[] = [];
  const stream = new WritableStream<Uint8Array>({
    write: (c) => void chunks.push(new TextDecoder().decode(c)),
  });
  const logging = await setUpLogging({ format: "json", stream });
  const summary = new FaultSummary(faultSummaryLog());
  summary.sink({ ...UDP, type: "listening" });
  summary.sink(udpFault("drop"));
  summary.close();
  await logging.close();
  const record = JSON.parse(chunks.join("").trim());
  assert.equal(record.level, "INFO");
  assert.equal(record.logger, "muxd.faults");
  assert.match(
    record.message,
    /^faults on udp 127\.0\.0\.1:1060 -> size in the last .* s: 1 drop$/,
  );
  assert.deepEqual(record.properties.counts, { drop: 1 });
  assert.deepEqual(record.properties.local, UDP.local);
});

Deno.test("muxd serve's fault summary names each socket of two listeners of one spec text, with its own faults", async () => {
  // Port 0 twice: two sockets, each with its own port, one spec text.
  const spec = "udp://127.0.0.1:0=echo?drop=1&seed=1";
  await using muxd = await startMuxd(serveDebug(spec, spec));
  const [first, second] = [muxd.port(0), muxd.port(1)];
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (const [port, n] of [[first, 3], [second, 1]]) {
      for (let i = 0; i < n; i++) {
        const to = { transport: "udp", hostname: "127.0.0.1", port } as const;
        await client.send(new TextEncoder().encode(`lost ${i}`), to);
      }
    }
  } finally {
    client.close();
  }
  await waitUntil(() => countEvents(muxd.stderr(), "fault") === 4, 5000, "4 drops", muxd.stderr);
  const { stderr } = await muxd.stop("SIGTERM");
  const lines = logRecords(stderr).filter((r) => r.logger === "muxd.faults").map((r) =>
    r.message.replace(/ in the last [\d.]+ s:/, ":")
  ).sort();
  assert.deepEqual(
    lines,
    [
      `faults on udp 127.0.0.1:${first} -> echo: 3 drop`,
      `faults on udp 127.0.0.1:${second} -> echo: 1 drop`,
    ].sort(),
  );
});

Deno.test("FaultSummary keeps the bound names of listening listeners and of the 64 most recently closed or re-faulted only", () => {
  const lines: string[] = [];
  const summary = new FaultSummary((line) => lines.push(line.text));
  const wild = (port: number, faults = "latency=5") =>
    ({
      time: 0,
      transport: "tcp",
      listener: `tcp://0.0.0.0:0=echo?${faults}`,
      service: "echo",
      local: { address: "0.0.0.0", port },
    }) as const;
  /** A fault on a connection to 127.0.0.2 on the listener's port. */
  const fault = (port: number, faults?: string): ServerEvent => ({
    ...wild(port, faults),
    type: "fault",
    local: { address: "127.0.0.2", port },
    fault: "latency",
    remote: REMOTE,
    id: 1,
    on: "request",
    detail: "",
  });
  // One that stays, one whose faults change 1,000 times, and 1,000 added
  // and removed (through the API, port 0: a new port each time).
  summary.sink({ ...wild(7000), type: "listening" });
  summary.sink({ ...wild(7001), type: "listening" });
  for (let i = 1; i <= 1000; i++) {
    summary.sink({
      ...wild(7001, `latency=${i}`),
      type: "faults-changed",
      before: `?latency=${i - 1}`,
      after: `?latency=${i}`,
      seed: 1,
      by: "api",
      was: "api",
    });
  }
  for (let port = 30000; port < 31000; port++) {
    summary.sink({ ...wild(port), type: "listening" });
    summary.sink({ ...wild(port), type: "listener-closed" });
  }
  for (const port of [7000, 30999, 30000]) summary.sink(fault(port));
  for (const faults of ["latency=1000", "latency=5"]) summary.sink(fault(7001, faults));
  summary.close();
  assert.deepEqual(lines.map((l) => l.replace(/ in the last [\d.]+ s:/, ":")), [
    "faults on tcp 0.0.0.0:7000 -> echo: 1 latency",
    "faults on tcp 0.0.0.0:30999 -> echo: 1 latency",
    // Forgotten: named by the address the connection reached.
    "faults on tcp 127.0.0.2:30000 -> echo: 1 latency",
    "faults on tcp 0.0.0.0:7001 -> echo: 1 latency",
    "faults on tcp 127.0.0.2:7001 -> echo: 1 latency",
  ]);
});
