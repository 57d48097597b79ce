/**
 * Starting, changing and stopping muxd: `start(plan, { sink })` binds every
 * listener and returns a running server that reports its real socket names,
 * takes more listeners (`add()`), closes one (`remove()`), changes one's
 * faults (`setFaults()`) or switches to a reloaded config
 * (`reconfigure()`), and can be closed gracefully.
 *
 * @module
 */

export { start } from "./server.ts";
export {
  type AddOptions,
  type CloseOptions,
  type CloseResult,
  DEFAULT_MAX_CONNECTIONS,
  type ReconfigureOptions,
  type ReconfigureResult,
  type RemoveOptions,
  type RemoveResult,
  type RunningServer,
  type ServingSocket,
  type SetFaultsOptions,
  type ShownFaults,
  StartError,
  type StartOptions,
} from "./running_server.ts";
export {
  type EntryPlan,
  type EntryPlanOptions,
  entryText,
  type ListenEntry,
  type ListenObject,
  planEntries,
  SpecError,
  type SpecProblem,
} from "./listen_entries.ts";
export { type FaultsInput, withFaults } from "./fault_change.ts";
export { listenerId } from "./listener_id.ts";
export { type ReconcilableListener, reconcile, type Reconciled } from "./reconcile.ts";
export { ServerClosedError, UnknownListenerError } from "./listener_errors.ts";
