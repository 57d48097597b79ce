/**
 * HTTP/1.1 request heads, as far as the dashboard needs them: where a head
 * ends in the bytes read so far, and what it says (the method, the path,
 * the `Host` header or the authority of a target in absolute form, whether
 * a body follows, whether the client keeps the connection). Anything else
 * in a head is read past, never echoed.
 *
 * @module
 */

/** What the dashboard reads from a request head. */
export interface RequestHead {
  /** The method, case as sent (`GET`, `HEAD`, ...). */
  readonly method: string;
  /** The request target up to its query: `/api/sockets` for `/api/sockets?x=1`. */
  readonly path: string;
  /** The `Host` header's value, or `null` when there is none. */
  readonly host: string | null;
  /**
   * The authority of a target in absolute form (`127.0.0.1:7080` for
   * `GET http://127.0.0.1:7080/api/stats HTTP/1.1`), which a server must
   * accept and then use instead of `Host` (RFC 9112 §3.2.2); `null` for a
   * target in origin form (`/api/stats`).
   */
  readonly authority: string | null;
  /** `true` when a body follows the head (`Content-Length` above 0, or `Transfer-Encoding`). */
  readonly hasBody: boolean;
  /** `true` when the client keeps the connection for another request (HTTP/1.1 without `Connection: close`). */
  readonly keepAlive: boolean;
  /** The query after `?`, without it; `""` when there is none. */
  readonly query: string;
  /** The `Content-Length`, or `null` without one (or with `Transfer-Encoding`, which is `hasBody`). */
  readonly contentLength: number | null;
  /** The `Authorization` header's value, or `null` when there is none. */
  readonly authorization: string | null;
}

const LF = 0x0a;
const CR = 0x0d;

/** `METHOD SP target SP HTTP/1.x`; the target visible ASCII only. */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP\/1\.([01])$/;
/** A target in absolute form: `http://authority`, then a path or a query or nothing. */
const ABSOLUTE_FORM = /^http:\/\/([^/?#@]+)([/?].*)?$/i;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// latin1 maps every byte to one character, so a head never fails to decode.
const latin1 = new TextDecoder("latin1");

/**
 * Finds the blank line that ends a request head.
 *
 * @param bytes The bytes read so far.
 * @param from Where to start looking: 2 before the end of the bytes already
 *   searched, so that a terminator split between two reads is found.
 * @param length How many bytes of `bytes` hold data.
 * @returns The index just past the blank line, or -1 when the head is not complete.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findHeadEnd } from "./http.ts";
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\nnext");
 * assert.equal(findHeadEnd(bytes, 0, bytes.length), 27);
 * assert.equal(findHeadEnd(bytes, 0, 20), -1);
 * ```
 */
export function findHeadEnd(bytes: Uint8Array, from: number, length: number): number {
  const data = bytes.subarray(0, length);
  for (let at = data.indexOf(LF, from); at !== -1; at = data.indexOf(LF, at + 1)) {
    if (data[at + 1] === LF) return at + 2;
    if (data[at + 1] === CR && data[at + 2] === LF) return at + 3;
  }
  return -1;
}

/**
 * Parses a complete request head (lines ending in CRLF or LF, up to and
 * including the blank line). The target may be in origin form (`/path`) or
 * absolute form (`http://host:port/path`, whose authority is then
 * `authority`); a user name in it (`http://user@host/`) is refused.
 *
 * @param bytes The head, as found by {@linkcode findHeadEnd}.
 * @returns What it says, or `null` when it is not a well-formed HTTP/1.0 or
 *   HTTP/1.1 request head in origin or absolute form (which deserves a 400).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRequestHead } from "./http.ts";
 * const text = "GET /api/stats?x HTTP/1.1\r\nHost: 127.0.0.1:7080\r\n\r\n";
 * assert.deepEqual(parseRequestHead(new TextEncoder().encode(text)), {
 *   method: "GET", path: "/api/stats", host: "127.0.0.1:7080", authority: null, hasBody: false,
 *   keepAlive: true, query: "x", contentLength: null, authorization: null,
 * });
 * const absolute = "GET http://127.0.0.1:7080 HTTP/1.1\r\nHost: 127.0.0.1:7080\r\n\r\n";
 * const head = parseRequestHead(new TextEncoder().encode(absolute));
 * assert.equal(head?.authority, "127.0.0.1:7080");
 * assert.equal(head?.path, "/");
 * ```
 */
export function parseRequestHead(bytes: Uint8Array): RequestHead | null {
  const lines = latin1.decode(bytes).split("\n");
  const requestLine = REQUEST_LINE.exec(stripCr(lines[0]));
  if (requestLine === null) return null;
  const [, method, requested, minor] = requestLine;
  let target = requested;
  let authority: string | null = null;
  if (!target.startsWith("/")) {
    const absolute = ABSOLUTE_FORM.exec(target);
    if (absolute === null) return null;
    authority = absolute[1];
    // An empty path is "/" (RFC 9110 §4.2.3): `http://host?x` asks for `/?x`.
    const rest = absolute[2] ?? "";
    target = rest.startsWith("/") ? rest : "/" + rest;
  }
  let host: string | null = null;
  let authorization: string | null = null;
  let contentLength: string | null = null;
  let chunked = false;
  let close = minor === "0";
  for (let i = 1; i < lines.length; i++) {
    const line = stripCr(lines[i]);
    if (line === "") continue;
    // A line starting with whitespace continues the one before (obsolete folding): refused.
    if (line[0] === " " || line[0] === "\t") return null;
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return null;
    const value = line.slice(colon + 1).trim();
    switch (name.toLowerCase()) {
      case "host":
        if (host !== null) return null;
        host = value;
        break;
      case "content-length":
        if (contentLength !== null || !/^[0-9]+$/.test(value)) return null;
        contentLength = value;
        break;
      case "transfer-encoding":
        chunked = true;
        break;
      case "authorization":
        if (authorization !== null) return null;
        authorization = value;
        break;
      case "connection":
        if (value.toLowerCase().split(",").some((t) => t.trim() === "close")) close = true;
        break;
    }
  }
  const query = target.indexOf("?");
  return {
    method,
    path: query < 0 ? target : target.slice(0, query),
    host,
    authority,
    hasBody: chunked || (contentLength !== null && /[1-9]/.test(contentLength)),
    keepAlive: !close,
    query: query < 0 ? "" : target.slice(query + 1),
    contentLength: chunked || contentLength === null ? null : Number(contentLength),
    authorization,
  };
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
