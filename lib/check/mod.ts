/**
 * The rules of socket names: the host facts that decide whether a bind
 * works, the rules themselves with explanations and fixes, `predict()` for a
 * whole plan, and the report `muxd check` prints.
 *
 * @module
 */

export {
  type FactSources,
  type HostFacts,
  listInterfaces,
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
export { type DescribeHolders, explainBindFailure, type ExplainContext } from "./explain.ts";
export { type CheckReport, checkReport, formatCheckReport } from "./report.ts";
