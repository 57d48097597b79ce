/**
 * One control API connection: request heads read under the dashboard's
 * deadlines and size bound, the Host and token checks, a bounded JSON body
 * read under the same deadline, the route's answer, and the event stream.
 * Exactly one error boundary: a bug answers 500 (no stack trace), the
 * connection is closed, and the server goes on.
 *
 * @module
 */

import { readHead } from "../dashboard/connection.ts";
import type { ConnectionLimits } from "../dashboard/connection.ts";
import type { DashboardAddress } from "../dashboard/address.ts";
import { isAllowedHost } from "../dashboard/host_rule.ts";
import { parseRequestHead, type RequestHead } from "../dashboard/http.ts";
import type { Link } from "../dashboard/link.ts";
import { FixedResponse, type Status } from "../dashboard/response.ts";
import { METRICS_CONTENT_TYPE } from "../metrics/exposition.ts";
import type { MuxdServer } from "../server/muxd_server.ts";
import type { ControlAnswer, ControlRequest } from "./api.ts";
import { type SseMessages, streamEvents } from "./event_feed.ts";
import { bearerMatches } from "./token.ts";

/** What a control connection needs from its server. */
export interface ControlContext {
  /** The head deadlines and size bound; a body must arrive within `headerTimeoutMs` too. */
  readonly limits: ConnectionLimits;
  /** The most bytes a request body may have; a longer one gets 413. */
  readonly maxBodyBytes: number;
  /** The bound address, for the Host check. */
  readonly bound: DashboardAddress;
  /** The bearer token. */
  readonly token: string;
  /** Answers an authorized request. */
  readonly route: (request: ControlRequest) => Promise<ControlAnswer>;
  /** The server whose events `/v1/events` streams. */
  readonly server: MuxdServer;
  /** Events an event stream holds for a slow reader. */
  readonly eventBuffer: number;
  /** The events' messages, encoded once for all the event streams. */
  readonly messages: SseMessages;
  /** Ends every event stream when the control API closes. */
  readonly stopping: AbortSignal;
  /** A buffer to read bytes into that nobody looks at. */
  readonly discard: Uint8Array;
  /** Called with an error that is not a lost peer: a bug. */
  readonly unexpected: (error: unknown) => void;
}

/**
 * A JSON response.
 *
 * @param status The status.
 * @param body The value to send, or `undefined` for none (204).
 * @param headers More headers.
 * @returns The response.
 */
export function jsonResponse(
  status: Status,
  body: unknown,
  headers: readonly (readonly [string, string])[] = [],
): FixedResponse {
  const text = body === undefined ? "" : JSON.stringify(body) + "\n";
  return new FixedResponse(status, "application/json; charset=utf-8", text, [
    ["cache-control", "no-store"],
    ...headers,
  ]);
}

/**
 * Serves one connection until it ends, then closes it. Never rejects.
 *
 * @param link The connection.
 * @param ctx What the server provides.
 * @returns Resolves once the connection is closed.
 */
export async function serveControlConnection(link: Link, ctx: ControlContext): Promise<void> {
  try {
    link.noDelay();
    await converse(link, ctx);
    await link.lingeringClose(ctx.limits.lingerMs, ctx.discard, ctx.limits.maxHeadBytes);
  } catch (error) {
    ctx.unexpected(error);
  } finally {
    link.close();
  }
}

