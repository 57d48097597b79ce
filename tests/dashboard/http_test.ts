import assert from "node:assert/strict";
import { findHeadEnd, parseRequestHead, type RequestHead } from "../../lib/dashboard/http.ts";

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("findHeadEnd() finds the blank line after CRLF or LF lines, also split between reads", () => {
  const cases: [string, number][] = [
    ["GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27],
    ["GET / HTTP/1.1\nHost: a\n\n", 24],
    ["GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next", 27],
    ["GET / HTTP/1.1\r\nHost: a\r\n", -1],
    ["GET / HTTP/1.1\r\nHost: a\r\n\r", -1],
  ];
  for (const [text, end] of cases) {
    assert.equal(findHeadEnd(encode(text), 0, text.length), end, JSON.stringify(text));
  }
  // The terminator arrives in pieces: searching from 2 before the old end finds it.
  const bytes = encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  for (let split = 1; split < bytes.length; split++) {
    const first = findHeadEnd(bytes, 0, split);
    const second = findHeadEnd(bytes, Math.max(0, split - 2), bytes.length);
    assert.equal(first === -1 ? second : first, 27, `split at ${split}`);
  }
});

Deno.test("parseRequestHead() reads the method, path, Host, body and keep-alive of a request head", () => {
  const get = (extra: Partial<RequestHead>): RequestHead => ({
    method: "GET",
    path: "/",
    host: "127.0.0.1:7080",
    authority: null,
    hasBody: false,
    keepAlive: true,
    query: "",
    contentLength: null,
    authorization: null,
    ...extra,
  });
  const cases: [string, RequestHead][] = [
    ["GET / HTTP/1.1\r\nHost: 127.0.0.1:7080\r\n\r\n", get({})],
    [
      "GET /api/sockets?x=1 HTTP/1.1\r\nhOsT:127.0.0.1:7080 \r\n\r\n",
      get({ path: "/api/sockets", query: "x=1" }),
    ],
    ["HEAD / HTTP/1.1\nHost: 127.0.0.1:7080\n\n", get({ method: "HEAD" })],
    ["GET / HTTP/1.1\r\n\r\n", get({ host: null })],
    ["GET / HTTP/1.0\r\nHost: 127.0.0.1:7080\r\n\r\n", get({ keepAlive: false })],
    [
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:7080\r\nConnection: keep-alive, Close\r\n\r\n",
      get({ keepAlive: false }),
    ],
    [
      "POST / HTTP/1.1\r\nHost: 127.0.0.1:7080\r\nContent-Length: 5\r\n\r\n",
      get({ method: "POST", hasBody: true, contentLength: 5 }),
    ],
    [
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:7080\r\nContent-Length: 00\r\n\r\n",
      get({ contentLength: 0 }),
    ],
    [
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:7080\r\nAuthorization: Bearer abc\r\n\r\n",
      get({ authorization: "Bearer abc" }),
    ],
    [
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:7080\r\nTransfer-Encoding: chunked\r\n\r\n",
      get({ hasBody: true }),
    ],
  ];
  for (const [text, head] of cases) {
    assert.deepEqual(parseRequestHead(encode(text)), head, JSON.stringify(text));
  }
});

Deno.test("parseRequestHead() reads a target in absolute form: its authority, path and query", () => {
  const get = (extra: Partial<RequestHead>): RequestHead => ({
    method: "GET",
    path: "/",
    host: "127.0.0.1:7080",
    authority: "127.0.0.1:7080",
    hasBody: false,
    keepAlive: true,
    query: "",
    contentLength: null,
    authorization: null,
    ...extra,
  });
  const head = (target: string, host = "127.0.0.1:7080") =>
    `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
  const cases: [string, RequestHead][] = [
    [head("http://127.0.0.1:7080/api/stats"), get({ path: "/api/stats" })],
    [head("HTTP://127.0.0.1:7080/api/stats?x=1"), get({ path: "/api/stats", query: "x=1" })],
    [head("http://127.0.0.1:7080"), get({})],
    [head("http://127.0.0.1:7080?x"), get({ query: "x" })],
    [
      head("http://[::1]:7080/", "[::1]:7080"),
      get({ host: "[::1]:7080", authority: "[::1]:7080" }),
    ],
    // The authority is read as it is; Host may differ (the authority wins, in the routes).
    [head("http://evil.example/", "127.0.0.1:7080"), get({ authority: "evil.example" })],
  ];
  for (const [text, head] of cases) {
    assert.deepEqual(parseRequestHead(encode(text)), head, JSON.stringify(text));
  }
});

Deno.test("parseRequestHead() refuses what is not a well-formed HTTP/1.x head in origin or absolute form", () => {
  const cases = [
    "",
    "\r\n\r\n",
    "GET /\r\n\r\n",
    "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    "GET https://127.0.0.1:7080/ HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET http://user@127.0.0.1:7080/ HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET http:///api/stats HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET 127.0.0.1:7080 HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
    "GET / HTTP/1.1\r\nno colon\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
  ];
  for (const text of cases) {
    assert.equal(parseRequestHead(encode(text)), null, JSON.stringify(text));
  }
});
