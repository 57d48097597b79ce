import assert from "node:assert/strict";
import type { ServerEvent } from "../../lib/events/mod.ts";
import { type BudgetedEvent, type HeldLines, LineBudget } from "../../lib/log/line_budget.ts";
import { setUpLogging } from "../../lib/log/log.ts";
import { waitUntil } from "../_support/wait.ts";

const REMOTE = { address: "127.0.0.1", port: 40000 };

function datagram(address = "127.0.0.1", port = 7007): BudgetedEvent {
  return {
    type: "datagram",
    time: 0,
    transport: "udp",
    listener: `udp://${address}:${port}=echo`,
    service: "echo",
    local: { address, port },
    remote: REMOTE,
    bytesIn: 5,
  };
}

function opened(address = "127.0.0.1", port = 7007): BudgetedEvent {
  return {
    type: "connection-opened",
    time: 0,
    transport: "tcp",
    listener: `tcp://0.0.0.0:${port}=echo`,
    service: "echo",
    id: 1,
    local: { address, port },
    remote: REMOTE,
    admitted: { listener: 1, total: 1, source: 1 },
  } as unknown as BudgetedEvent;
}

function closed(event: BudgetedEvent): BudgetedEvent {
  return { ...event, type: "connection-closed" } as unknown as BudgetedEvent;
}

Deno.test("LineBudget lets through a budget of lines per socket name, and counts the rest by kind", () => {
  const held: HeldLines[] = [];
  let clock = 0;
  const budget = new LineBudget(3, (h) => held.push(h), { now: () => clock });
  const taken = [];
  for (let i = 0; i < 5; i++) {
    taken.push(budget.take(opened()));
    taken.push(budget.take(closed(opened())));
  }
  assert.deepEqual(taken, [true, true, true, false, false, false, false, false, false, false]);
  // Another address on the same port, the same port over UDP, another port: budgets of their own.
  assert.equal(budget.take(opened("127.0.0.2")), true);
  assert.equal(budget.take(datagram()), true);
  assert.equal(budget.take(opened("127.0.0.1", 7008)), true);
  clock = 700;
  budget.close();
  assert.deepEqual(held.map((h) => h.text), [
    "tcp 127.0.0.1:7007 -> echo: 7 lines not written in the last 0.7 s, past 3 a second " +
    "(--log-lines): 3 connections opened, 4 connections closed",
  ]);
  assert.deepEqual(held[0].counts, { "connection-opened": 3, "connection-closed": 4 });
  assert.equal(held[0].held, 7);
  assert.deepEqual(held[0].local, { address: "127.0.0.1", port: 7007 });
  assert.equal(budget.ticking, false);
  assert.equal(budget.take(opened()), true, "after close(), every line is written");
  assert.equal(held.length, 1);
});

Deno.test("LineBudget starts a new budget when one ends, and writes nothing and starts no timer with 0", () => {
  const held: string[] = [];
  using budget = new LineBudget(1, (h) => held.push(h.text));
  assert.equal(budget.take(datagram()), true);
  assert.equal(budget.ticking, true, "a line starts a budget");
  assert.equal(budget.take(datagram()), false);
  budget.flush();
  assert.equal(budget.ticking, false);
  assert.equal(budget.take(datagram()), true, "a new budget");
  assert.equal(held.length, 1);
  assert.match(held[0], /^udp 127\.0\.0\.1:7007 -> echo: 1 line not written in .*: 1 datagram$/);

  using unlimited = new LineBudget(0, () => assert.fail("nothing held back"));
  for (let i = 0; i < 10_000; i++) assert.equal(unlimited.take(datagram()), true);
  assert.equal(unlimited.ticking, false);
});

