/**
 * What provisioning reports when the input cannot be used: one object per
 * problem, each with where it came from. The command line renders each as
 * one line.
 *
 * @module
 */

import type { ConfigError } from "../config/config_file.ts";
import type { PlanError } from "../plan/plan.ts";
import type { ListenSpecError } from "../spec/listen_spec_error.ts";
import type { SpecSource } from "../spec/types.ts";
import { visible } from "../spec/visible.ts";

/** A setting whose value cannot be used, such as a `--dashboard` address. */
export class SettingError extends Error {
  /** Where the value came from, when known. */
  readonly source: SpecSource | undefined;

  /**
   * Creates the error.
   *
   * @param message The one-line message, naming the setting and what is wrong.
   * @param source Where the value came from.
   */
  constructor(message: string, source?: SpecSource) {
    super(message);
    this.name = "SettingError";
    this.source = source;
  }
}

/**
 * One problem found while provisioning: a config file that cannot be read,
 * a listen spec that does not parse or cannot be used, or a bad setting.
 * Each names its position (`argument N`, `file:line:column`) in its message
 * and carries it as `source`.
 */
export type Problem = ConfigError | ListenSpecError | PlanError | SettingError;

/**
 * Renders a problem as the one line muxd prints, with every control or
 * format character escaped ({@linkcode visible}): a message may hold text
 * muxd did not choose (a path typed with an escape code, the host's
 * interface names, which root or a container's set-up names as it likes),
 * and none of it may move the terminal's cursor or clear its screen.
 *
 * @param problem The problem.
 * @returns Its message, on one line, safe to print.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProblem, SettingError } from "./problem.ts";
 *
 * assert.equal(formatProblem(new SettingError("bad\nvalue")), "bad value");
 * assert.equal(formatProblem(new SettingError("lo, ev\x1b[2J")), "lo, ev\\x1b[2J");
 * ```
 */
export function formatProblem(problem: Problem): string {
  return visible(problem.message.replaceAll("\n", " "));
}
