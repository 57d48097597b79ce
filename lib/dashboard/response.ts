/**
 * The dashboard's HTTP responses as bytes: a status line, headers and a
 * body, encoded once and written to the connection as they are. A response
 * comes in up to four forms (for `GET` or `HEAD`, keeping the connection or
 * closing it), each encoded the first time it is asked for.
 *
 * @module
 */

/** The statuses the dashboard answers with. */
export type Status =
  | 200
  | 201
  | 204
  | 400
  | 401
  | 403
  | 404
  | 405
  | 409
  | 413
  | 415
  | 431
  | 500
  | 503;

const REASONS: Readonly<Record<Status, string>> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Headers on every response: the page may load only its own script and stylesheet. */
const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  [
    "content-security-policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  ],
  ["x-content-type-options", "nosniff"],
  ["referrer-policy", "no-referrer"],
];

const encoder = new TextEncoder();

/**
 * A response whose bytes are known in full: a file, a JSON answer, an error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FixedResponse } from "./response.ts";
 * const notFound = FixedResponse.text(404, "Not found.");
 * const text = new TextDecoder().decode(notFound.bytes({ head: false, close: true }));
 * assert.equal(text.split("\r\n")[0], "HTTP/1.1 404 Not Found");
 * assert.ok(text.endsWith("connection: close\r\n\r\nNot found.\n"));
 * ```
 */
export class FixedResponse {
  /** The status code. */
  readonly status: Status;
  #head: string;
  #body: Uint8Array;
  #forms: (Uint8Array | undefined)[] = [];

  /**
   * Creates a response; nothing is encoded until {@linkcode FixedResponse.bytes} is called.
   *
   * @param status The status code.
   * @param type The `content-type`.
   * @param body The body.
   * @param headers More headers, such as `["allow", "GET, HEAD"]`.
   */
  constructor(
    status: Status,
    type: string,
    body: string | Uint8Array,
    headers: readonly (readonly [string, string])[] = [],
  ) {
    this.status = status;
    this.#body = typeof body === "string" ? encoder.encode(body) : body;
    this.#head = headLines(status, [
      ["content-type", type],
      ["content-length", String(this.#body.length)],
      ["cache-control", status === 200 ? "no-cache" : "no-store"],
      ...headers,
    ]);
  }

  /**
   * A `text/plain` response with a fixed body.
   *
   * @param status The status code.
   * @param text The body, without its final newline.
   * @param headers More headers.
   * @returns The response.
   */
  static text(
    status: Status,
    text: string,
    headers: readonly (readonly [string, string])[] = [],
  ): FixedResponse {
    return new FixedResponse(status, "text/plain; charset=utf-8", text + "\n", headers);
  }

  /**
   * An `application/json` response, `no-store`.
   *
   * @param value The value to send, as indented JSON.
   * @returns The response.
   */
  static json(value: unknown): FixedResponse {
    return new FixedResponse(
      200,
      "application/json; charset=utf-8",
      JSON.stringify(value, null, 2) + "\n",
      [["cache-control", "no-store"]],
    );
  }

  /**
   * The response's bytes in one of its forms, encoded once per form.
   *
   * @param form `head`: without the body (a `HEAD` request); `close`: with
   *   `connection: close`, for the last response on a connection.
   * @returns The bytes to write.
   */
  bytes(form: { readonly head: boolean; readonly close: boolean }): Uint8Array {
    const index = (form.head ? 1 : 0) + (form.close ? 2 : 0);
    return this.#forms[index] ??= this.#encode(form.head, form.close);
  }

  #encode(head: boolean, close: boolean): Uint8Array {
    const top = encoder.encode(this.#head + (close ? "connection: close\r\n\r\n" : "\r\n"));
    if (head) return top;
    const out = new Uint8Array(top.length + this.#body.length);
    out.set(top);
    out.set(this.#body, top.length);
    return out;
  }
}

/**
 * The head of a Server-Sent Events response: no length, the body ends when
 * the connection closes.
 *
 * @returns The bytes of the status line and headers, up to the blank line.
 */
export function eventStreamHead(): Uint8Array {
  return encoder.encode(
    headLines(200, [
      ["content-type", "text/event-stream; charset=utf-8"],
      ["cache-control", "no-store"],
      ["connection", "close"],
    ]) + "\r\n",
  );
}

function headLines(status: Status, headers: readonly (readonly [string, string])[]): string {
  // A later header of the same name replaces an earlier one (cache-control of JSON).
  const merged = new Map<string, string>([...headers, ...SECURITY_HEADERS]);
  let text = `HTTP/1.1 ${status} ${REASONS[status]}\r\n`;
  for (const [name, value] of merged) text += `${name}: ${value}\r\n`;
  return text;
}
