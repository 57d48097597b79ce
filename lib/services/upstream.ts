/**
 * The upstream of a relay: the socket name `forward` connects or sends to,
 * written `127.0.0.1:8080`, `[::1]:53` or `localhost:8080` in its `to`
 * option and parsed once, when muxd provisions.
 *
 * @module
 */

import { parseHost } from "../spec/host.ts";
import { formatHost } from "../spec/host.ts";
import { quote } from "../spec/listen_spec_error.ts";
import { isLoopback } from "../spec/ip.ts";
import type { Host } from "../spec/types.ts";

/** Where a relay sends what its clients send: a host and a port. */
export interface Upstream {
  /** An IPv4 or IPv6 address, or a host name looked up when muxd connects or starts. */
  readonly host: Host;
  /** The port, 1–65535. */
  readonly port: number;
}

/**
 * Parses an upstream socket name: `ADDRESS:PORT`, `[IPV6]:PORT` or
 * `NAME:PORT`.
 *
 * @param text The `to` option's text.
 * @returns The upstream, its address in canonical form.
 * @throws {RangeError} When the text is not a host and a port from 1 to
 *   65535; the message says what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUpstream } from "./upstream.ts";
 *
 * assert.deepEqual(parseUpstream("127.0.0.1:8080"), {
 *   host: { kind: "ipv4", address: "127.0.0.1" },
 *   port: 8080,
 * });
 * assert.deepEqual(parseUpstream("[::1]:53").host, { kind: "ipv6", address: "::1" });
 * assert.throws(() => parseUpstream("127.0.0.1"), RangeError);
 * ```
 */
export function parseUpstream(text: string): Upstream {
  if (text === "") {
    throw new RangeError(`must name the upstream, such as to=127.0.0.1:8080 or to=[::1]:53`);
  }
  const colon = text.lastIndexOf(":");
  const bracketed = text.startsWith("[");
  const close = text.indexOf("]");
  if (colon < 0 || (bracketed && (close < 0 || colon < close))) {
    throw new RangeError(`must be HOST:PORT, such as 127.0.0.1:8080, not ${quote(text)}`);
  }
  if (bracketed && close !== colon - 1) {
    throw new RangeError(`must be [IPV6]:PORT, such as [::1]:53, not ${quote(text)}`);
  }
  const hostText = bracketed ? text.slice(1, close) : text.slice(0, colon);
  if (!bracketed && hostText.includes(":")) {
    throw new RangeError(`an IPv6 address goes in brackets: [${hostText}]:PORT`);
  }
  const portText = text.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65_535) {
    throw new RangeError(`port must be a number from 1 to 65535, not ${quote(portText)}`);
  }
  const host = parseHost(hostText, bracketed, (reason) => {
    throw new RangeError(reason);
  });
  if (host.kind !== "name" && (host.address === "0.0.0.0" || host.address === "::")) {
    throw new RangeError(`${formatHost(host)} is the wildcard, which names no one upstream`);
  }
  return { host, port };
}

/**
 * Formats an upstream as its `to` option writes it.
 *
 * @param upstream The upstream.
 * @returns `127.0.0.1:8080`, `[::1]:53` or `localhost:8080`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatUpstream, parseUpstream } from "./upstream.ts";
 *
 * assert.equal(formatUpstream(parseUpstream("[0:0::1]:53")), "[::1]:53");
 * ```
 */
export function formatUpstream(upstream: Upstream): string {
  return `${formatHost(upstream.host)}:${upstream.port}`;
}

/**
 * Tells whether an upstream lies outside this host's loopback: an address
 * outside 127.0.0.0/8 and ::1, or a host name other than `localhost`, which
 * may resolve anywhere. Such an upstream needs `--public`, as a listener
 * other hosts could reach does.
 *
 * @param upstream The upstream.
 * @returns `true` when muxd would send beyond loopback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOutsideLoopback, parseUpstream } from "./upstream.ts";
 *
 * assert.equal(isOutsideLoopback(parseUpstream("127.0.0.1:8080")), false);
 * assert.equal(isOutsideLoopback(parseUpstream("192.0.2.1:8080")), true);
 * assert.equal(isOutsideLoopback(parseUpstream("example.com:80")), true);
 * ```
 */
export function isOutsideLoopback(upstream: Upstream): boolean {
  const { host } = upstream;
  return host.kind === "name" ? host.name !== "localhost" : !isLoopback(host.address);
}