async function converse(link: Link, ctx: ControlContext): Promise<void> {
  let carried: Uint8Array = new Uint8Array(0);
  for (let fresh = true;; fresh = false) {
    const read = await readHead(link, carried, fresh, ctx.limits);
    if (read === null) return;
    if (read === "too-large") {
      await send(link, 431, `The request head is longer than ${ctx.limits.maxHeadBytes} bytes.`);
      return;
    }
    const head = parseRequestHead(read.head);
    if (head === null) return void await send(link, 400, "Not an HTTP/1.1 request head.");
    const refusal = check(head, ctx);
    if (refusal !== null) return void await link.write(refusal.bytes({ head: false, close: true }));
    const body = await readBody(link, head, read.rest, ctx);
    if (body === null) return;
    if (typeof body === "object" && "refusal" in body) {
      return void await send(link, body.status, body.refusal);
    }
    carried = body.rest;
    let answer: ControlAnswer;
    try {
      answer = await ctx.route({
        method: head.method,
        path: head.path,
        query: new URLSearchParams(head.query),
        body: body.value,
      });
    } catch (error) {
      ctx.unexpected(error);
      return void await send(link, 500, "The control API failed on this request; see muxd's log.");
    }
    if (answer.kind === "events") return streamEvents(link, ctx);
    const close = !head.keepAlive;
    const response = answer.kind === "metrics"
      ? new FixedResponse(200, METRICS_CONTENT_TYPE, answer.text, [["cache-control", "no-store"]])
      : jsonResponse(answer.status, answer.status === 204 ? undefined : answer.body);
    if (!await link.write(response.bytes({ head: false, close })) || close) return;
  }
}

/** Writes a JSON error and asks the client to close. */
async function send(link: Link, status: Status, message: string): Promise<void> {
  await link.write(jsonResponse(status, { error: message }).bytes({ head: false, close: true }));
}

/** The refusal every request passes before its route: Host, then token; `null` when it may go on. */
function check(head: RequestHead, ctx: ControlContext): FixedResponse | null {
  if (head.host === null) return jsonResponse(400, { error: "A Host header is required." });
  // A target in absolute form names the host the request is for, in place of Host.
  if (!isAllowedHost(head.authority ?? head.host, ctx.bound)) {
    return jsonResponse(403, {
      error: "The control API answers only requests addressed to its own IP address or to " +
        "localhost, with its port.",
    });
  }
  if (!bearerMatches(head.authorization, ctx.token)) {
    return jsonResponse(
      401,
      {
        error: "Send the control token as Authorization: Bearer TOKEN (see the ready record's " +
          '"control").',
      },
      [["www-authenticate", 'Bearer realm="muxd"']],
    );
  }
  return null;
}

type Body =
  | { readonly value: unknown; readonly rest: Uint8Array }
  | { readonly refusal: string; readonly status: Status };

/**
 * Reads the request's body (as long as `Content-Length` says, at most
 * `maxBodyBytes`, within the head deadline) and parses it as JSON.
 *
 * @returns The value (`undefined` for no body) and the bytes after it; a
 *   refusal; or `null` when the peer went away or the deadline passed.
 */
async function readBody(
  link: Link,
  head: RequestHead,
  rest: Uint8Array,
  ctx: ControlContext,
): Promise<Body | null> {
  if (head.hasBody && head.contentLength === null) {
    return { status: 400, refusal: "Send the body with a Content-Length, not chunked." };
  }
  const length = head.contentLength ?? 0;
  if (length > ctx.maxBodyBytes) {
    return { status: 413, refusal: `The body is longer than ${ctx.maxBodyBytes} bytes.` };
  }
  if (length === 0) return { value: undefined, rest };
  const bytes = new Uint8Array(length);
  let filled = Math.min(rest.length, length);
  bytes.set(rest.subarray(0, filled));
  const after = rest.slice(filled);
  const timer = setTimeout(() => link.close(), ctx.limits.headerTimeoutMs);
  try {
    while (filled < length) {
      const n = await link.read(bytes.subarray(filled));
      if (n === null) return null;
      filled += n;
    }
  } finally {
    clearTimeout(timer);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return { status: 400, refusal: "The body is not UTF-8 text." };
  }
  try {
    return { value: JSON.parse(text), rest: after };
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // A spec or faults sent bare (curl --data tcp://...) is the usual case.
    return {
      status: 400,
      refusal: `The body is not JSON (${error.message}): a spec or faults text goes in ` +
        `quotes, as a JSON string, such as "tcp://127.0.0.1:0=echo" or "drop=0.5".`,
    };
  }
}
