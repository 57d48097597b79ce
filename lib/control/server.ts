/**
 * The control API's HTTP server: the dashboard's accept loop, request-head
 * reader, Host rule and response encoding, with bearer-token checks,
 * bounded JSON bodies and routes that change the running server.
 *
 * @module
 */

import type { DashboardAddress } from "../dashboard/address.ts";
import { Acceptor, STREAMS_PER_SOURCE } from "../dashboard/acceptor.ts";
import { HttpBindError, listenHttp, refuse } from "../dashboard/http_listener.ts";
import type { MuxdServer } from "../server/muxd_server.ts";
import { controlRoutes } from "./api.ts";
import { type ControlContext, jsonResponse, serveControlConnection } from "./connection.ts";
import { SseMessages } from "./event_feed.ts";
import { CounterResets } from "./resets.ts";
import { generateToken } from "./token.ts";

/** Connections the control API serves at once, by default; as many more get a 503. */
export const CONTROL_MAX_CLIENTS = 32;

/**
 * The most file descriptors a control API holds: its listening socket, the
 * clients it serves, and as many again that it answers 503 and closes.
 *
 * @param maxClients Its cap on clients.
 * @returns How many file descriptors, at most.
 */
export function controlFiles(maxClients: number = CONTROL_MAX_CLIENTS): number {
  return 1 + 2 * maxClients;
}

/** The most bytes of a request body, by default: 1 MiB. */
export const CONTROL_MAX_BODY_BYTES = 1024 * 1024;

/** Options for {@linkcode serveControl}. */
export interface ControlOptions extends DashboardAddress {
  /** The bearer token. @default a new random one ({@linkcode generateToken}) */
  readonly token?: string;
  /** What `POST /v1/reset` resets. @default none registered */
  readonly resets?: CounterResets;
  /**
   * Writes the Prometheus text that `GET /metrics` answers with (behind the
   * token, as every path), such as `() => metricsText(collector)`.
   * @default none: `/metrics` answers 404
   */
  readonly metrics?: () => string;
  /**
   * Called after a request added or removed listeners or changed faults,
   * once `server.sockets` shows the change (muxd serve logs it and rewrites
   * its ready file), with what changed in words; `null` when the request
   * failed (it may still have changed something: a failed `reset-after`
   * change binds the old socket again), and for faults, whose change the
   * server's own `faults-changed` event says. The answer goes out once what
   * it returns has settled.
   * @default nothing
   */
  readonly changed?: (what: string | null) => void | Promise<void>;
  /**
   * Connections served at once; a new one takes the slot of the oldest
   * connection that waits for a request head or lingers after its last
   * response, else of the oldest event stream of a source address that
   * holds more than 6, and with neither it gets a 503.
   * @default 32
   */
  readonly maxClients?: number;
  /** Bytes a request body may have; more get a 413. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Milliseconds a request head (and its body) may take to arrive. @default 5000 */
  readonly headerTimeoutMs?: number;
  /** Milliseconds a kept connection may wait for its next request. @default 5000 */
  readonly idleTimeoutMs?: number;
  /** Events an event stream holds for a slow reader. @default 1024 */
  readonly eventBuffer?: number;
  /** Where it reports what it survives, one line each. @default a line on standard error */
  readonly warn?: (message: string) => void;
}

/** A control API being served. */
export interface ControlServer extends AsyncDisposable {
  /** Its base URL with the real port, such as `http://127.0.0.1:7081/`. */
  readonly url: string;
  /** The bound address, port 0 resolved. */
  readonly address: DashboardAddress;
  /** The bearer token requests must carry. */
  readonly token: string;
  /** What `POST /v1/reset` resets: register counters here. */
  readonly resets: CounterResets;
  /** Ends every event stream and connection and stops; resolves once stopped. */
  close(): Promise<void>;
}

/** The control API's address could not be bound. */
export class ControlBindError extends HttpBindError {
  /**
   * Creates the error and its explanation.
   *
   * @param address The address that was asked for.
   * @param cause The error `Deno.listen` threw.
   */
  constructor(address: DashboardAddress, cause: unknown) {
    super("control", address, cause);
    this.name = "ControlBindError";
  }
}

const LINGER_MS = 1000;

/**
 * Serves the control API of a running server.
 *
 * Every request needs a `Host` of the API's own address (or `localhost`
 * with its port; else 403) and `Authorization: Bearer TOKEN` (else 401).
 * Routes: `GET|POST /v1/listeners`, `GET|DELETE /v1/listeners/{id}`
 * (`?drain=SECONDS`), `PUT|DELETE /v1/listeners/{id}/faults`,
 * `POST /v1/reset`, `GET /v1/events`, and `GET /metrics` when given
 * (see docs/control.md).
 *
 * @param server The running server it changes.
 * @param options Where to listen, the token and the bounds.
 * @returns The running control API; close it (or `await using` it) when done.
 * @throws {ControlBindError} When the address cannot be bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { start } from "../../mod.ts";
 * import { serveControl } from "./server.ts";
 *
 * await using server = await start();
 * await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
 * const response = await fetch(new URL("v1/listeners", control.url), {
 *   method: "POST",
 *   headers: { authorization: `Bearer ${control.token}` },
 *   body: JSON.stringify("tcp://127.0.0.1:0=echo"),
 * });
 * assert.equal(response.status, 201);
 * const { listeners: [echo] } = await response.json();
 * assert.equal(echo.id, server.sockets[0].id);
 * ```
 */
export function serveControl(server: MuxdServer, options: ControlOptions): ControlServer {
  const { listener, address, url } = listenHttp(
    options,
    (cause) => new ControlBindError(options, cause),
  );
  const token = options.token ?? generateToken();
  const resets = options.resets ?? new CounterResets();
  const warn = options.warn ?? ((message: string) => console.error(`muxd: ${message}`));
  const stop = new AbortController();
  const maxHeadBytes = 16 * 1024;
  const ctx: ControlContext = {
    limits: {
      headerTimeoutMs: options.headerTimeoutMs ?? 5000,
      idleTimeoutMs: options.idleTimeoutMs ?? 5000,
      maxHeadBytes,
      lingerMs: LINGER_MS,
    },
    maxBodyBytes: options.maxBodyBytes ?? CONTROL_MAX_BODY_BYTES,
    bound: address,
    token,
    route: controlRoutes(server, resets, {
      metrics: options.metrics ?? null,
      changed: options.changed ?? (() => {}),
    }),
    server,
    eventBuffer: options.eventBuffer ?? 1024,
    messages: new SseMessages(),
    stopping: stop.signal,
    discard: new Uint8Array(4096),
    unexpected: (error) => warn(`a request to the control API at ${url} failed: ${error}`),
  };
  const full = jsonResponse(
    503,
    { error: "The control API is serving as many connections as it allows; try again shortly." },
    [["retry-after", "1"]],
  ).bytes({ head: false, close: true });
  const acceptor = new Acceptor(listener, {
    maxClients: options.maxClients ?? CONTROL_MAX_CLIENTS,
    streamsPerSource: STREAMS_PER_SOURCE,
    pauseMs: 100,
    warnIntervalMs: 10_000,
    name: `the control API at ${url}`,
    warn,
    serve: (link) => serveControlConnection(link, ctx),
    refuse: (link) => refuse(link, full, ctx),
  });
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (() => {
      stop.abort();
      return acceptor.close();
    })();
    return closing;
  };
  return { url, address, token, resets, close, [Symbol.asyncDispose]: close };
}
