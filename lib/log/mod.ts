/**
 * Logging: LogTape set up from `main`, and an event sink that turns each
 * server event into one log record.
 *
 * @module
 */

export {
  type Logging,
  type LoggingOptions,
  type LogLevel,
  type MainLog,
  mainLogger,
  setUpLogging,
} from "./log.ts";
export { type EnvReader, useColor } from "./use_color.ts";
export {
  FAULT_SUMMARY_MS,
  FaultSummary,
  type FaultSummaryLine,
  faultSummaryLog,
} from "./fault_summary.ts";
export {
  BUDGET_MS,
  type BudgetedEvent,
  type BudgetedType,
  DEFAULT_LOG_LINES,
  type HeldLines,
  heldLinesLog,
  isBudgeted,
  LineBudget,
} from "./line_budget.ts";
