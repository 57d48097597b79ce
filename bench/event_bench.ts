import { formatEvent, type ServerEvent } from "../lib/events/mod.ts";

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