Deno.test("LineBudget ends each budget by itself and its timer stops after one without lines", async () => {
  const held: string[] = [];
  // No close(): the sanitizers fail this test if the timer is still set at its end.
  const budget = new LineBudget(2, (h) => held.push(h.text), { everyMs: 20 });
  // 2 a second over 20 ms: 1 line a budget, at least.
  for (let i = 0; i < 3; i++) budget.take(datagram());
  await waitUntil(() => held.length === 1, 5000, "the first summary");
  assert.match(held[0], /: 2 lines not written .* past 2 a second .*: 2 datagrams$/);
  await waitUntil(() => !budget.ticking, 5000, "the timer to stop");
  assert.equal(budget.take(datagram()), true, "a new budget");
  await waitUntil(() => !budget.ticking, 5000, "the timer to stop again");
  assert.equal(held.length, 1, "a budget not gone past writes nothing");
});

/** The log's text, with the budget given, after `events` went through it. */
async function logged(
  events: readonly ServerEvent[],
  options: { linesPerSecond?: number; format?: "text" | "json"; level?: "warning" },
): Promise<string[]> {
  let text = "";
  const stream = new WritableStream<Uint8Array>({
    write: (bytes) => void (text += new TextDecoder().decode(bytes)),
  });
  const logging = await setUpLogging({ stream, ...options });
  for (const event of events) logging.events(event);
  await logging.close();
  return text.split("\n").filter((line) => line !== "");
}

Deno.test("the log writes a socket name's lines within its budget, then one line on what it held back", async () => {
  const suppressed = (reason: "denied" | "rate"): ServerEvent => ({
    type: "reply-suppressed",
    time: 0,
    transport: "udp",
    listener: "udp://127.0.0.1:7007=echo",
    service: "echo",
    local: { address: "127.0.0.1", port: 7007 },
    remote: REMOTE,
    reason,
    detail: "the guard in words",
    bytesIn: 5,
    bytesOut: 0,
  });
  const events = [
    ...Array.from({ length: 5 }, () => datagram()),
    // Warnings have a budget of their own: the datagrams' lines do not use it up.
    ...Array.from({ length: 4 }, () => suppressed("denied")),
    suppressed("rate"),
  ];
  const lines = await logged(events, { linesPerSecond: 2 });
  assert.equal(lines.filter((l) => / INF udp 127\.0\.0\.1:7007 <- /.test(l)).length, 2);
  assert.equal(lines.filter((l) => / WRN udp 127\.0\.0\.1:7007 <- /.test(l)).length, 2);
  // The seconds are those from the first line to close(): 0.1 on a slow machine.
  const summaries = lines.slice(-2).map((l) =>
    l.replace(/^\S+ /, "").replace(/ in the last \d+\.\d s,/, " in the last N s,")
  );
  assert.deepEqual(summaries, [
    "INF udp 127.0.0.1:7007 -> echo: 3 lines not written in the last N s, past 2 a second " +
    "(--log-lines): 3 datagrams",
    "WRN udp 127.0.0.1:7007 -> echo: 3 warnings not written in the last N s, past 2 a second " +
    "(--log-lines): 2 datagrams not answered in full (denied), 1 datagram not answered in full " +
    "(rate)",
  ]);

  const every = await logged(events, { linesPerSecond: 0 });
  assert.equal(every.length, 10, "0: every line, and no summary");

  const json = await logged(events, { linesPerSecond: 2, format: "json" });
  const [lineSummary, warningSummary] = json.slice(-2).map((l) => JSON.parse(l));
  assert.equal(lineSummary.logger, "muxd.log");
  assert.equal(lineSummary.level, "INFO");
  assert.deepEqual(lineSummary.properties.counts, { datagram: 3 });
  assert.equal(lineSummary.properties.held, 3);
  assert.equal(warningSummary.level, "WARN");
  assert.deepEqual(warningSummary.properties.counts, {
    "reply-suppressed:denied": 2,
    "reply-suppressed:rate": 1,
  });

  // At --log-level warning, the warnings' summary is written; there is no other.
  const warnings = await logged(events, { linesPerSecond: 2, level: "warning" });
  assert.equal(warnings.length, 3);
  assert.match(warnings[2], / WRN udp 127\.0\.0\.1:7007 -> echo: 3 warnings not written /);
});
