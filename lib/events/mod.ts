/**
 * The event stream: one typed union of everything a running server does,
 * a hub that fans it out, and the one-line text form that logs use.
 *
 * @module
 */

export type {
  AcceptPausedEvent,
  AcceptResumedEvent,
  BindFailedEvent,
  CloseReason,
  ConnectionAbortedEvent,
  ConnectionClosedEvent,
  ConnectionOpenedEvent,
  ConnectionRefusedEvent,
  DatagramEvent,
  ErrorEvent,
  EventBase,
  EventSink,
  EventType,
  EventWanted,
  ListenerClosedEvent,
  ListenerOrigin,
  ListenerReplacedEvent,
  ListeningEvent,
  ReplyEvent,
  ReplySuppressedEvent,
  ServerEvent,
} from "./event.ts";
export type {
  ExecEvent,
  ExecEventBase,
  ExecExitedEvent,
  ExecNoGroupEvent,
  ExecRefusedEvent,
  ExecStartedEvent,
  ExecStderrEvent,
  ProgramExit,
} from "./exec_event.ts";
export type {
  SessionClosedEvent,
  SessionEndReason,
  SessionRefusedEvent,
  UpstreamConnectedEvent,
} from "./relay_events.ts";
export type {
  FaultEvent,
  FaultKind,
  FaultsChangedEvent,
  TcpFaultKind,
  UdpFaultKind,
} from "./fault_events.ts";
export { EventHub } from "./hub.ts";
export {
  DEFAULT_EVENT_BUFFER,
  type EventGap,
  EventSubscription,
  type SubscribedEvent,
} from "./subscription.ts";
export { formatEvent, formatFaults } from "./format.ts";
export { elapsedMs } from "./elapsed.ts";
export { bytesArrived } from "./bytes_arrived.ts";
