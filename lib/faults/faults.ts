/**
 * A listener's faults, parsed once when muxd provisions: what the network
 * between a client and the service does wrong on purpose.
 *
 * @module
 */

import { formatOptions } from "../spec/options.ts";
import { parseOptionValues } from "../services/options.ts";
import type { Transport } from "../spec/types.ts";
import { FAULT_KEYS, FAULT_OPTIONS, type FaultsOn } from "./options.ts";
import type { Trigger, WithChance } from "./units.ts";

/** A TCP listener's faults. A fault left out is `null` (`hang`: 0). */
export interface TcpFaults {
  /** Delay in ms of what the client sends (`latency-in`, else `latency`). */
  readonly latencyIn: WithChance<number> | null;
  /** Delay in ms of what the service sends (`latency-out`, else `latency`). */
  readonly latencyOut: WithChance<number> | null;
  /** Up to this many ms either way added to each chunk's latency; 0 for none. */
  readonly jitterMs: number;
  /** Bytes a second at most from the client (`bandwidth-in`, else `bandwidth`). */
  readonly bandwidthIn: WithChance<number> | null;
  /** Bytes a second at most to the client (`bandwidth-out`, else `bandwidth`). */
  readonly bandwidthOut: WithChance<number> | null;
  /** Writes to the client in pieces of this many bytes... */
  readonly slice: WithChance<number> | null;
  /** ...this many ms apart. */
  readonly sliceDelayMs: number;
  /** Reset (RST) after bytes either way or time since accept. */
  readonly resetAfter: WithChance<Trigger> | null;
  /** Close (FIN) after bytes either way or time since accept. */
  readonly closeAfter: WithChance<Trigger> | null;
  /** The share of connections that hang until the idle limit; 0 for none. */
  readonly hang: number;
  /** Stop reading after this many bytes from the client. */
  readonly stallAfter: WithChance<number> | null;
}

/** A UDP listener's faults. A probability left out is 0; a value, `null`. */
export interface UdpFaults {
  /** Probability that a datagram is dropped. */
  readonly drop: number;
  /** Probability that a datagram is delivered twice. */
  readonly duplicate: number;
  /** Probability that a datagram is held back... */
  readonly reorder: number;
  /** ...until this many later ones went ahead of it (at most {@linkcode REORDER_MAX_MS}). */
  readonly reorderWindow: number;
  /** Delay in ms of every datagram (or of that share). */
  readonly delay: WithChance<number> | null;
  /** Up to this many ms either way added to each datagram's delay; 0 for none. */
  readonly jitterMs: number;
  /** Cut datagrams longer than this many bytes to this many. */
  readonly truncate: WithChance<number> | null;
  /** Probability that one byte of a datagram is flipped. */
  readonly corrupt: number;
  /** Which datagrams the faults hit. */
  readonly on: FaultsOn;
}

/** The longest a datagram that `reorder` holds back waits, in ms. */
export const REORDER_MAX_MS = 100;

/** A listener's faults: one of `tcp` or `udp`, by its transport. */
export type Faults =
  | {
    readonly transport: "tcp";
    readonly tcp: TcpFaults;
    /** The seed the spec sets, or `null`: muxd picks one when the listener starts. */
    readonly seed: number | null;
    /** The fault options as a spec writes them, sorted: `?latency=100&seed=7`. */
    readonly text: string;
  }
  | {
    readonly transport: "udp";
    readonly udp: UdpFaults;
    /** The seed the spec sets, or `null`: muxd picks one when the listener starts. */
    readonly seed: number | null;
    /** The fault options as a spec writes them, sorted: `?drop=0.5&seed=1`. */
    readonly text: string;
  };

/**
 * The faults a spec's options set, or `null` when they set none (a listener
 * without faults pays nothing for the feature). Options are already checked:
 * each one's transport and value.
 *
 * @param options The spec's options as text, by key (other keys are ignored).
 * @param transport The listener's transport.
 * @returns The faults, or `null`.
 * @throws {OptionError} When a value does not parse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { faultsFrom } from "./faults.ts";
 *
 * assert.equal(faultsFrom({ idle: "30" }, "tcp"), null);
 * const faults = faultsFrom({ latency: "100", "latency-out": "20@0.5" }, "tcp");
 * assert.ok(faults?.transport === "tcp");
 * assert.deepEqual(faults.tcp.latencyIn, { value: 100, chance: 1 });
 * assert.deepEqual(faults.tcp.latencyOut, { value: 20, chance: 0.5 });
 * ```
 */
export function faultsFrom(
  options: Readonly<Record<string, string>>,
  transport: Transport,
): Faults | null {
  if (!Object.keys(options).some((key) => FAULT_KEYS.has(key))) return null;
  const own = FAULT_OPTIONS.filter((o) => !("transport" in o) || o.transport === transport);
  const given: Record<string, string> = {};
  for (const { key } of own) if (key in options) given[key] = options[key];
  const v = parseOptionValues(FAULT_OPTIONS, given);
  const text = formatOptions(given);
  if (transport === "tcp") {
    return {
      transport,
      seed: v.seed,
      text,
      tcp: {
        latencyIn: v.latencyIn ?? v.latency,
        latencyOut: v.latencyOut ?? v.latency,
        jitterMs: v.jitter ?? 0,
        bandwidthIn: v.bandwidthIn ?? v.bandwidth,
        bandwidthOut: v.bandwidthOut ?? v.bandwidth,
        slice: v.slice,
        sliceDelayMs: v.sliceDelay,
        resetAfter: v.resetAfter,
        closeAfter: v.closeAfter,
        hang: v.hang ?? 0,
        stallAfter: v.stallAfter,
      },
    };
  }
  return {
    transport,
    seed: v.seed,
    text,
    udp: {
      drop: v.drop ?? 0,
      duplicate: v.duplicate ?? 0,
      reorder: v.reorder ?? 0,
      reorderWindow: v.reorderWindow,
      delay: v.delay,
      jitterMs: v.jitter ?? 0,
      truncate: v.truncate,
      corrupt: v.corrupt ?? 0,
      on: v.faultsOn,
    },
  };
}
