/**
 * The load benchmark's sections, each a table of its own in one run: echo
 * servers, relays in front of an upstream echo server, and servers that run
 * a program per connection. Each names its servers and the measures it takes.
 *
 * @module
 */

import { EXEC_PEERS } from "./exec_peers.ts";
import { type Peer, PEERS } from "./peers.ts";
import { RELAY_PEERS } from "./relay_peers.ts";
import type { MeasureId } from "./types.ts";

/** Which section: `echo`, `relay` or `exec`. */
export type SectionId = "echo" | "relay" | "exec";

/** One section of the benchmark. */
export interface Section {
  /** Its id. */
  readonly id: SectionId;
  /** Its heading in BENCHMARKS.md. */
  readonly title: string;
  /** Its servers, muxd first (ratios are to the first). */
  readonly peers: readonly Peer[];
  /** Its measures, in report order. */
  readonly measures: readonly MeasureId[];
}

/** Every section, in report order. */
export const SECTIONS: readonly Section[] = [
  {
    id: "echo",
    title: "Echo servers",
    peers: PEERS,
    measures: ["tcp-1", "tcp-32", "conn-rate", "udp-1", "udp-16", "idle-mem"],
  },
  {
    id: "relay",
    title: "Relays",
    peers: RELAY_PEERS,
    measures: ["tcp-1", "tcp-32", "conn-rate", "udp-1", "udp-16"],
  },
  {
    id: "exec",
    title: "Programs behind a port",
    peers: EXEC_PEERS,
    measures: ["conn-rate"],
  },
];

/** Every server of every section, in order: a server's place gives it its own fixed port. */
export const ALL_PEERS: readonly Peer[] = SECTIONS.flatMap((s) => s.peers);

/**
 * The section a server belongs to.
 *
 * @param id The server's id.
 * @returns Its section, or `undefined` for an unknown id.
 */
export function sectionOf(id: string): Section | undefined {
  return SECTIONS.find((s) => s.peers.some((p) => p.id === id));
}
