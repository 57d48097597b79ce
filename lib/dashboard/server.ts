/**
 * The dashboard's HTTP server: one page, its stylesheet and script, and a
 * read-only JSON API, served with `Deno.serve`. No request changes muxd.
 *
 * @module
 */

import type { EventSink } from "../events/event.ts";
import { type DashboardAddress, dashboardUrl } from "./address.ts";
import { EventStreams, type EventStreamsOptions } from "./event_streams.ts";
import { DashboardStats } from "./stats.ts";
import page from "./page.html" with { type: "text" };
import style from "./style.css" with { type: "text" };
import script from "./app.js" with { type: "text" };

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

/** Options for {@linkcode serveDashboard}. */
export interface DashboardOptions extends DashboardAddress, EventStreamsOptions {}

/** A dashboard being served. */
export interface Dashboard extends AsyncDisposable {
  /** The URL to open, with the real port. */
  readonly url: string;
  /** The bound address, port 0 resolved. */
  readonly address: DashboardAddress;
  /** The counters it shows. */
  readonly stats: DashboardStats;
  /** Ends every event stream and stops the HTTP server; resolves once it has stopped. */
  close(): Promise<void>;
}

/** The dashboard's address could not be bound. */
export class DashboardBindError extends Error {
  /** The address that was asked for. */
  readonly address: DashboardAddress;
  /** The OS error's code, such as `EADDRINUSE`, or `null`. */
  readonly code: string | null;
  /** The explanation in plain words. */
  readonly reason: string;

  /**
   * Creates the error and its explanation.
   *
   * @param address The address that was asked for.
   * @param cause The error `Deno.serve` threw.
   */
  constructor(address: DashboardAddress, cause: unknown) {
    const { code, reason } = explain(address, cause);
    super(`Cannot bind the dashboard at ${dashboardUrl(address)}: ${reason}`, { cause });
    this.name = "DashboardBindError";
    this.address = address;
    this.code = code;
    this.reason = reason;
  }
}

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

const FILES: Readonly<Record<string, { readonly body: string; readonly type: string }>> = {
  "/": { body: page, type: "text/html; charset=utf-8" },
  "/style.css": { body: style, type: "text/css; charset=utf-8" },
  "/app.js": { body: script, type: "text/javascript; charset=utf-8" },
};

/**
 * Binds the dashboard and subscribes it to the event stream. Call it before
 * `start()`, so that the start-up events (`listening`, `bind-failed`) reach
 * it too.
 *
 * Routes, all `GET` (or `HEAD`): `/` the page, `/style.css`, `/app.js`,
 * `/api/sockets` (JSON: `sockets` and `failures`), `/api/stats` (JSON
 * totals), `/api/events` (Server-Sent Events).
 *
 * @param events The event stream to show.
 * @param options Where to listen, and the event streams' buffer size.
 * @returns The running dashboard; close it (or `await using` it) when done.
 * @throws {DashboardBindError} When the address cannot be bound.
 *
 * @example
 * ```ts
 * import { EventHub } from "../events/mod.ts";
 * import { serveDashboard } from "./server.ts";
 * const hub = new EventHub();
 * await using dashboard = serveDashboard(hub, { hostname: "127.0.0.1", port: 0 });
 * console.log(dashboard.url); // http://127.0.0.1:40123/
 * ```
 */
export function serveDashboard(events: Subscribable, options: DashboardOptions): Dashboard {
  const stats = new DashboardStats();
  const streams = new EventStreams(() => ({
    sockets: stats.sockets(),
    failures: stats.failures(),
    stats: stats.summary(),
  }), options);
  const abort = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      signal: abort.signal,
      onListen: () => {},
    }, (request) => respond(request, stats, streams));
  } catch (error) {
    throw new DashboardBindError(options, error);
  }
  const unsubscribe = events.subscribe((event) => streams.publish(event, stats.record(event)));
  const address = { hostname: server.addr.hostname, port: server.addr.port };
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      unsubscribe();
      // An open event stream would keep the server from finishing; end them first.
      streams.close();
      abort.abort();
      await server.finished;
    })();
    return closing;
  };
  return { url: dashboardUrl(address), address, stats, close, [Symbol.asyncDispose]: close };
}

async function respond(
  request: Request,
  stats: DashboardStats,
  streams: EventStreams,
): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return text(405, "The dashboard is read-only: only GET and HEAD.", { allow: "GET, HEAD" });
  }
  const response = route(new URL(request.url).pathname, stats, streams);
  if (request.method === "GET") return response;
  await response.body?.cancel();
  return new Response(null, { status: response.status, headers: response.headers });
}

function route(path: string, stats: DashboardStats, streams: EventStreams): Response {
  const file = FILES[path];
  if (file) {
    return new Response(file.body, {
      headers: { ...SECURITY_HEADERS, "content-type": file.type, "cache-control": "no-cache" },
    });
  }
  switch (path) {
    case "/api/sockets":
      return json({ sockets: stats.sockets(), failures: stats.failures() });
    case "/api/stats":
      return json({ ...stats.summary(), streams: streams.clients, dropped: streams.dropped });
    case "/api/events":
      return new Response(streams.open(), {
        headers: {
          ...SECURITY_HEADERS,
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
        },
      });
    default:
      return text(404, `Not found: ${path}. Open / for the dashboard.`);
  }
}

function json(value: unknown): Response {
  return new Response(JSON.stringify(value, null, 2) + "\n", {
    headers: {
      ...SECURITY_HEADERS,
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
    },
  });
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body + "\n", {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

function explain(a: DashboardAddress, cause: unknown): { code: string | null; reason: string } {
  const code = cause instanceof Error && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : null;
  const where = `tcp ${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}`;
  if (cause instanceof Deno.errors.AddrInUse) {
    return {
      code,
      reason: `address already in use: another socket already holds ${where}. ` +
        `Stop the program that holds it, or choose another address with --dashboard.`,
    };
  }
  if (cause instanceof Deno.errors.AddrNotAvailable) {
    return {
      code,
      reason: `address not available: ${a.hostname} is not an address of this host. ` +
        `Use a loopback address such as 127.0.0.1.`,
    };
  }
  if (cause instanceof Deno.errors.PermissionDenied) {
    return {
      code,
      reason: a.port < 1024
        ? `permission denied: ports below 1024 are privileged and need root. ` +
          `Use a port above 1023, such as 7080.`
        : `permission denied by the operating system for ${where}.`,
    };
  }
  if (cause instanceof Deno.errors.NotCapable) {
    return { code, reason: `not allowed by Deno's permissions: run with --allow-net.` };
  }
  return { code, reason: cause instanceof Error ? cause.message : String(cause) };
}
