/**
 * A raw HTTP/1.1 client for dashboard tests: exact bytes out, the answer
 * read as it comes, and how the server ended the connection. (`fetch`
 * cannot send a foreign Host header, half a request, or nothing at all.)
 */

/** One response as read from the socket. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

const decoder = new TextDecoder();

/** A connection to the dashboard that reads responses one after the other. */
export class RawClient implements Disposable {
  readonly conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends text as it is (latin1 is enough for a request head). */
  async send(text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
  }

  /**
   * Reads one response: its head, then `content-length` bytes of body, or
   * (for a response without a length) nothing more.
   *
   * @param ms How long to wait for it at most; then the connection is closed.
   * @returns The response, or `null` when the connection ended (or `ms` passed) first.
   */
  async response(ms = 10_000): Promise<RawResponse | null> {
    const timer = setTimeout(() => this[Symbol.dispose](), ms);
    try {
      return await this.#response();
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return null;
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #response(): Promise<RawResponse | null> {
    let end = -1;
    while ((end = indexOfBlankLine(this.#buffer)) < 0) {
      if (!await this.#fill()) return null;
    }
    const head = decoder.decode(this.#buffer.subarray(0, end)).split("\r\n");
    const status = Number(head[0].split(" ")[1]);
    const headers = new Map<string, string>();
    for (const line of head.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get("content-length") ?? 0);
    while (this.#buffer.length < end + 4 + length) {
      if (!await this.#fill()) break;
    }
    const body = decoder.decode(this.#buffer.subarray(end + 4, end + 4 + length));
    this.#buffer = this.#buffer.slice(end + 4 + length);
    return { status, headers, body };
  }

  /**
   * Reads until the server ends the connection, for at most `ms`.
   *
   * @returns How it ended, with what came before: `"eof"`, `"reset"`, or
   *   `"open"` when the connection was still open after `ms`.
   */
  async end(ms: number): Promise<{ how: "eof" | "reset" | "open"; text: string }> {
    const timer = setTimeout(() => this.conn.close(), ms);
    let how: "eof" | "reset" | "open" = "eof";
    try {
      while (await this.#fill());
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) how = "reset";
      else if (
        error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted
      ) {
        how = "open";
      } else throw error;
    } finally {
      clearTimeout(timer);
    }
    return { how, text: decoder.decode(this.#buffer) };
  }

  /** The bytes read but not yet taken by {@linkcode RawClient.response}. */
  pending(): string {
    return decoder.decode(this.#buffer);
  }

  /** Reads more; `false` at the end of the stream. */
  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    const joined = new Uint8Array(this.#buffer.length + n);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  /** Closes the connection; does nothing when it is closed already. */
  [Symbol.dispose](): void {
    try {
      this.conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }
}

/** A GET request head for `path` with the given Host. */
export function get(path: string, host: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

function indexOfBlankLine(bytes: Uint8Array): number {
  for (let at = bytes.indexOf(13); at !== -1; at = bytes.indexOf(13, at + 1)) {
    if (bytes[at + 1] === 10 && bytes[at + 2] === 13 && bytes[at + 3] === 10) return at;
  }
  return -1;
}
