/**
 * The bind plan: listen specs parsed, checked against their services and
 * expanded into one entry per socket, before anything is bound.
 *
 * @module
 */

export {
  buildPlan,
  LISTENER_OPTIONS,
  type ListenItem,
  needsReset,
  type Plan,
  PlanError,
  type PlannedListener,
  type PlanOptions,
  type PlanResult,
  sameFaults,
  sameListener,
  sameSocketName,
} from "./plan.ts";
export { answered, checkExposure, exposureReason, isExposed, PUBLIC_FIX } from "./exposure.ts";
