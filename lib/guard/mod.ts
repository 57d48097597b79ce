/**
 * Safety: access lists, connection limits and the UDP guards against loops
 * and amplification, each decided per connection or per datagram.
 *
 * @module
 */

export { type Cidr, CidrList, type IpAddress, parseCidr, parseIpAddress } from "./cidr.ts";
export type { OptionValues, ServiceOption } from "../services/options.ts";
export type { SocketName } from "../spec/types.ts";
export { RateLimiter } from "./rate_limiter.ts";
export { defaultEphemeralPorts } from "./ephemeral_ports.ts";
export {
  DEFAULT_LIMITS,
  LIMIT_OPTIONS,
  limitsFrom,
  type ListenerLimits,
  type ReplyTo,
} from "./limits.ts";
export { Admission, isAllowed, REFUSAL_WORDS, type RefusalReason } from "./admission.ts";
export {
  type GuardedListener,
  type ReplyDecision,
  SUPPRESS_WORDS,
  type Suppression,
  type SuppressReason,
  UdpGuard,
} from "./udp_guard.ts";
export {
  fingerprint,
  LOOP_PRINTS,
  LOOP_QUIET_MS,
  LOOP_REPEATS,
  LOOP_WINDOW_MS,
  type LoopCheck,
  LoopDetector,
} from "./loop_detector.ts";
export { type ConnectedPeers, peerKey, type PortClients } from "./connected_peers.ts";
export {
  LOOKUP_MAX_MS,
  LOOP_VERDICT_MS,
  LoopVerdicts,
  type RelaySockets,
} from "./loop_verdicts.ts";
