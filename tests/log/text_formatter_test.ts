import assert from "node:assert/strict";
import { getTextFormatter, type LogLevel, type LogRecord } from "@logtape/logtape";
import { colorTextFormatter, plainTextFormatter } from "../../lib/log/text_formatter.ts";
import { coloredPieces, ESC, withoutColor } from "../_support/ansi.ts";

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
    sanitize: { sgr: "escape" },
    format: ({ timestamp, level, message }) => `${timestamp} ${level} ${message}`,
  });
  for (const message of [LINE, "bell\u0007", "café ☕", "\x1b[31mred"]) {
    assert.equal(format(record(message, 1_234, "error")), logtape(record(message, 1_234, "error")));
  }
  // LogTape escapes a bell and an escape, colour codes too, never writing them as they are.
  assert.ok(!format(record("bell\u0007", 0, "error")).includes("\u0007"));
  assert.ok(!format(record("\x1b[31mred", 0, "error")).includes("\x1b"));
});

Deno.test("plainTextFormatter() and colorTextFormatter() escape what LogTape leaves: a line break, a carriage return, format characters, separators", () => {
  // A program's stderr line (exec) that, written as it is, would put a forged
  // entry over the head of its own line on a terminal, or reverse the text.
  const cases: [string, string][] = [
    ["oops\r00:00:01.000 INF all fine", "oops\\x0d00:00:01.000 INF all fine"],
    // LogTape writes a line break as it is: a second, forged entry.
    ["oops\n00:00:01.000 INF all fine", "oops\\x0a00:00:01.000 INF all fine"],
    ["abc\u202edcba", "abc\\u202edcba"],
    ["zero\u200bwidth", "zero\\u200bwidth"],
    ["one\u2028two\u2029three", "one\\u2028two\\u2029three"],
    ["tab\tstays", "tab\tstays"],
  ];
  for (const format of [plainTextFormatter(), colorTextFormatter()]) {
    for (const [message, shown] of cases) {
      const line = withoutColor(format(record(message, 0, "warning")));
      assert.equal(line, `00:00:00.000 WRN ${shown}\n`);
    }
  }
});

Deno.test("colorTextFormatter() is plainTextFormatter() with colour codes added, nothing else", () => {
  const plain = plainTextFormatter();
  const color = colorTextFormatter();
  const messages = [
    LINE,
    "udp 127.0.0.1:7007 -> 127.0.0.1:40000 reply 5 B from echo",
    "cannot bind tcp 127.0.0.1:7 (tcp://127.0.0.1:7=echo): " + "x".repeat(300),
    "bell\u0007 and \x1b[31mred\x1b[0m from a peer",
    "new\nline",
    "café ☕ -> <-",
  ];
  for (const level of ["debug", "info", "warning", "error"] as const) {
    for (const message of messages) {
      const line = color(record(message, 1_234, level));
      assert.notEqual(coloredPieces(line).length, 0);
      assert.equal(withoutColor(line), plain(record(message, 1_234, level)));
    }
  }
});

Deno.test("colorTextFormatter() colours the level and the arrows", () => {
  assert.equal(
    colorTextFormatter()(record(LINE, 0, "warning")),
    "00:00:00.000 \x1b[33mWRN\x1b[0m tcp 127.0.0.2:7007 \x1b[36m<-\x1b[0m 127.0.0.1:51234 " +
      "\x1b[36m->\x1b[0m whoami\n",
  );
});

Deno.test("colorTextFormatter() escapes an escape code in a message, as the plain form does", () => {
  for (const message of ["\x1b[2Jcleared", "\x1b[31mred"]) {
    const line = colorTextFormatter()(record(message, 0, "error"));
    // The level's colour is the only escape code left as it is.
    const rest = line.replace(`${ESC}[1;31mERR${ESC}[0m`, "");
    assert.equal(rest.includes(ESC), false, JSON.stringify(line));
  }
});
