import assert from "node:assert/strict";
import { getTextFormatter, type LogLevel, type LogRecord } from "@logtape/logtape";
import { PlainLines, plainTextFormatter } from "../../lib/log/text_formatter.ts";
import { LineBuffer } from "../../lib/log/line_buffer.ts";

// The oracle: LogTape's own text formatter with the layout muxd asks for,
// written out here rather than taken from plainTextFormatter().
const logtape = getTextFormatter({
  timestamp: "time",
  level: "ABBR",
  format: ({ timestamp, level, message }) => `${timestamp} ${level} ${message}`,
});

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

Deno.test("PlainLines starts a line in bytes as LogTape's text formatter writes it", () => {
  const lines = new PlainLines();
  const start = Date.UTC(2026, 10, 22, 23, 59, 58, 990);
  const levels: LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];
  // Across milliseconds 0, 9, 10, 99, 100, seconds, minutes, hours and a day.
  for (let step = 0; step < 3_000; step += 7) {
    const level = levels[step % levels.length];
    const buffer = new LineBuffer();
    assert.ok(lines.start(start + step, level, buffer));
    buffer.text(LINE);
    buffer.newline();
    assert.equal(
      new TextDecoder().decode(buffer.view()),
      logtape(record(LINE, start + step, level)),
    );
  }
});

Deno.test("PlainLines leaves a timestamp that is not a whole millisecond to LogTape", () => {
  const buffer = new LineBuffer();
  for (const timestamp of [1_700_000_000_123.5, -1, NaN]) {
    assert.equal(new PlainLines().start(timestamp, "info", buffer), false);
  }
  assert.equal(buffer.length, 0);
});

Deno.test("plain text formatter is LogTape's, with muxd's layout", () => {
  const format = plainTextFormatter();
  assert.equal(format(record(LINE, 0)), "00:00:00.000 INF " + LINE + "\n");
  // LogTape escapes a bell, never writing it as it is.
  assert.ok(!format(record("bell\u0007", 0, "error")).includes("\u0007"));
});
