import { formatEvent, type ServerEvent } from "../lib/events/mod.ts";
import { formattedEventLine } from "../lib/log/event_line.ts";
import { fastTextLine } from "../lib/log/fast_text_line.ts";
import { LineBuffer } from "../lib/log/line_buffer.ts";
import { plainTextFormatter } from "../lib/log/text_formatter.ts";

const opened: ServerEvent = {
  type: "connection-opened",
  time: Date.UTC(2026, 10, 22, 17, 42, 16, 52),
  id: 1,
  transport: "tcp",
  listener: "tcp://127.0.0.2:7007=whoami",
  service: "whoami",
  local: { address: "127.0.0.2", port: 7007 },
  remote: { address: "127.0.0.1", port: 51234 },
  bound: { address: "127.0.0.2", port: 7007 },
};

const closed: ServerEvent = {
  type: "connection-closed",
  time: Date.UTC(2026, 10, 22, 17, 42, 16, 55),
  id: 1,
  transport: "tcp",
  listener: "tcp://127.0.0.2:7007=whoami",
  service: "whoami",
  local: { address: "127.0.0.2", port: 7007 },
  remote: { address: "127.0.0.1", port: 51234 },
  bytesIn: 0,
  bytesOut: 96,
  durationMs: 2.7,
  reason: "done",
};

Deno.bench("template string of four fields (baseline)", { group: "event", baseline: true }, () => {
  const e = opened as Extract<ServerEvent, { type: "connection-opened" }>;
  void `${e.transport} ${e.local.address}:${e.local.port} <- ${e.remote.address}:${e.remote.port}`;
});

Deno.bench("formatEvent(connection-opened)", { group: "event" }, () => {
  formatEvent(opened);
});

// A connection's two lines in the text log, both ways: the readable form
// (LogTape's formatter over formatEvent()) and the log's own (bytes).
const readable = formattedEventLine(plainTextFormatter(), false);
const readableOut = new LineBuffer();
Deno.bench(
  "a connection's two text log lines, readable form (baseline)",
  { group: "text log line", baseline: true },
  () => {
    if (readableOut.length > 60_000) readableOut.clear();
    readable(opened, "info", readableOut);
    readable(closed, "info", readableOut);
  },
);

const fast = fastTextLine();
const fastOut = new LineBuffer();
Deno.bench("a connection's two text log lines, fastTextLine()", { group: "text log line" }, () => {
  if (fastOut.length > 60_000) fastOut.clear();
  fast(opened, "info", fastOut);
  fast(closed, "info", fastOut);
});
