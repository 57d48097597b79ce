/**
 * The events of the `exec` service: a program started, wrote a line to its
 * standard error, exited, or was not run at all. Each names the connection
 * (TCP) or the datagram's sender (UDP), like every other event.
 *
 * @module
 */

import type { EndCause, ExecRefusal } from "../services/process_table.ts";
import type { SocketName } from "../spec/types.ts";
import type { EventBase } from "./event.ts";

/** What every exec event carries beyond {@linkcode EventBase}. */
export interface ExecEventBase extends EventBase {
  /** The local socket name the connection or datagram arrived on (the bound one when unknown). */
  readonly local: SocketName;
  /** The peer's socket name. */
  readonly remote: SocketName;
  /** The connection's id, for TCP; `null` for a datagram. */
  readonly id: number | null;
}

/** exec started a program for a connection or datagram. */
export interface ExecStartedEvent extends ExecEventBase {
  /** The event's kind. */
  readonly type: "exec-started";
  /** The program's process id. */
  readonly pid: number;
  /** The program, as `run` names it. */
  readonly program: string;
}

/**
 * How a program exec ran ended: in its `exec-exited` event, and in its TCP
 * connection's `connection-closed` event.
 */
export interface ProgramExit {
  /** The program, as `run` names it. */
  readonly program: string;
  /** The program's process id, which is also its process group's id. */
  readonly pid: number;
  /** Its exit status, or `null` when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, such as `SIGTERM`, or `null`. */
  readonly signal: string | null;
  /** Why muxd ended it, or `null` when it exited by itself. */
  readonly endedBy: EndCause | null;
}

/** A program exec ran exited. */
export interface ExecExitedEvent extends ExecEventBase {
  /** The event's kind. */
  readonly type: "exec-exited";
  /** The program's process id. */
  readonly pid: number;
  /** The program, as `run` names it. */
  readonly program: string;
  /** Its exit status, or `null` when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, such as `SIGTERM`, or `null`. */
  readonly signal: string | null;
  /** Why muxd ended it, or `null` when it exited by itself. */
  readonly endedBy: EndCause | null;
  /** Milliseconds from start to exit, to the microsecond (three decimals). */
  readonly runMs: number;
  /** Lines of standard error not logged, over the cap per program. */
  readonly stderrDropped: number;
}

/** A program exec ran wrote one line to its standard error. */
export interface ExecStderrEvent extends ExecEventBase {
  /** The event's kind. */
  readonly type: "exec-stderr";
  /** The program's process id. */
  readonly pid: number;
  /** The line, without its newline, cut to a bounded length. */
  readonly line: string;
}

/**
 * exec started a program whose process group muxd may not signal: what the
 * program starts in the background may outlive it. Comes once per running
 * server, with the first such program.
 */
export interface ExecNoGroupEvent extends ExecEventBase {
  /** The event's kind. */
  readonly type: "exec-no-group";
  /** The program's process id. */
  readonly pid: number;
  /** What it means and what to do, in plain words. */
  readonly detail: string;
}

/** exec ran no program for a connection or datagram. */
export interface ExecRefusedEvent extends ExecEventBase {
  /** The event's kind. */
  readonly type: "exec-refused";
  /** Why. */
  readonly reason: ExecRefusal;
  /** Why, in plain words, with what to do. */
  readonly detail: string;
}

/** Any event of the exec service. */
export type ExecEvent =
  | ExecStartedEvent
  | ExecExitedEvent
  | ExecStderrEvent
  | ExecRefusedEvent
  | ExecNoGroupEvent;
