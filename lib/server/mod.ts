/**
 * Starting and stopping muxd: `start(plan, { sink })` binds every listener
 * and returns a running server that reports its real socket names and can
 * be closed gracefully.
 *
 * @module
 */

export {
  type CloseOptions,
  type CloseResult,
  DEFAULT_MAX_CONNECTIONS,
  type ReconfigureOptions,
  type ReconfigureResult,
  type RunningServer,
  type ServingSocket,
  type ShownFaults,
  start,
  StartError,
  type StartOptions,
} from "./server.ts";
