/**
 * The typed values that text is parsed into once, at the edge: a transport,
 * a host, a port range, a socket name and a listen spec.
 *
 * @module
 */

import type { ServiceName } from "../services/names.ts";

/** The two transports muxd binds. */
export type Transport = "tcp" | "udp";

/** Every transport, in display order. */
export const TRANSPORTS: readonly Transport[] = ["tcp", "udp"] as const;

/**
 * The host part of a listen spec.
 *
 * - `ipv4` and `ipv6` hold a literal address in canonical text form (IPv6
 *   per RFC 5952, without brackets). `0.0.0.0` and `::` are the wildcards.
 * - `name` is a host name (`localhost`) or an interface name (`lo`), resolved
 *   when muxd binds.
 */
export type Host =
  | { readonly kind: "ipv4"; readonly address: string }
  | { readonly kind: "ipv6"; readonly address: string }
  | { readonly kind: "name"; readonly name: string };

/** An inclusive port range; a single port has `first === last`. */
export interface PortRange {
  /** The first port, 0–65535. Port 0 asks the OS to pick one. */
  readonly first: number;
  /** The last port, `>= first`. */
  readonly last: number;
}

/**
 * A parsed listen spec: which socket names to bind and which service answers
 * on them. Text form: `tcp://127.0.0.1:7007=echo`, `udp://[::1]:1060=size`,
 * `tcp://127.0.0.1:7009=banner?text=Hello`.
 */
export interface ListenSpec {
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The address (or name) to bind. */
  readonly host: Host;
  /** The port or port range to bind. */
  readonly port: PortRange;
  /** The service that answers every connection or datagram. */
  readonly service: ServiceName;
  /** Options after `?`, sorted by key; validated against the service later. */
  readonly options: Readonly<Record<string, string>>;
}

/** One end of a conversation: an address and a port. */
export interface SocketName {
  /** An IPv4 or IPv6 address in text form, without brackets. */
  readonly address: string;
  /** The port, 0–65535. */
  readonly port: number;
}

/** Where a piece of text came from, for error messages. */
export type SpecSource =
  /**
   * Argument `index` (from 1) of the command line, counted after the word
   * `after` when there is one (the subcommand: `argument 2 after serve`),
   * so that it counts what the user typed after `deno task serve` or
   * `muxd serve` alike.
   */
  | { readonly kind: "argument"; readonly index: number; readonly after?: string }
  | { readonly kind: "file"; readonly path: string; readonly line: number; readonly column: number }
  | { readonly kind: "builtin"; readonly name: string }
  /** Given to a call of the library or the control API: spec `index` (from 1) of `name`. */
  | { readonly kind: "call"; readonly name: string; readonly index: number };
