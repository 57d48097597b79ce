/**
 * The limits and access rules of one listener, set with spec options such as
 * `tcp://127.0.0.1:7007=echo?max-conns=100&idle=30&deny=192.0.2.0/24`.
 *
 * @module
 */

import { CidrList } from "./cidr.ts";
import { decimal, oneOf, parseOptionValues, wholeNumber } from "../services/options.ts";

/** The largest `amplification` a listener may set. */
export const MAX_AMPLIFICATION = 1000;

/**
 * UDP, on loopback: which source ports get replies. `ephemeral`: only ports in
 * the host's ephemeral range, where the OS puts clients' sockets; `any`: any
 * port from 1024 up, for a client bound to a fixed port.
 */
export type ReplyTo = "ephemeral" | "any";

/**
 * The spec options that set limits: each one's key, the field of
 * {@linkcode ListenerLimits} it fills, its default and its parser. A new
 * limit is one entry here.
 */
export const LIMIT_OPTIONS = [
  {
    key: "allow",
    field: "allow",
    description: "Comma-separated CIDR ranges of peers to serve; others get nothing.",
    default: "",
    parse: CidrList.parse,
  },
  {
    key: "deny",
    field: "deny",
    description: "Comma-separated CIDR ranges of peers to refuse.",
    default: "",
    parse: CidrList.parse,
  },
  {
    key: "max-conns",
    field: "maxConns",
    transport: "tcp",
    description: "Open connections at most on this listener.",
    default: "1024",
    parse: wholeNumber(1, 1_000_000),
  },
  {
    key: "max-conns-per-source",
    field: "maxConnsPerSource",
    transport: "tcp",
    description: "Open connections at most from one source address (by default, only " +
      "sources outside loopback; set it to count loopback sources too).",
    default: "256",
    parse: wholeNumber(1, 1_000_000),
  },
  {
    key: "conn-rate",
    field: "connRate",
    transport: "tcp",
    description: "New connections a second from one source address, bursts of twice " +
      "that (by default, only sources outside loopback; set it to limit loopback too).",
    default: "200",
    parse: wholeNumber(1, 1_000_000),
  },
  {
    key: "idle",
    field: "idleMs",
    transport: "tcp",
    description: "Seconds without a byte either way before a connection is closed.",
    default: "300",
    parse: (text: string): number => decimal(0.1, 86_400)(text) * 1000,
  },
  {
    key: "reply-rate",
    field: "replyRate",
    transport: "udp",
    description: "Replies a second to one source, bursts of twice that (by default, only " +
      "sources outside loopback; set it to limit loopback too).",
    default: "50",
    parse: wholeNumber(1, 1_000_000),
  },
  {
    key: "amplification",
    field: "amplification",
    transport: "udp",
    description: "A reply to a source outside loopback is at most this many times the request.",
    default: "1",
    parse: decimal(0, MAX_AMPLIFICATION),
  },
  {
    key: "reply-to",
    field: "replyTo",
    transport: "udp",
    description: "On loopback, reply to source ports in the host's ephemeral range " +
      "(ephemeral) or to any port from 1024 up (any: a client bound to a fixed port).",
    default: "ephemeral",
    parse: oneOf<ReplyTo>(["ephemeral", "any"]),
  },
] as const;

/**
 * The limits of one listener, parsed: one field per entry of
 * {@linkcode LIMIT_OPTIONS} (`idleMs` in milliseconds), and
 * `perSourceOnLoopback` and `replyRateOnLoopback`. Written out, rather than derived from the table,
 * so that the library's public types (mod.ts) need no inference;
 * tests/guard/limits_test.ts makes the compiler check that the two agree.
 */
export interface ListenerLimits {
  /** Peers to serve (`allow`); empty: every peer. */
  readonly allow: CidrList;
  /** Peers to refuse (`deny`). */
  readonly deny: CidrList;
  /** Open connections at most on this listener (`max-conns`). */
  readonly maxConns: number;
  /** Open connections at most from one source address (`max-conns-per-source`). */
  readonly maxConnsPerSource: number;
  /** New connections a second from one source address (`conn-rate`). */
  readonly connRate: number;
  /** Milliseconds without a byte either way before a connection is closed (`idle`). */
  readonly idleMs: number;
  /** Replies a second to one source outside loopback (`reply-rate`). */
  readonly replyRate: number;
  /** How many times the request a reply to a source outside loopback may be (`amplification`). */
  readonly amplification: number;
  /** Which source ports get UDP replies on loopback (`reply-to`). */
  readonly replyTo: ReplyTo;
  /**
   * Whether `maxConnsPerSource` and `connRate` also hold for loopback
   * sources. By default they do not: loopback is where a test fixture's
   * clients live, and the total and per-listener caps still protect the
   * process. Setting either option in the spec makes both hold for loopback
   * too.
   */
  readonly perSourceOnLoopback: boolean;
  /**
   * Whether `replyRate` also holds for loopback sources: by default it does
   * not, for the same reason; setting `reply-rate` in the spec makes it hold
   * there too, so that a test on loopback can see it act.
   */
  readonly replyRateOnLoopback: boolean;
}

/**
 * The limits a spec's options set, with defaults for the rest, parsed once.
 *
 * @param options The spec's options as text, by key (other keys are ignored).
 * @returns The limits.
 * @throws {OptionError} When a value does not parse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitsFrom } from "./limits.ts";
 *
 * const limits = limitsFrom({ idle: "30", "max-conns": "10" });
 * assert.equal(limits.idleMs, 30_000);
 * assert.equal(limits.maxConns, 10);
 * assert.equal(limits.perSourceOnLoopback, false);
 * ```
 */
export function limitsFrom(options: Readonly<Record<string, string>>): ListenerLimits {
  return {
    ...parseOptionValues(LIMIT_OPTIONS, options),
    perSourceOnLoopback: options["max-conns-per-source"] !== undefined ||
      options["conn-rate"] !== undefined,
    replyRateOnLoopback: options["reply-rate"] !== undefined,
  };
}

/** The defaults, for a listener whose spec sets nothing: {@linkcode LIMIT_OPTIONS}' defaults, parsed. */
export const DEFAULT_LIMITS: ListenerLimits = limitsFrom({});
