/**
 * The control API's routes: what each authorized request does to the
 * running server, and the status and JSON it answers with. The HTTP around
 * it (Host, token, bodies, limits) is in `server.ts`.
 *
 * @module
 */

import type { FaultsInput } from "../server/fault_change.ts";
import { type ListenEntry, SpecError } from "../server/listen_entries.ts";
import { ServerClosedError, UnknownListenerError } from "../server/listener_errors.ts";
import type { MuxdServer } from "../server/muxd_server.ts";
import { StartError } from "../server/running_server.ts";
import { socketsWords } from "../server/socket_words.ts";
import type { CounterResets } from "./resets.ts";
import { type ErrorBody, listenerView, removedView } from "./views.ts";

/** A parsed request the routes act on. */
export interface ControlRequest {
  /** `GET`, `POST`, ... */
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** The query's parameters. */
  readonly query: URLSearchParams;
  /** The body parsed as JSON, or `undefined` when there was none. */
  readonly body: unknown;
}

/** What to answer: a status and JSON (none for 204), the metrics' text, or the event stream. */
export type ControlAnswer =
  | { readonly kind: "json"; readonly status: JsonStatus; readonly body: unknown }
  | { readonly kind: "metrics"; readonly text: string }
  | { readonly kind: "events" };

/** What the routes call out to besides the server. */
export interface RouteHooks {
  /** Writes the Prometheus text for `GET /metrics`, or `null` where the API serves none. */
  readonly metrics: (() => string) | null;
  /**
   * Called after a request changed the listeners or their faults, with what
   * changed in words; `null` when the request failed, and for faults (their
   * `faults-changed` event says it). The answer waits for what it returns.
   */
  readonly changed: (what: string | null) => void | Promise<void>;
}

/** The statuses the routes answer with. */
export type JsonStatus = 200 | 201 | 204 | 400 | 404 | 405 | 409 | 503;

/** The most seconds `?drain=` may ask for: as long as `--grace` may be. */
const MAX_DRAIN_SECONDS = 3600;

const LISTENER = /^\/v1\/listeners\/([A-Za-z0-9._~-]+)$/;
const FAULTS = /^\/v1\/listeners\/([A-Za-z0-9._~-]+)\/faults$/;

/**
 * Makes the routes for one running server.
 *
 * @param server The server the API changes.
 * @param resets What `POST /v1/reset` resets.
 * @param hooks `metrics` writes the Prometheus text for `GET /metrics`
 *   (`null` where this API serves none); `changed` is called after a
 *   request changed the listeners or their faults.
 * @returns Answers one request; never rejects for a request's fault (a bug
 *   rejects, and the connection answers 500).
 */
export function controlRoutes(
  server: MuxdServer,
  resets: CounterResets,
  hooks: RouteHooks,
): (request: ControlRequest) => Promise<ControlAnswer> {
  const { metrics, changed } = hooks;
  const json = (status: JsonStatus, body: unknown): ControlAnswer => ({
    kind: "json",
    status,
    body,
  });
  const error = (status: JsonStatus, message: string, problems?: string[]): ControlAnswer =>
    json(status, problems === undefined ? { error: message } : { error: message, problems });
  /**
   * Waits for a change of the server, then says so, whether it succeeded or
   * not: a `setFaults()` that fails may still have bound a socket anew. The
   * answer waits for `changed` too, so that what it does (muxd serve
   * rewrites its ready file) is done when the client reads the answer.
   */
  const changing = async <T>(work: Promise<T>, say?: (done: T) => string): Promise<T> => {
    let what: string | null = null;
    try {
      const done = await work;
      what = say?.(done) ?? null;
      return done;
    } finally {
      await changed(what);
    }
  };
  /** Each problem one line in `problems`; `error` the first, and how many more there are. */
  const several = (status: JsonStatus, messages: readonly string[]): ControlAnswer => {
    const lines = messages.map((m) => m.replaceAll("\n", " "));
    const first = lines.length === 1
      ? lines[0]
      : `${lines[0]} (and ${lines.length - 1} more: see "problems")`;
    return error(status, first, lines);
  };
  const methods = (allowed: string): ControlAnswer =>
    error(405, `This path takes ${allowed} only.`);

  /** Turns what a server call throws into an answer; rethrows anything else. */
  const refusal = (thrown: unknown): ControlAnswer => {
    if (thrown instanceof SpecError) {
      return several(400, thrown.problems.map((p) => p.message));
    }
    if (thrown instanceof StartError) {
      return several(409, thrown.failures.map((f) => f.message));
    }
    if (thrown instanceof UnknownListenerError) return error(404, thrown.message);
    if (thrown instanceof ServerClosedError) return error(503, thrown.message);
    throw thrown;
  };

  return async (request) => {
    const { method, path } = request;
    try {
      if (path === "/v1/listeners") {
        if (method === "GET") return json(200, { listeners: server.sockets.map(listenerView) });
        if (method !== "POST") return methods("GET and POST");
        const entries = listenBody(request.body);
        if (typeof entries === "string") return error(400, entries);
        const added = await changing(
          server.add(entries, { caller: "POST /v1/listeners" }),
          (sockets) => `${method} ${path} added ${socketsWords(sockets)}`,
        );
        return json(201, { listeners: added.map(listenerView) });
      }
      const faults = FAULTS.exec(path);
      if (faults !== null) {
        const id = faults[1];
        if (method !== "PUT" && method !== "DELETE") return methods("PUT and DELETE");
        const input = method === "DELETE" ? { faults: null } : faultsBody(request.body);
        if ("problem" in input) return error(400, input.problem);
        // Its log line is the faults-changed event's, as for a reload.
        const socket = await changing(
          server.setFaults(id, input.faults, { caller: `${method} ${path}` }),
        );
        return json(200, listenerView(socket));
      }
      const listener = LISTENER.exec(path);
      if (listener !== null) {
        const id = listener[1];
        if (method === "GET") {
          const socket = server.sockets.find((s) => s.id === id);
          return socket === undefined
            ? error(404, `No listener has the id ${JSON.stringify(id)}.`)
            : json(200, listenerView(socket));
        }
        if (method !== "DELETE") return methods("GET and DELETE");
        const drain = drainMs(request.query.get("drain"));
        if (typeof drain === "string") return error(400, drain);
        const removed = await changing(
          server.remove(id, { drainMs: drain, caller: `${method} ${path}` }),
          (done) =>
            `${method} ${path} removed ${socketsWords([done.socket])} ` +
            `(${done.open} connection(s) open, ${done.forced} closed by muxd)`,
        );
        return json(200, removedView(removed));
      }
      if (path === "/v1/reset") {
        if (method !== "POST") return methods("POST");
        return json(200, { reset: resets.resetAll() });
      }
      if (path === "/v1/events") {
        if (method !== "GET") return methods("GET");
        return { kind: "events" };
      }
      if (path === "/metrics") {
        if (metrics === null) {
          return error(404, "This control API serves no metrics (see docs/metrics.md).");
        }
        if (method !== "GET") return methods("GET");
        return { kind: "metrics", text: metrics() };
      }
      return error(
        404,
        "Not found: the control API's paths are /v1/... and /metrics (see docs/control.md).",
      );
    } catch (thrown) {
      return refusal(thrown);
    }
  };
}

