import { formatEvent, type ServerEvent } from "../lib/events/mod.ts";
import { writeEvent } from "../lib/events/format.ts";
import { LineBuffer } from "../lib/log/line_buffer.ts";

const opened: ServerEvent = {
  type: "connection-opened",
  time: 0,
  id: 1,
  transport: "tcp",
  listener: "tcp://127.0.0.2:7007=whoami",
  service: "whoami",
  local: { address: "127.0.0.2", port: 7007 },
  remote: { address: "127.0.0.1", port: 51234 },
  bound: { address: "127.0.0.2", port: 7007 },
};

Deno.bench("template string of four fields (baseline)", { group: "event", baseline: true }, () => {
  const e = opened as Extract<ServerEvent, { type: "connection-opened" }>;
  void `${e.transport} ${e.local.address}:${e.local.port} <- ${e.remote.address}:${e.remote.port}`;
});

Deno.bench("formatEvent(connection-opened)", { group: "event" }, () => {
  formatEvent(opened);
});

// The log's own path: the line written as bytes into the batch, no string made.
const buffer = new LineBuffer();
Deno.bench(
  "writeEvent(connection-opened) into a LineBuffer, the log's path",
  { group: "event" },
  () => {
    if (buffer.length > 60_000) buffer.clear();
    writeEvent(opened, buffer);
    buffer.newline();
  },
);
