/**
 * A small client of the control API for tests: fetch with the token, and a
 * raw HTTP request over TCP where a test must choose the Host header or
 * send a malformed request.
 *
 * @module
 */

/** A call of the control API: method, path (with query), and a body sent as JSON. */
export type Call = (method: string, path: string, body?: unknown) => Promise<Response>;

/**
 * Calls the control API with the token.
 *
 * @param url The API's base URL.
 * @param token The bearer token.
 * @returns A function that makes one call.
 */
export function caller(url: string, token: string): Call {
  return (method, path, body) =>
    fetch(new URL(path, url), {
      method,
      headers: { authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

/**
 * Sends raw bytes to a port and reads the reply until the server closes.
 *
 * @returns The reply's text ("" when the server closed without one).
 */
export async function rawRequest(port: number, text: string): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(text));
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  return new TextDecoder().decode(
    chunks.reduce((a, b) => {
      const c = new Uint8Array(a.length + b.length);
      c.set(a);
      c.set(b, a.length);
      return c;
    }, new Uint8Array(0)),
  );
}

/**
 * Sends a raw request and parses the reply into a `Response` (status,
 * headers, body), for a request fetch cannot send (its own Host header).
 *
 * @param port The control API's port.
 * @param text The request's bytes, as text.
 * @returns The response.
 */
export async function rawResponse(port: number, text: string): Promise<Response> {
  const reply = await rawRequest(port, text);
  const end = reply.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = reply.slice(0, end).split("\r\n");
  const headers = new Headers(lines.map((l) => {
    const colon = l.indexOf(":");
    return [l.slice(0, colon), l.slice(colon + 1).trim()] as [string, string];
  }));
  return new Response(reply.slice(end + 4), { status: Number(statusLine.split(" ")[1]), headers });
}
