/**
 * The rules of socket names: the host facts that decide whether a bind
 * works, the rules themselves with explanations and fixes, `predict()` for a
 * whole plan, `checkLive()` for the sockets other programs hold now, and the
 * report `muxd check` prints.
 *
 * @module
 */

export {
  type FactSources,
  type HostFacts,
  listInterfaces,
  readBindV6Only,
  readHostFacts,
  type ReadSysctls,
  runTool,
  sysctl,
} from "./host_facts.ts";
export {
  conflictFinding,
  conflictRule,
  type Finding,
  type RuleId,
  separateTransportsNote,
  type Severity,
  singleFindings,
  socketText,
} from "./rules.ts";
export { predict } from "./predict.ts";
export { type CheckReport, checkReport, formatCheckReport, type ReportedHolder } from "./report.ts";
export { checkLive, type LiveCheck, type LookUpHolders } from "./live_check.ts";
export { type HolderEffect, holderEffect, liveFinding } from "./live_rules.ts";