/**
 * The listen entries of a `POST /v1/listeners` body: a spec string, a
 * config-style object (`{"listen": "tcp://...", "run": [...]}`), a list of
 * either, or `{"listen": [...]}`.
 *
 * @returns The entries, or what is wrong with the body, in one line.
 */
function listenBody(body: unknown): ListenEntry[] | string {
  const shape = 'send a spec ("tcp://127.0.0.1:0=echo"), an object with "listen", ' +
    'or {"listen": [specs]}';
  if (body === undefined) return `The request has no body: ${shape}.`;
  if (typeof body === "string") return [body];
  if (Array.isArray(body)) return entries(body, shape);
  if (typeof body === "object" && body !== null) {
    const listen = (body as Record<string, unknown>).listen;
    if (Array.isArray(listen)) {
      const others = Object.keys(body).filter((k) => k !== "listen");
      if (others.length > 0) {
        return `The body's "listen" is a list, so it may have no other keys (it has ` +
          `${others.map((k) => JSON.stringify(k)).join(", ")}): give options in each entry.`;
      }
      return entries(listen, shape);
    }
    if (typeof listen === "string") return [body as ListenEntry];
    return `The body's "listen" must be a spec or a list of specs: ${shape}.`;
  }
  return `The body is ${body === null ? "null" : `a ${typeof body}`}: ${shape}.`;
}

function entries(list: unknown[], shape: string): ListenEntry[] | string {
  if (list.length === 0) return `The list of specs is empty: ${shape}.`;
  for (const [i, entry] of list.entries()) {
    const ok = typeof entry === "string" ||
      (typeof entry === "object" && entry !== null && !Array.isArray(entry) &&
        typeof (entry as Record<string, unknown>).listen === "string");
    if (!ok) return `Entry ${i + 1} of the list is neither a spec nor an object with "listen".`;
  }
  return list as ListenEntry[];
}

/** The faults of a `PUT .../faults` body: `"latency=100&seed=1"`, an object, or `null`. */
function faultsBody(body: unknown): { faults: FaultsInput } | { problem: string } {
  const shape = 'send "latency=100&seed=1" or {"latency": 100, "seed": 1} (null for none)';
  if (body === undefined) return { problem: `The request has no body: ${shape}.` };
  if (body === null || typeof body === "string") return { faults: body };
  if (typeof body !== "object" || Array.isArray(body)) {
    return {
      problem: `The body is ${Array.isArray(body) ? "a list" : `a ${typeof body}`}: ${shape}.`,
    };
  }
  for (const [key, value] of Object.entries(body)) {
    if (!["string", "number", "boolean"].includes(typeof value)) {
      return { problem: `The fault ${JSON.stringify(key)} must be a string, number or boolean.` };
    }
  }
  return { faults: body as FaultsInput };
}

/** `?drain=SECONDS` in milliseconds (0 without it), or what is wrong with it. */
function drainMs(text: string | null): number | string {
  if (text === null) return 0;
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    return `drain=${text}: it must be a number of seconds, 0 or more.`;
  }
  if (seconds > MAX_DRAIN_SECONDS) return `drain=${text}: it may be ${MAX_DRAIN_SECONDS} at most.`;
  return Math.round(seconds * 1000);
}

/** The error body's shape, for the type checker. */
export type { ErrorBody };
