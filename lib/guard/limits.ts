/**
 * The limits and access rules of one listener, set with spec options such as
 * `tcp://127.0.0.1:7007=echo?max-conns=100&idle=30&deny=192.0.2.0/24`.
 *
 * @module
 */

import type { ServiceOption } from "../services/service.ts";
import { CidrList } from "./cidr.ts";
import { quote } from "../spec/listen_spec_error.ts";

/**
 * UDP, on loopback: which source ports get replies. `ephemeral`: only ports in
 * the host's ephemeral range, where the OS puts clients' sockets; `any`: any
 * port from 1024 up, for a client bound to a fixed port.
 */
export type ReplyTo = "ephemeral" | "any";

/** The limits of one listener, parsed. */
export interface ListenerLimits {
  /** Peers allowed; empty means every peer. */
  readonly allow: CidrList;
  /** Peers denied; checked after `allow`. */
  readonly deny: CidrList;
  /** TCP: open connections at most on this listener. */
  readonly maxConns: number;
  /** TCP: open connections at most from one source address on this listener. */
  readonly maxConnsPerSource: number;
  /** TCP: new connections a second from one source address (bursts of twice that). */
  readonly connRate: number;
  /**
   * Whether `maxConnsPerSource` and `connRate` also hold for loopback
   * sources. By default they do not: loopback is where a test fixture's
   * clients live, and the total and per-listener caps still protect the
   * process. Setting either option in the spec makes both hold for loopback
   * too.
   */
  readonly perSourceOnLoopback: boolean;
  /** TCP: a connection with no bytes either way for this long is closed, in ms. */
  readonly idleMs: number;
  /** UDP: replies a second to one source address outside loopback (bursts of twice that). */
  readonly replyRate: number;
  /** UDP: a reply to a source outside loopback is at most this many times the request. */
  readonly amplification: number;
  /** UDP: which source ports on loopback get replies. */
  readonly replyTo: ReplyTo;
}

/** The defaults, for a listener whose spec sets nothing. */
export const DEFAULT_LIMITS: ListenerLimits = {
  allow: new CidrList([]),
  deny: new CidrList([]),
  maxConns: 1024,
  maxConnsPerSource: 256,
  connRate: 200,
  perSourceOnLoopback: false,
  idleMs: 300_000,
  replyRate: 50,
  amplification: 1,
  replyTo: "ephemeral",
};

const count = (min: number, max: number) => (v: string) =>
  /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max
    ? null
    : `must be a whole number from ${min} to ${max}, not ${quote(v)}`;

const decimal = (min: number, max: number) => (v: string) =>
  /^\d+(\.\d+)?$/.test(v) && Number(v) >= min && Number(v) <= max
    ? null
    : `must be a number from ${min} to ${max}, not ${quote(v)}`;

const cidrList = (v: string) => {
  try {
    CidrList.parse(v);
    return null;
  } catch (error) {
    if (error instanceof SyntaxError) return error.message;
    throw error;
  }
};

/** The spec options that set limits, with their defaults and checks. */
export const LIMIT_OPTIONS: readonly ServiceOption[] = [
  {
    key: "allow",
    description: "Comma-separated CIDR ranges of peers to serve; others get nothing.",
    default: "",
    validate: (v) => v === "" ? null : cidrList(v),
  },
  {
    key: "deny",
    description: "Comma-separated CIDR ranges of peers to refuse.",
    default: "",
    validate: (v) => v === "" ? null : cidrList(v),
  },
  {
    key: "max-conns",
    description: "TCP: open connections at most on this listener.",
    default: `${DEFAULT_LIMITS.maxConns}`,
    validate: count(1, 1_000_000),
  },
  {
    key: "max-conns-per-source",
    description: "TCP: open connections at most from one source address (by default, only " +
      "sources outside loopback; set it to count loopback sources too).",
    default: `${DEFAULT_LIMITS.maxConnsPerSource}`,
    validate: count(1, 1_000_000),
  },
  {
    key: "conn-rate",
    description: "TCP: new connections a second from one source address, bursts of twice " +
      "that (by default, only sources outside loopback; set it to limit loopback too).",
    default: `${DEFAULT_LIMITS.connRate}`,
    validate: count(1, 1_000_000),
  },
  {
    key: "idle",
    description: "TCP: seconds without a byte either way before a connection is closed.",
    default: `${DEFAULT_LIMITS.idleMs / 1000}`,
    validate: decimal(0.1, 86_400),
  },
  {
    key: "reply-rate",
    description: "UDP: replies a second to one source outside loopback, bursts of twice that.",
    default: `${DEFAULT_LIMITS.replyRate}`,
    validate: count(1, 1_000_000),
  },
  {
    key: "amplification",
    description:
      "UDP: a reply to a source outside loopback is at most this many times the request.",
    default: `${DEFAULT_LIMITS.amplification}`,
    validate: decimal(0, 1000),
  },
  {
    key: "reply-to",
    description: "UDP: on loopback, reply to source ports in the host's ephemeral range " +
      "(ephemeral) or to any port from 1024 up (any: a client bound to a fixed port).",
    default: DEFAULT_LIMITS.replyTo,
    validate: (v) =>
      v === "ephemeral" || v === "any" ? null : `must be "ephemeral" or "any", not ${quote(v)}`,
  },
];

/**
 * The limits a spec's options set, with defaults for the rest.
 *
 * @param options The spec's options, already validated.
 * @returns The limits.
 */
export function limitsFrom(options: Readonly<Record<string, string>>): ListenerLimits {
  const num = (key: string, fallback: number) =>
    options[key] === undefined ? fallback : Number(options[key]);
  return {
    allow: CidrList.parse(options.allow ?? ""),
    deny: CidrList.parse(options.deny ?? ""),
    maxConns: num("max-conns", DEFAULT_LIMITS.maxConns),
    maxConnsPerSource: num("max-conns-per-source", DEFAULT_LIMITS.maxConnsPerSource),
    connRate: num("conn-rate", DEFAULT_LIMITS.connRate),
    perSourceOnLoopback: options["max-conns-per-source"] !== undefined ||
      options["conn-rate"] !== undefined,
    idleMs: num("idle", DEFAULT_LIMITS.idleMs / 1000) * 1000,
    replyRate: num("reply-rate", DEFAULT_LIMITS.replyRate),
    amplification: num("amplification", DEFAULT_LIMITS.amplification),
    replyTo: options["reply-to"] === "any" ? "any" : DEFAULT_LIMITS.replyTo,
  };
}
