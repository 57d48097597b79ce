/**
 * muxd's services: what answers a TCP connection or a UDP datagram once a
 * listener has accepted it. Every service implements one small interface,
 * {@linkcode Service}, and {@linkcode SERVICES} holds them all by name.
 *
 * | Name      | RFC | TCP                                      | UDP reply                  |
 * |-----------|-----|------------------------------------------|----------------------------|
 * | `echo`    | 862 | every byte back until the half-close     | the same bytes             |
 * | `discard` | 863 | reads and drops until the half-close     | none                       |
 * | `chargen` | 864 | 74-byte lines until the client closes    | 0 to 512 bytes of them     |
 * | `qotd`    | 865 | one quote                                | the quote                  |
 * | `daytime` | 867 | `Sunday, November 22, 2026 15:04:05-UTC` | the same line              |
 * | `time`    | 868 | 4 bytes, seconds since 1900              | the same 4 bytes           |
 * | `whoami`  | —   | transport, both socket names, listener   | the same lines             |
 * | `size`    | —   | `Your data was N bytes long`             | the same, for the datagram |
 * | `banner`  | —   | one line of text                         | none: TCP only             |
 *
 * @example Answer a datagram the way the dispatcher does
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   BufferPool,
 *   getService,
 *   ProcessTable,
 *   type ServiceContext,
 *   TimeoutSignals,
 * } from "./mod.ts";
 *
 * const ctx: ServiceContext = {
 *   transport: "udp",
 *   local: { address: "127.0.0.1", port: 1060 },
 *   bound: { address: "127.0.0.1", port: 1060 },
 *   remote: { address: "127.0.0.1", port: 50000 },
 *   listener: "udp://127.0.0.1:1060=size",
 *   service: "size",
 *   options: {},
 *   now: () => new Date(),
 *   signal: new AbortController().signal,
 *   buffers: new BufferPool(),
 *   id: null,
 *   emit: () => {},
 *   processes: new ProcessTable(),
 *   timeouts: new TimeoutSignals(new AbortController().signal),
 * };
 * const reply = await getService("size").udp?.(new Uint8Array(5), ctx);
 * assert.equal(new TextDecoder().decode(reply ?? undefined), "Your data was 5 bytes long");
 * ```
 *
 * @module
 */

export { isServiceName, SERVICE_NAMES, type ServiceName } from "./names.ts";
export type {
  Service,
  ServiceCapabilities,
  ServiceContext,
  ServiceFiles,
  Stream,
  TcpOutcome,
} from "./service.ts";
export {
  anyText,
  decimal,
  oneOf,
  OptionError,
  type OptionValues,
  parseOptionValues,
  type ServiceOption,
  trueOrFalse,
  wholeNumber,
} from "./options.ts";
export type { SocketName, Transport } from "../spec/types.ts";
export { getService, SERVICES } from "./registry.ts";
export { banner, BANNER_OPTIONS, DEFAULT_BANNER_TEXT } from "./banner.ts";
export {
  chargen,
  CHARGEN_LINE_BYTES,
  CHARGEN_OPTIONS,
  CHARGEN_RING_SIZE,
  CHARGEN_UDP_MAX,
  chargenLine,
  chargenLines,
  chargenUdpLength,
} from "./chargen.ts";
export { daytime, daytimeLine } from "./daytime.ts";
export { discard } from "./discard.ts";
export { echo } from "./echo.ts";
export { DEFAULT_QUOTE, formatQuote, qotd, QOTD_OPTIONS } from "./qotd.ts";
export { size, sizeSentence } from "./size.ts";
export { RFC868_UNIX_EPOCH, rfc868Bytes, rfc868Seconds, time } from "./time.ts";
export { whoami, whoamiText } from "./whoami.ts";
export { exec, EXEC_OPTIONS, type ExecOptions } from "./exec.ts";
export {
  type ExecCommand,
  execEnvironment,
  parseEnvNames,
  parseRun,
  programFile,
  readableEnvNames,
  runnableCommand,
  runPermissionProblem,
} from "./exec_command.ts";
export { findProgram } from "./program_path.ts";
export {
  KILL_GRACE_MS,
  MAX_STDERR_LINE,
  MAX_STDERR_LINES,
  type Program,
  type ProgramOptions,
  startProgram,
} from "./exec_process.ts";
export {
  type EndSignal,
  findSetsid,
  type GroupSignal,
  groupSignal,
  type GroupSignalMethod,
  groupSignalMethod,
  NO_GROUP_SIGNAL,
  type ProgramLaunch,
  programLaunch,
  type SetsidLookup,
} from "./process_group.ts";
export {
  type EndCause,
  type ExecRefusal,
  type ProcessClaim,
  processKey,
  type ProcessLimits,
  ProcessTable,
} from "./process_table.ts";
export {
  BufferPool,
  LARGE_READ_BUFFER_SIZE,
  MEDIUM_READ_BUFFER_SIZE,
  type PooledSize,
} from "./buffer_pool.ts";
export {
  ChunkReader,
  MAX_READ_BUFFER_SIZE,
  MIN_READ_BUFFER_SIZE,
  readChunks,
} from "./read_chunks.ts";
export { writeAll } from "./write_all.ts";
export type { DatagramRelay, RelayHost, SessionCounts, SessionSockets } from "./relay.ts";
export { forward, FORWARD_OPTIONS, type ForwardOptions } from "./forward.ts";
export { formatUpstream, isOutsideLoopback, parseUpstream, type Upstream } from "./upstream.ts";
export { UpstreamError } from "./upstream_error.ts";
export { isTimeout, TIMEOUT_SLOT_MS, TimeoutSignals } from "./timeout_signals.ts";
export { proxyHeader, type ProxyVersion } from "./proxy_header.ts";
export { UdpRelay } from "./udp_relay.ts";
export { linger, LINGER_BYTES, LINGER_MS } from "./linger.ts";
