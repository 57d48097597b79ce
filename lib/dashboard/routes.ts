/**
 * What the dashboard answers to each request: the checks every request
 * passes, then its routes (the page, its stylesheet and script, the JSON
 * API, the event stream and the Prometheus metrics). Fixed bodies only for refusals: nothing of a
 * request is echoed back.
 *
 * @module
 */

import type { Answer } from "./connection.ts";
import type { EventStreams } from "./event_streams.ts";
import type { DashboardAddress } from "./address.ts";
import { isAllowedHost } from "./host_rule.ts";
import type { RequestHead } from "./http.ts";
import { FixedResponse } from "./response.ts";
import type { DashboardStats } from "./stats.ts";
import type { LiveState, LiveTable } from "./live_table.ts";
import { METRICS_CONTENT_TYPE } from "../metrics/exposition.ts";
import page from "./page.html" with { type: "text" };
import style from "./style.css" with { type: "text" };
import script from "./app.js" with { type: "text" };

/**
 * Answers each request: first the checks every request passes (a Host of
 * its own, GET or HEAD, no body), then the routes. The page, its stylesheet
 * and script are encoded once, here; the JSON answers are made per request.
 *
 * @param bound The dashboard's bound address, for the Host check.
 * @param stats The counters the JSON answers show.
 * @param streams The event streams, whose counts `/api/stats` shows.
 * @param live The programs and relays running now, counted in `/api/stats`.
 * @param liveState Reads the live table with fresh byte counts, for `/api/sockets`.
 * @param metrics Writes the metrics in the Prometheus text format, for `/metrics`.
 * @returns What to send for each request head.
 */
export function router(
  bound: DashboardAddress,
  stats: DashboardStats,
  streams: EventStreams,
  live: LiveTable,
  liveState: () => LiveState,
  metrics: () => string,
): (head: RequestHead) => Answer {
  const files = new Map([
    ["/", new FixedResponse(200, "text/html; charset=utf-8", page)],
    ["/style.css", new FixedResponse(200, "text/css; charset=utf-8", style)],
    ["/app.js", new FixedResponse(200, "text/javascript; charset=utf-8", script)],
  ]);
  const refusal = (response: FixedResponse): Answer => ({
    kind: "response",
    response,
    close: true,
  });
  const noHost = refusal(FixedResponse.text(400, "Bad request: a Host header is required."));
  const foreignHost = refusal(FixedResponse.text(
    403,
    "Forbidden: the dashboard answers only requests addressed to its own IP address or to " +
      "localhost, with its port.",
  ));
  const readOnly = refusal(FixedResponse.text(
    405,
    "The dashboard is read-only: only GET and HEAD.",
    [["allow", "GET, HEAD"]],
  ));
  const withBody = refusal(FixedResponse.text(413, "The dashboard takes no request bodies."));
  const notFound = FixedResponse.text(404, "Not found. Open / for the dashboard.");
  const ok = (response: FixedResponse): Answer => ({ kind: "response", response, close: false });
  return (head) => {
    if (head.host === null) return noHost;
    // A target in absolute form names the host the request is for, in place of Host.
    if (!isAllowedHost(head.authority ?? head.host, bound)) return foreignHost;
    if (head.method !== "GET" && head.method !== "HEAD") return readOnly;
    if (head.hasBody) return withBody;
    const file = files.get(head.path);
    if (file) return ok(file);
    switch (head.path) {
      case "/api/sockets":
        return ok(FixedResponse.json({
          sockets: stats.sockets(),
          failures: stats.failures(),
          arrivals: stats.arrivals(),
          live: liveState(),
        }));
      case "/api/stats":
        return ok(FixedResponse.json({
          ...stats.summary(),
          processes: live.processes,
          relays: live.relays,
          streams: streams.clients,
          dropped: streams.dropped,
        }));
      case "/api/events":
        return { kind: "events" };
      case "/metrics":
        return ok(new FixedResponse(200, METRICS_CONTENT_TYPE, metrics()));
      default:
        return ok(notFound);
    }
  };
}
