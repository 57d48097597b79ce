/**
 * What muxd's two HTTP servers, the dashboard and the control API, do alike
 * at their edges: bind their address with a plain-words error when they
 * cannot, and refuse a connection over their cap with a response sent at
 * once.
 *
 * @module
 */

import { errorCode } from "../bind/accept_error.ts";
import { type BindPurpose, plainReason } from "../explain/plain.ts";
import { type DashboardAddress, dashboardUrl } from "./address.ts";
import type { Link } from "./link.ts";

/** Which of muxd's HTTP servers: the option that sets its address is `--` and this. */
export type HttpPurpose = Exclude<BindPurpose, "listener">;

/** Each server as an error message names it. */
const SERVER_NAMES: Readonly<Record<HttpPurpose, string>> = {
  dashboard: "the dashboard",
  control: "the control API",
};

/** An HTTP server of muxd's could not bind its address. */
export class HttpBindError extends Error {
  /** The address that was asked for. */
  readonly address: DashboardAddress;
  /** The OS error's code, such as `EADDRINUSE`, or `null`. */
  readonly code: string | null;
  /** The explanation in plain words. */
  readonly reason: string;

  /**
   * Creates the error and its explanation.
   *
   * @param purpose Which server: the message names it, and the option that moves it.
   * @param address The address that was asked for.
   * @param cause The error `Deno.listen` threw.
   */
  constructor(purpose: HttpPurpose, address: DashboardAddress, cause: unknown) {
    const { hostname, port } = address;
    const reason = plainReason({ purpose, transport: "tcp", hostname, port }, cause);
    super(`Cannot bind ${SERVER_NAMES[purpose]} at ${dashboardUrl(address)}: ${reason}`, {
      cause,
    });
    this.name = "HttpBindError";
    this.address = address;
    this.code = errorCode(cause);
    this.reason = reason;
  }
}

/** A bound HTTP listener and where it is. */
export interface HttpListener {
  /** The listening socket. */
  readonly listener: Deno.TcpListener;
  /** The bound address, port 0 resolved. */
  readonly address: DashboardAddress;
  /** Its base URL, such as `http://127.0.0.1:7080/`. */
  readonly url: string;
}

/**
 * Binds an HTTP server's address.
 *
 * @param address Where to listen (port 0: any free port).
 * @param failed Makes the error thrown when it cannot be bound, from `Deno.listen`'s.
 * @returns The listener, its address and its URL.
 * @throws Whatever `failed` returns.
 */
export function listenHttp(
  address: DashboardAddress,
  failed: (cause: unknown) => HttpBindError,
): HttpListener {
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: address.hostname, port: address.port, transport: "tcp" });
  } catch (error) {
    throw failed(error);
  }
  const bound = { hostname: listener.addr.hostname, port: listener.addr.port };
  return { listener, address: bound, url: dashboardUrl(bound) };
}

/** What refusing a connection needs of a server's connection context. */
export interface RefusalContext {
  /** How long to linger after the response, and how many bytes to read and drop meanwhile. */
  readonly limits: { readonly lingerMs: number; readonly maxHeadBytes: number };
  /** A buffer for the bytes read and dropped. */
  readonly discard: Uint8Array;
  /** Reports a failure no client caused. */
  unexpected(error: unknown): void;
}

/**
 * Sends a response at once, without waiting for the request, lingers so that
 * the client reads it before the close, and closes. Never rejects.
 *
 * @param link The connection over the cap.
 * @param response The whole response, such as a 503.
 * @param ctx The server's limits and its report of failures.
 */
export async function refuse(link: Link, response: Uint8Array, ctx: RefusalContext): Promise<void> {
  try {
    if (await link.write(response)) {
      await link.lingeringClose(ctx.limits.lingerMs, ctx.discard, ctx.limits.maxHeadBytes);
    }
  } catch (error) {
    ctx.unexpected(error);
  } finally {
    link.close();
  }
}
