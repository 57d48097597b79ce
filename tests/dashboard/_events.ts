/**
 * Server events for dashboard tests, built from a socket name and a peer
 * with the fields that do not matter filled in.
 */

import type { FaultKind, ServerEvent } from "../../lib/events/mod.ts";
import type { ServiceName } from "../../lib/services/names.ts";
import { formatSocketName } from "../../lib/spec/socket_name.ts";
import type { SocketName, Transport } from "../../lib/spec/types.ts";

/** A listener: its transport, socket name and service. */
export interface Socket {
  readonly transport: Transport;
  readonly local: SocketName;
  readonly service: ServiceName;
}

/** `tcp 127.0.0.1:7007` running echo. */
export const TCP_ECHO: Socket = {
  transport: "tcp",
  local: { address: "127.0.0.1", port: 7007 },
  service: "echo",
};

/** `tcp 127.0.0.2:7007` running whoami: the same port on another address. */
export const TCP_WHOAMI: Socket = {
  transport: "tcp",
  local: { address: "127.0.0.2", port: 7007 },
  service: "whoami",
};

/** `udp 127.0.0.2:1060` running echo. */
export const UDP_ECHO: Socket = {
  transport: "udp",
  local: { address: "127.0.0.2", port: 1060 },
  service: "echo",
};

/** The peer every event comes from. */
export const PEER: SocketName = { address: "127.0.0.1", port: 51234 };

function base(s: Socket) {
  return {
    time: 1000,
    transport: s.transport,
    listener: `${s.transport}://${formatSocketName(s.local)}=${s.service}`,
    service: s.service,
    local: s.local,
  };
}

/** Event builders, one per event type. */
export const ev = {
  listening: (s: Socket): ServerEvent => ({ ...base(s), type: "listening" }),
  bindFailed: (s: Socket, reason = "address already in use"): ServerEvent => ({
    ...base(s),
    type: "bind-failed",
    code: "EADDRINUSE",
    reason,
  }),
  closed: (s: Socket): ServerEvent => ({ ...base(s), type: "listener-closed" }),
  /** On a wildcard listener `local` is the address the peer chose; pass it as `to`. */
  opened: (s: Socket, id = 1, remote = PEER, to = s.local): ServerEvent => ({
    ...base(s),
    type: "connection-opened",
    transport: "tcp",
    id,
    local: to,
    remote,
    bound: s.local,
  }),
  connectionClosed: (
    s: Socket,
    bytesIn: number,
    bytesOut: number,
    id = 1,
    to = s.local,
  ): ServerEvent => ({
    ...base(s),
    type: "connection-closed",
    transport: "tcp",
    id,
    local: to,
    remote: PEER,
    bytesIn,
    bytesOut,
    durationMs: 3,
    reason: "done",
  }),
  datagram: (s: Socket, bytesIn: number, remote = PEER): ServerEvent => ({
    ...base(s),
    type: "datagram",
    transport: "udp",
    remote,
    bytesIn,
  }),
  refused: (s: Socket, to = s.local): ServerEvent => ({
    ...base(s),
    type: "connection-refused",
    transport: "tcp",
    local: to,
    remote: PEER,
    reason: "listener-full",
    detail: "the listener has as many open connections as it allows",
  }),
  suppressed: (s: Socket, bytesOut = 0): ServerEvent => ({
    ...base(s),
    type: "reply-suppressed",
    transport: "udp",
    remote: PEER,
    reason: "amplification",
    detail: "the reply would be larger than the request allows",
    bytesIn: 1,
    bytesOut,
  }),
  reply: (s: Socket, bytesOut: number): ServerEvent => ({
    ...base(s),
    type: "reply",
    transport: "udp",
    remote: PEER,
    bytesOut,
  }),
  /** A listener with faults: its spec gains the fault options. */
  faultyListening: (s: Socket, text: string, seed: number): ServerEvent => ({
    ...base(s),
    listener: `${base(s).listener}${text}`,
    type: "listening",
    faults: { text, seed },
  }),
  /** A fault that hit connection `id` (TCP, on `to`) or a datagram (UDP). */
  fault: (s: Socket, fault: FaultKind, id = 1, to = s.local): ServerEvent => ({
    ...base(s),
    type: "fault",
    fault,
    local: to,
    remote: PEER,
    id: s.transport === "tcp" ? id : null,
    on: s.transport === "tcp" ? null : "request",
    detail: fault,
  }),
  faultsChanged: (s: Socket, before: string, after: string, seed: number | null): ServerEvent => ({
    ...base(s),
    listener: `${base(s).listener}${after}`,
    type: "faults-changed",
    before,
    after,
    seed,
    by: "config",
    was: "config",
  }),
  error: (s: Socket): ServerEvent => ({
    ...base(s),
    type: "error",
    remote: PEER,
    id: 1,
    name: "TypeError",
    message: "boom",
  }),
};
