/**
 * The forward service (muxd's own): a relay from the listener to an
 * upstream socket name, over TCP and UDP.
 *
 * @module
 */

import { decimal, oneOf, type OptionValues, wholeNumber } from "./options.ts";
import type { ProxyVersion } from "./proxy_header.ts";
import type { Service } from "./service.ts";
import { parseUpstream } from "./upstream.ts";
import { forwardTcp } from "./forward_tcp.ts";
import { UdpRelay } from "./udp_relay.ts";

/** forward's spec options: the upstream, and the bounds of each leg. */
export const FORWARD_OPTIONS = [
  {
    key: "to",
    field: "to",
    description: "The upstream socket name: 127.0.0.1:8080, [::1]:53, or a host name and port " +
      "(one outside loopback needs --public).",
    default: "",
    parse: parseUpstream,
  },
  {
    key: "connect-timeout",
    field: "connectTimeoutMs",
    transport: "tcp",
    description: "Close the client's connection when the upstream has not accepted within " +
      "this many seconds.",
    default: "5",
    parse: (text: string) => decimal(0, 3600, "seconds", true)(text) * 1000,
  },
  {
    key: "proxy",
    field: "proxy",
    transport: "tcp",
    transportReason: "the PROXY protocol does not say where its header goes in a flow of " +
      "datagrams, and one before each would push the largest (65,507 B) past what UDP carries",
    description: "Send the upstream a PROXY protocol header (HAProxy's) before the client's " +
      "bytes, naming the client and the socket name it connected to: v1 (a text line), v2 " +
      "(binary), or none.",
    default: "none",
    parse: parseProxyVersion,
  },
  {
    key: "session-idle",
    field: "sessionIdleMs",
    transport: "udp",
    description: "End a client's session, and close its upstream socket, after this many " +
      "seconds without a datagram either way.",
    default: "30",
    parse: (text: string) => decimal(0, 86_400, "seconds", true)(text) * 1000,
  },
  {
    key: "max-sessions",
    field: "maxSessions",
    transport: "udp",
    description: "At most this many clients at once, each with an upstream socket of its own; " +
      "a new client past it takes the place of the least recently active one.",
    default: "256",
    parse: wholeNumber(1, 65_535),
  },
] as const;

/** Parses the `proxy` option: `v1`, `v2`, or `none` for no header (`null`). */
function parseProxyVersion(text: string): ProxyVersion | null {
  const word = oneOf(["none", "v1", "v2"])(text);
  return word === "none" ? null : word;
}

/** forward's options, parsed. */
export type ForwardOptions = OptionValues<typeof FORWARD_OPTIONS>;

/**
 * Forward, muxd's own: relays each client to the upstream named by `to`.
 *
 * - TCP: one upstream connection per client connection, bytes copied both
 *   ways, each end-of-stream passed on as a half-close. A refusal, a
 *   connect timeout or an upstream reset closes the client's connection
 *   with the reason `upstream`. With `proxy=v1` or `proxy=v2`, the
 *   upstream connection starts with a PROXY protocol header naming the
 *   client and the listener's socket name.
 * - UDP: one upstream socket per client (a session), each datagram passed
 *   on as one datagram both ways; replies leave from the listener's socket
 *   through the UDP guards. Sessions end after `session-idle`, and at most
 *   `max-sessions` are open at once (a new client past it takes the place
 *   of the least recently active one).
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:7200=forward?to=127.0.0.1:8080
 * tcp://127.0.0.1:7201=forward?to=127.0.0.1:8080&proxy=v2
 * udp://127.0.0.1:7253=forward?to=[::1]:53&session-idle=10
 * ```
 */
export const forward: Service<ForwardOptions> = {
  name: "forward",
  rfc: null,
  summary: "Relays each connection or datagram to the upstream named by to=HOST:PORT, and back.",
  options: FORWARD_OPTIONS,
  // TCP: the client's socket and the upstream's; UDP: a socket per session.
  files: (options, transport) =>
    transport === "tcp"
      ? { perConnection: 2, besides: 0 }
      : { perConnection: 0, besides: options.maxSessions },
  tcp: forwardTcp,
  udpRelay: (host) => new UdpRelay(host),
};
