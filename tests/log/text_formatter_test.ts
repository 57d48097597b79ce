import assert from "node:assert/strict";
import { getTextFormatter, type LogLevel, type LogRecord } from "@logtape/logtape";
import { plainTextFormatter } from "../../lib/log/text_formatter.ts";

function record(message: string, timestamp: number, level: LogLevel = "info"): LogRecord {
  return {
    category: ["muxd", "events"],
    level,
    message: [message],
    rawMessage: message,
    properties: {},
    timestamp,
  };
}

const LINE = "tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami";

Deno.test("plainTextFormatter() writes HH:MM:SS.mmm, the level's abbreviation and the message", () => {
  const format = plainTextFormatter();
  assert.equal(format(record(LINE, 0)), "00:00:00.000 INF " + LINE + "\n");
  assert.equal(
    format(record(LINE, Date.UTC(2026, 10, 22, 17, 42, 16, 52), "warning")),
    "17:42:16.052 WRN " + LINE + "\n",
  );
});

Deno.test("plainTextFormatter() is LogTape's text formatter, escaping included", () => {
  const format = plainTextFormatter();
  const logtape = getTextFormatter({
    timestamp: "time",
    level: "ABBR",
    format: ({ timestamp, level, message }) => `${timestamp} ${level} ${message}`,
  });
  for (const message of [LINE, "bell\u0007", "new\nline", "café ☕"]) {
    assert.equal(format(record(message, 1_234, "error")), logtape(record(message, 1_234, "error")));
  }
  // LogTape escapes a bell, never writing it as it is.
  assert.ok(!format(record("bell\u0007", 0, "error")).includes("\u0007"));
});
