import assert from "node:assert/strict";
import { getTextFormatter, type LogLevel, type LogRecord } from "@logtape/logtape";
import { plainTextFormatter } from "../../lib/log/text_formatter.ts";

// The oracle: LogTape's own text formatter with the layout muxd asks for.
const logtape = getTextFormatter({
  timestamp: "time",
  level: "ABBR",
  format: ({ timestamp, level, message }) => `${timestamp} ${level} ${message}`,
});

function record(
  message: readonly unknown[],
  timestamp: number,
  level: LogLevel = "info",
): LogRecord {
  return {
    category: ["muxd", "events"],
    level,
    message,
    rawMessage: typeof message[0] === "string" ? message[0] : "",
    properties: {},
    timestamp,
  };
}

const LINE = "tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami";

Deno.test("plain text formatter writes what LogTape's text formatter writes", () => {
  const format = plainTextFormatter();
  const start = Date.UTC(2026, 10, 22, 23, 59, 58, 990);
  const levels: LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];
  // Across milliseconds 0, 9, 10, 99, 100, seconds, minutes, hours and a day.
  for (let step = 0; step < 3_000; step += 7) {
    const r = record([LINE], start + step, levels[step % levels.length]);
    assert.equal(format(r), logtape(r));
  }
  assert.equal(format(record([LINE], 0)), "00:00:00.000 INF " + LINE + "\n");
});

Deno.test("plain text formatter keeps LogTape's escaping of control characters", () => {
  const format = plainTextFormatter();
  for (const text of ["bell\u0007", "esc \u001b[31mred", "new\nline", "c1 \u009b", "del\u007f"]) {
    const r = record([text], Date.UTC(2026, 0, 1, 1, 2, 3, 4), "error");
    assert.equal(format(r), logtape(r));
  }
  // LogTape lets colour (SGR) sequences and newlines through; a bell it escapes.
  assert.ok(!format(record(["bell\u0007"], 0)).includes("\u0007"));
});

Deno.test("plain text formatter renders messages with values as LogTape does", () => {
  const format = plainTextFormatter();
  const withValues = record(["reloaded ", "/tmp/muxd.jsonc", ": 1 added"], 1_700_000_000_123);
  assert.equal(format(withValues), logtape(withValues));
  const fractional = record([LINE], 1_700_000_000_123.5);
  assert.equal(format(fractional), logtape(fractional));
});
