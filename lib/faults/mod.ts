/**
 * Faults on purpose: latency, bandwidth, slicing, resets, closes, hangs and
 * stalls on TCP; drops, duplicates, reordering, delay, truncation and
 * corruption on UDP. Set per listener with spec options, repeatable with a
 * seed.
 *
 * @module
 */

export {
  type Faults,
  faultsFrom,
  REORDER_MAX_MS,
  type TcpFaults,
  type UdpFaults,
} from "./faults.ts";
export { FAULT_KEYS, FAULT_OPTIONS, type FaultsOn } from "./options.ts";
export { Random, randomSeed } from "./random.ts";
export { ActiveFaults } from "./active.ts";
export {
  DatagramFaults,
  type DatagramWay,
  type FaultReport,
  faultsHit,
  MAX_HELD_BYTES,
} from "./udp_faults.ts";
export {
  MAX_MS,
  parseBytes,
  parseMs,
  parseProbability,
  parseRate,
  parseTrigger,
  type Trigger,
  type WithChance,
  withChance,
} from "./units.ts";
