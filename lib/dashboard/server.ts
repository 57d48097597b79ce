/**
 * The dashboard's HTTP server: one page, its stylesheet and script, and a
 * read-only JSON API and event stream, on a small HTTP/1.1 server of its own
 * (`GET` and `HEAD`, no request bodies) over `Deno.listen`, so that it
 * decides how many connections it serves, how long a request may take,
 * what a request may cost, and what an accept error means. No request
 * changes muxd, and no request text is echoed back.
 *
 * @module
 */

import type { EventSink } from "../events/event.ts";
import type { DashboardAddress } from "./address.ts";
import { Acceptor, STREAMS_PER_SOURCE } from "./acceptor.ts";
import { type ConnectionContext, serveConnection } from "./connection.ts";
import { EventStreams, type EventStreamsOptions } from "./event_streams.ts";
import { HttpBindError, listenHttp, refuse } from "./http_listener.ts";
import { eventStreamHead, FixedResponse } from "./response.ts";
import { router } from "./routes.ts";
import { DashboardStats } from "./stats.ts";
import { LiveTable } from "./live_table.ts";
import type { LiveTraffic } from "../dispatch/live_traffic.ts";
import { MetricsCollector } from "../metrics/collector.ts";
import { metricsText } from "../metrics/metrics_text.ts";
import { ProcessFigures } from "../metrics/process_figures.ts";

/** Something to subscribe to, such as an `EventHub`. */
export interface Subscribable {
  /**
   * Adds a sink.
   *
   * @param sink Called with every event.
   * @returns A function that removes the sink.
   */
  subscribe(sink: EventSink): () => void;
}

/** How many clients the dashboard serves at once, by default; as many more get a 503. */
export const DASHBOARD_MAX_CLIENTS = 64;

/**
 * The most file descriptors a dashboard holds: its listening socket, the
 * clients it serves, and as many again that it answers 503 and closes.
 *
 * @param maxClients The dashboard's cap on clients.
 * @returns How many file descriptors, at most.
 */
export function dashboardFiles(maxClients: number = DASHBOARD_MAX_CLIENTS): number {
  return 1 + 2 * maxClients;
}

/** The bounds the dashboard keeps, whoever connects. */
export interface DashboardLimits {
  /**
   * Connections served at once (an event stream holds one for as long as
   * its page is open); a new one takes the slot of the oldest connection
   * that waits for a request head or lingers after its last response, else
   * of the oldest event stream of a source address that holds more than
   * 6, and with neither it gets a 503. Room for a classroom of
   * pages, each with its event stream and a few short requests, while its
   * file descriptors stay a small share of a common `ulimit -n` of 1024 and
   * its event streams cost the listeners next to nothing.
   * @default 64
   */
  readonly maxClients?: number;
  /**
   * Milliseconds a request head may take to arrive in full, from the
   * connection's start (or, on a kept connection, from its first byte).
   * @default 5000
   */
  readonly headerTimeoutMs?: number;
  /** Milliseconds a kept connection may wait for its next request. @default 5000 */
  readonly idleTimeoutMs?: number;
  /** Bytes a request head may have; a longer one gets a 431. @default 16384 */
  readonly maxHeadBytes?: number;
}

/** Options for {@linkcode serveDashboard}. */
export interface DashboardOptions extends DashboardAddress, EventStreamsOptions, DashboardLimits {
  /**
   * Where the dashboard reports what it survives (accepts failing for want
   * of file descriptors, a failed connection), one line each.
   * @default a line on standard error
   */
  readonly warn?: (message: string) => void;
}

/** A dashboard being served. */
export interface Dashboard extends AsyncDisposable {
  /** The URL to open, with the real port. */
  readonly url: string;
  /** The bound address, port 0 resolved. */
  readonly address: DashboardAddress;
  /** The counters it shows. */
  readonly stats: DashboardStats;
  /** The programs and relays running now, which it shows. */
  readonly live: LiveTable;
  /** The counters `/metrics` shows; `reset()` zeroes them. */
  readonly metrics: MetricsCollector;
  /**
   * Shows the live byte counts of open relays from now on: read from the
   * running server once a second while a page is open, and when a page
   * opens or `/api/sockets` is asked. Without it, a relay shows its bytes
   * when it ends. Call it once `start()` has returned.
   *
   * @param traffic The running server's counters (`RunningServer.traffic`).
   */
  follow(traffic: LiveTraffic): void;
  /** Ends every event stream and connection and stops the server; resolves once it has stopped. */
  close(): Promise<void>;
}

/** The dashboard's address could not be bound. */
export class DashboardBindError extends HttpBindError {
  /**
   * Creates the error and its explanation.
   *
   * @param address The address that was asked for.
   * @param cause The error `Deno.listen` threw.
   */
  constructor(address: DashboardAddress, cause: unknown) {
    super("dashboard", address, cause);
    this.name = "DashboardBindError";
  }
}

