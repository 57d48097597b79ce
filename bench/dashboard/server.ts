/**
 * A dashboard alone, for `bench/dashboard/main.ts` to measure: the demo set's
 * twelve rows, an arrival every 100 ms (so event frames flow), and room for
 * `MAX_CLIENTS` connections. Prints `{"url":...,"pid":...}` once it listens.
 *
 * ```sh
 * deno run --allow-net bench/dashboard/server.ts 2000
 * ```
 *
 * @module
 */

import { serveDashboard } from "../../lib/dashboard/mod.ts";
import { EventHub, type ServerEvent } from "../../lib/events/mod.ts";

const maxClients = Number(Deno.args[0] ?? 64);
const hub = new EventHub();
const dashboard = serveDashboard(hub, { hostname: "127.0.0.1", port: 0, maxClients });
const rows: ServerEvent[] = Array.from({ length: 12 }, (_, i) => ({
  type: "listening",
  time: Date.now(),
  transport: "tcp",
  listener: `tcp://127.0.0.1:${7000 + i}=echo`,
  service: "echo",
  local: { address: "127.0.0.1", port: 7000 + i },
}));
for (const row of rows) hub.emit(row);
let id = 0;
const arrivals = setInterval(() => {
  id++;
  hub.emit({
    type: "connection-opened",
    time: Date.now(),
    transport: "tcp",
    listener: "tcp://127.0.0.1:7000=echo",
    service: "echo",
    id,
    local: { address: "127.0.0.1", port: 7000 },
    remote: { address: "127.0.0.1", port: 40000 + (id % 20000) },
    bound: { address: "127.0.0.1", port: 7000 },
  });
}, 100);
console.log(JSON.stringify({ url: dashboard.url, pid: Deno.pid }));
Deno.addSignalListener("SIGTERM", async () => {
  clearInterval(arrivals);
  await dashboard.close();
  Deno.exit(0);
});
