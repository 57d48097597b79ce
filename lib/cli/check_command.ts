/**
 * `muxd check`: the same specs as `serve`, checked against the host's rules
 * without binding anything.
 *
 * @module
 */

import { checkReport, formatCheckReport, predict, readHostFacts } from "../check/mod.ts";
import { buildPlan } from "../plan/plan.ts";
import { gatherListenItems } from "./listen_items.ts";
import { EXIT } from "./serve.ts";

/** What `muxd check` was asked on the command line. */
export interface CheckArgs {
  /** `--config FILE`. */
  readonly config?: string;
  /** Each `--listen SPEC`, in order. */
  readonly listen: readonly string[];
  /** `--public`. */
  readonly public: boolean;
  /** `--format`. */
  readonly format: "text" | "json";
}

/**
 * Runs `muxd check`.
 *
 * @param args The parsed options.
 * @param argv The raw arguments, to name each spec's position.
 * @returns 0 when `serve` would bind everything, 1 when it would fail, 2 for bad input.
 */
export async function check(args: CheckArgs, argv: readonly string[]): Promise<number> {
  const gathered = await gatherListenItems(args, argv);
  const facts = await readHostFacts();
  const { plan, errors } = buildPlan(gathered.items, { interfaces: facts.interfaces });
  const problems = [...gathered.problems, ...errors.map((e) => e.message)];
  if (problems.length > 0) {
    for (const p of problems) console.error(`muxd: ${p}`);
    return EXIT.badInput;
  }
  const allowPublic = args.public || (gathered.settings.public ?? false);
  const findings = predict(plan.listeners, facts, { allowPublic });
  const report = checkReport(plan.listeners, findings, facts);
  console.log(args.format === "json" ? JSON.stringify(report, null, 2) : formatCheckReport(report));
  return report.ok ? EXIT.ok : EXIT.bindFailed;
}