/** How often open pages get the live byte counts of open relays, in ms. */
const TRAFFIC_MS = 1000;
/** How long a refused or finished connection waits for the client to close its side. */
const LINGER_MS = 1000;
/** How long the accept loop pauses when the process is out of file descriptors. */
const ACCEPT_PAUSE_MS = 100;
/** At most one warning about failing accepts per this many milliseconds. */
const WARN_INTERVAL_MS = 10_000;

/**
 * Binds the dashboard and subscribes it to the event stream. Call it before
 * `start()`, so that the start-up events (`listening`, `bind-failed`) reach
 * it too.
 *
 * Routes, all `GET` (or `HEAD`): `/` the page, `/style.css`, `/app.js`,
 * `/api/sockets` (JSON: `sockets`, `failures`, the latest `arrivals`, and
 * `live`: the programs and relays running now and the latest that ended),
 * `/api/stats` (JSON totals), `/api/events` (Server-Sent Events), `/metrics` (the
 * Prometheus text format, docs/metrics.md). A request whose `Host` is
 * not the dashboard's own address or `localhost` with its port gets a 403
 * (the rule: `isAllowedHost()`); other methods a 405, a request with a
 * body a 413, a head over `maxHeadBytes` a 431, connections over
 * `maxClients` a 503.
 *
 * @param events The event stream to show.
 * @param options Where to listen, the bounds, the event streams' buffer size.
 * @returns The running dashboard; close it (or `await using` it) when done.
 * @throws {DashboardBindError} When the address cannot be bound.
 *
 * @example
 * ```ts
 * import { EventHub } from "../events/mod.ts";
 * import { serveDashboard } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * const hub = new EventHub();
 * await using dashboard = serveDashboard(hub, { hostname: "127.0.0.1", port: 0 });
 * const page = await fetch(dashboard.url);
 * assert.equal(page.status, 200);
 * await page.body?.cancel();
 * ```
 */
export function serveDashboard(events: Subscribable, options: DashboardOptions): Dashboard {
  const { listener, address, url } = listenHttp(
    options,
    (cause) => new DashboardBindError(options, cause),
  );
  const warn = options.warn ?? ((message: string) => console.error(`muxd: ${message}`));
  const stats = new DashboardStats();
  const live = new LiveTable();
  const metrics = new MetricsCollector();
  const figures = new ProcessFigures();
  let traffic: LiveTraffic | null = null;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const unexpected = (error: unknown) =>
    warn(`a connection to the dashboard at ${url} failed: ${error}`);
  // Every read of the live counts goes to the open pages too: each sends
  // only what changed since the one before.
  const liveState = () => {
    if (traffic !== null) streams.publishTraffic(live.refresh(traffic));
    return live.state();
  };
  const streams: EventStreams = new EventStreams(
    () => ({
      sockets: stats.sockets(),
      failures: stats.failures(),
      stats: stats.summary(),
      arrivals: stats.arrivals(),
      live: liveState(),
    }),
    options,
    unexpected,
  );
  const maxHeadBytes = options.maxHeadBytes ?? 16 * 1024;
  const ctx: ConnectionContext = {
    limits: {
      headerTimeoutMs: options.headerTimeoutMs ?? 5000,
      idleTimeoutMs: options.idleTimeoutMs ?? 5000,
      maxHeadBytes,
      lingerMs: LINGER_MS,
    },
    answer: router(address, stats, streams, live, liveState, () => metricsText(metrics, figures)),
    badRequest: FixedResponse.text(400, "Bad request: not an HTTP/1.1 request head."),
    headTooLarge: FixedResponse.text(
      431,
      `Request head too large: the dashboard reads at most ${maxHeadBytes} bytes of it.`,
    ),
    eventStreamHead: eventStreamHead(),
    streams,
    discard: new Uint8Array(4096),
    unexpected,
  };
  const full = FixedResponse.text(
    503,
    "The dashboard is serving as many connections as it allows; try again shortly.",
    [["retry-after", "5"]],
  );
  const acceptor = new Acceptor(listener, {
    maxClients: options.maxClients ?? DASHBOARD_MAX_CLIENTS,
    streamsPerSource: STREAMS_PER_SOURCE,
    pauseMs: ACCEPT_PAUSE_MS,
    warnIntervalMs: WARN_INTERVAL_MS,
    name: `the dashboard at ${url}`,
    warn,
    serve: (link) => serveConnection(link, ctx),
    refuse: (link) => refuse(link, full.bytes({ head: false, close: true }), ctx),
  });
  // A sink of its own: whatever happens in one, the other still gets the event.
  const unsubscribeMetrics = events.subscribe(metrics.record);
  const unsubscribe = events.subscribe((event) =>
    streams.publish(event, stats.record(event), live.record(event))
  );
  const follow = (source: LiveTraffic) => {
    traffic = source;
    clearInterval(ticker);
    ticker = setInterval(() => {
      if (streams.clients > 0) liveState();
    }, TRAFFIC_MS);
  };
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      clearInterval(ticker);
      unsubscribeMetrics();
      unsubscribe();
      streams.close();
      await acceptor.close();
    })();
    return closing;
  };
  return { url, address, stats, live, metrics, follow, close, [Symbol.asyncDispose]: close };
}
