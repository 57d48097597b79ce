/**
 * The fault options every listener takes, whatever its service: one entry
 * each, with its key, the field it fills, the transport it applies to and its
 * parser. An option left out is `null`: no such fault.
 *
 * @module
 */

import { oneOf, wholeNumber } from "../services/options.ts";
import {
  parseBytes,
  parseMs,
  parseProbability,
  parseRate,
  parseTrigger,
  withChance,
} from "./units.ts";

/** A parser of an option that may be left out: `""`, its default, is `null`. */
function optional<T>(parse: (text: string) => T): (text: string) => T | null {
  return (text) => (text === "" ? null : parse(text));
}

/** UDP: which datagrams the faults hit: the client's requests, the replies, or both. */
export type FaultsOn = "request" | "reply" | "both";

const TCP = "tcp" as const;
const UDP = "udp" as const;
const TCP_ONLY = "it acts on a byte stream";
const UDP_ONLY = "it acts on datagrams";

/** The spec options that set faults. A new fault is one entry here. */
export const FAULT_OPTIONS = [
  {
    key: "latency",
    field: "latency",
    transport: TCP,
    transportReason: "UDP's is delay=",
    description: "Delay in ms of every chunk each way (an echo's round trip gains twice " +
      "this); VALUE@P: only that share of connections.",
    default: "",
    parse: optional(withChance(parseMs)),
  },
  {
    key: "latency-in",
    field: "latencyIn",
    transport: TCP,
    transportReason: "UDP's is delay=",
    description: "Delay in ms of what the client sends, before the service reads it.",
    default: "",
    parse: optional(withChance(parseMs)),
  },
  {
    key: "latency-out",
    field: "latencyOut",
    transport: TCP,
    transportReason: "UDP's is delay=",
    description: "Delay in ms of what the service sends, before the client gets it.",
    default: "",
    parse: optional(withChance(parseMs)),
  },
  {
    key: "jitter",
    field: "jitter",
    description: "Random variation in ms, up to this much either way, of latency (TCP, " +
      "order kept) or delay (UDP, order not kept).",
    default: "",
    parse: optional(parseMs),
  },
  {
    key: "bandwidth",
    field: "bandwidth",
    transport: TCP,
    transportReason: TCP_ONLY,
    description: "Bytes a second at most, each way (10000, 10KB/s, 1MiB/s).",
    default: "",
    parse: optional(withChance(parseRate)),
  },
  {
    key: "bandwidth-in",
    field: "bandwidthIn",
    transport: TCP,
    transportReason: TCP_ONLY,
    description: "Bytes a second at most from the client.",
    default: "",
    parse: optional(withChance(parseRate)),
  },
  {
    key: "bandwidth-out",
    field: "bandwidthOut",
    transport: TCP,
    transportReason: TCP_ONLY,
    description: "Bytes a second at most to the client.",
    default: "",
    parse: optional(withChance(parseRate)),
  },
  {
    key: "slice",
    field: "slice",
    transport: TCP,
    transportReason: TCP_ONLY,
    description: "Writes to the client in pieces of this many bytes, slice-delay apart.",
    default: "",
    parse: optional(withChance((text: string) => parseBytes(text, 1))),
  },
  {
    key: "slice-delay",
    field: "sliceDelay",
    transport: TCP,
    transportReason: TCP_ONLY,
    description: "Milliseconds between the pieces of slice.",
    default: "10",
    parse: parseMs,
  },
  {
    key: "reset-after",
    field: "resetAfter",
    transport: TCP,
    transportReason: TCP_ONLY,
    description: "Resets the connection (RST: the client sees ECONNRESET) after this many " +
      "bytes either way (4096, 64KiB) or this long after accept (500ms, 2s).",
    default: "",
    parse: optional(withChance(parseTrigger)),
  },
  {
    key: "close-after",
    field: "closeAfter",
    transport: TCP,
    transportReason: TCP_ONLY,
    description: "Closes the connection (FIN: the client reads end of stream) after this " +
      "many bytes either way or this long after accept.",
    default: "",
    parse: optional(withChance(parseTrigger)),
  },
  {
    key: "hang",
    field: "hang",
    transport: TCP,
    transportReason: TCP_ONLY,
    description: "Share of connections, 0 to 1, that are accepted and then neither read, " +
      "written nor closed until the idle limit: a cable unplugged.",
    default: "",
    parse: optional(parseProbability),
  },
  {
    key: "stall-after",
    field: "stallAfter",
    transport: TCP,
    transportReason: TCP_ONLY,
    description: "Stops reading after this many bytes from the client, so its writes " +
      "block once the buffers fill: flow control made visible.",
    default: "",
    parse: optional(withChance((text: string) => parseBytes(text))),
  },
  {
    key: "drop",
    field: "drop",
    transport: UDP,
    transportReason: UDP_ONLY,
    description: "Probability, 0 to 1, that a datagram is dropped.",
    default: "",
    parse: optional(parseProbability),
  },
  {
    key: "duplicate",
    field: "duplicate",
    transport: UDP,
    transportReason: UDP_ONLY,
    description: "Probability that a datagram is delivered twice.",
    default: "",
    parse: optional(parseProbability),
  },
  {
    key: "reorder",
    field: "reorder",
    transport: UDP,
    transportReason: UDP_ONLY,
    description: "Probability that a datagram is held back until reorder-window later " +
      "ones have gone ahead of it (at most 100 ms).",
    default: "",
    parse: optional(parseProbability),
  },
  {
    key: "reorder-window",
    field: "reorderWindow",
    transport: UDP,
    transportReason: UDP_ONLY,
    description: "How many later datagrams go ahead of one that reorder holds back.",
    default: "1",
    parse: wholeNumber(1, 1000),
  },
  {
    key: "delay",
    field: "delay",
    transport: UDP,
    transportReason: "TCP's is latency=",
    description: "Delay in ms of every datagram; VALUE@P: only that share of them.",
    default: "",
    parse: optional(withChance(parseMs)),
  },
  {
    key: "truncate",
    field: "truncate",
    transport: UDP,
    transportReason: UDP_ONLY,
    description: "Cuts datagrams longer than this many bytes to this many; VALUE@P: only " +
      "that share of them.",
    default: "",
    parse: optional(withChance((text: string) => parseBytes(text))),
  },
  {
    key: "corrupt",
    field: "corrupt",
    transport: UDP,
    transportReason: UDP_ONLY,
    description: "Probability that one byte of a datagram is flipped.",
    default: "",
    parse: optional(parseProbability),
  },
  {
    key: "faults-on",
    field: "faultsOn",
    transport: UDP,
    transportReason: UDP_ONLY,
    description: "Which datagrams the UDP faults hit: request (from the client, the " +
      "default), reply (to it) or both.",
    default: "request",
    parse: oneOf<FaultsOn>(["request", "reply", "both"]),
  },
  {
    key: "seed",
    field: "seed",
    description: "Seed of every random choice of the faults, so a run repeats exactly; " +
      "without it muxd picks one and logs it.",
    default: "",
    parse: optional(wholeNumber(0, 4_294_967_295)),
  },
] as const;

/** The keys of the options that set a fault, not how it behaves (`slice-delay`, `seed`...). */
export const FAULT_KEYS: ReadonlySet<string> = new Set([
  "latency",
  "latency-in",
  "latency-out",
  "jitter",
  "bandwidth",
  "bandwidth-in",
  "bandwidth-out",
  "slice",
  "reset-after",
  "close-after",
  "hang",
  "stall-after",
  "drop",
  "duplicate",
  "reorder",
  "delay",
  "truncate",
  "corrupt",
]);
