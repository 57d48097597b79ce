/**
 * The live dashboard: a page that shows every socket name muxd serves and
 * each arrival as it happens, fed by the one event stream through
 * Server-Sent Events, with a read-only JSON API. One self-contained page (no
 * CDN, no framework), served by a small HTTP/1.1 server of its own that
 * answers only its own Host, caps its connections and times out slow
 * requests.
 *
 * ```ts
 * import { EventHub } from "../events/mod.ts";
 * import { serveDashboard } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const hub = new EventHub();
 * await using dashboard = serveDashboard(hub, { hostname: "127.0.0.1", port: 0 });
 * // subscribe before start(plan, { sink: hub.emit }), then open dashboard.url
 * assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
 * ```
 *
 * @module
 */

export {
  type AddressOption,
  type DashboardAddress,
  type DashboardPlan,
  dashboardUrl,
  DEMO_DASHBOARD,
  parseDashboardAddress,
  planDashboard,
} from "./address.ts";
export {
  type BindFailure,
  DashboardStats,
  type FaultsSummary,
  socketKey,
  type SocketRow,
  type SocketState,
  type StatsSummary,
} from "./stats.ts";
export { type Arrival, isArrival, RECENT_ARRIVALS, RecentArrivals } from "./recent_arrivals.ts";
export {
  ENDED_ROWS,
  type EndedRow,
  type LiveChange,
  type LiveRow,
  type LiveRowBase,
  type LiveState,
  LiveTable,
  type ProcessRow,
  type RelayRow,
  sessionKey,
  type TrafficUpdate,
} from "./live_table.ts";
export { EventStreams, type EventStreamsOptions, type Snapshot } from "./event_streams.ts";
export { EventStream, type Piece, type StreamFeed, type StreamTarget } from "./event_stream.ts";
export { isAllowedHost } from "./host_rule.ts";
export {
  type Dashboard,
  DASHBOARD_MAX_CLIENTS,
  DashboardBindError,
  dashboardFiles,
  type DashboardLimits,
  type DashboardOptions,
  serveDashboard,
  type Subscribable,
} from "./server.ts";
export { openDashboard, type OpenedDashboard } from "./open.ts";
export { HttpBindError } from "./http_listener.ts";
