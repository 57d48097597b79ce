/**
 * The figures of one listener, as the metrics show them: counters that
 * `reset()` zeroes, and state (open connections, listening or not) that it
 * keeps. Labels are the listener's (transport, local socket name, service)
 * plus a reason or kind from a closed set: never a client's address.
 *
 * @module
 */

import type { Transport } from "../spec/types.ts";
import type { ServiceName } from "../services/names.ts";
import { Histogram } from "./histogram.ts";

/** The labels that name a listener's series. */
export interface ListenerLabels {
  /** `tcp` or `udp`. */
  readonly transport: Transport;
  /** The bound socket name, such as `127.0.0.1:7007` or `[::1]:53`. */
  readonly local: string;
  /** The service it runs. */
  readonly service: ServiceName;
}

/** Counts by a reason or kind: the keys come from a closed set of words. */
export type Tally = Map<string, number>;

/** What `reset()` zeroes: every counter and the histogram. */
export interface ListenerCounters {
  /** TCP connections accepted and handed to the service. */
  opened: number;
  /** TCP connections turned away before the service, by reason. */
  readonly refused: Tally;
  /** TCP connections ended, by reason. */
  readonly closed: Tally;
  /** UDP datagrams received. */
  datagrams: number;
  /** UDP replies sent. */
  replies: number;
  /** UDP replies a guard suppressed or cut, by reason. */
  readonly suppressed: Tally;
  /** Faults that hit a connection or datagram, by kind. */
  readonly faults: Tally;
  /** Bytes that arrived from clients: for TCP, those muxd drained or faults dropped too. */
  bytesIn: number;
  /** Bytes sent to clients. */
  bytesOut: number;
  /** Connections or datagrams that failed with an error. */
  errors: number;
  /** TCP connection durations, in seconds. */
  readonly durations: Histogram;
  /** Programs exec started. */
  execStarted: number;
  /** Programs exec ran that exited, by who ended them (`self` when they exited by themselves). */
  readonly execExited: Tally;
  /** UDP relay sessions ended, by reason. */
  readonly sessionsClosed: Tally;
  /** Bytes UDP relay sessions sent upstream, counted when a session ends. */
  sessionBytesUp: number;
  /** Bytes UDP relay sessions received from upstream, counted when a session ends. */
  sessionBytesDown: number;
}

/**
 * Fresh counters, all zero.
 *
 * @returns New counters.
 */
export function newCounters(): ListenerCounters {
  return {
    opened: 0,
    refused: new Map(),
    closed: new Map(),
    datagrams: 0,
    replies: 0,
    suppressed: new Map(),
    faults: new Map(),
    bytesIn: 0,
    bytesOut: 0,
    errors: 0,
    durations: new Histogram(),
    execStarted: 0,
    execExited: new Map(),
    sessionsClosed: new Map(),
    sessionBytesUp: 0,
    sessionBytesDown: 0,
  };
}

/**
 * Adds one to a tally's count for a key.
 *
 * @param tally The tally.
 * @param key The reason or kind.
 */
export function tally(tally: Tally, key: string): void {
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

/** One listener's series: its labels, its state and its counters. */
export interface ListenerSeries {
  /** Its labels. */
  readonly labels: ListenerLabels;
  /** Whether it is bound and serving now. */
  up: boolean;
  /** TCP connections open now. */
  open: number;
  /** The counters since start or the last reset. */
  counters: ListenerCounters;
}
