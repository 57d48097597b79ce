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
export { FAULT_KINDS, type FaultCounts, formatFaultCounts } from "./kinds.ts";
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
export {
  acceptedFaults,
  type ChosenFault,
  planTcpConnection,
  type TcpFaultPlan,
  thousands,
  triggerWords,
} from "./tcp_plan.ts";
export { DELAY_LINE_BYTES, DelayLine, TIMER_LEAD_MS } from "./delay_line.ts";
export { PumpBuffer } from "./pump_buffer.ts";
export { Pacer, PACER_CHUNK_MS, PACER_SLACK_MS } from "./pacer.ts";
export { Waits } from "./waits.ts";
export { SocketEnd } from "./socket_end.ts";
export {
  type CountedStream,
  type FaultEnd,
  FaultEndedError,
  FaultyStream,
  type FaultyStreamParts,
} from "./faulty_stream.ts";
