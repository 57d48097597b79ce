/**
 * The pure text layer of muxd: listen specs such as
 * `tcp://127.0.0.1:7007=echo` and `udp://[::1]:9000-9099=size`, IP
 * addresses, and socket names. Text is parsed here once, at the edge, into
 * the typed values the rest of muxd works on, and formatted back for
 * messages. Nothing here does I/O.
 *
 * ```ts
 * import { formatListenSpec, formatSocketName, parseListenSpec } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = parseListenSpec("udp://[0::1]:1060=size");
 * assert.equal(formatListenSpec(spec), "udp://[::1]:1060=size");
 * assert.equal(formatSocketName({ address: "::1", port: 1060 }), "[::1]:1060");
 * ```
 *
 * @module
 */

export type { Host, ListenSpec, PortRange, SocketName, SpecSource, Transport } from "./types.ts";
export { TRANSPORTS } from "./types.ts";
export { SERVICE_NAMES, type ServiceName } from "../services/names.ts";
export {
  formatIPv4,
  formatIPv6,
  isLoopback,
  isWildcard,
  parseIPv4,
  parseIPv6,
  unmappedIPv4,
} from "./ip.ts";
export { formatSocketName, socketNameOf } from "./socket_name.ts";
export { formatSource } from "./source.ts";
export { ListenSpecError, quote } from "./listen_spec_error.ts";
export { expandPorts } from "./port_range.ts";
export { formatListenSpec, parseListenSpec, parseListenSpecs } from "./listen_spec.ts";
