/**
 * New faults for a running listener, as `setFaults()` takes them: spec
 * option text or a record, checked by the same code as a spec's options at
 * start-up.
 *
 * @module
 */

import { FAULT_OPTIONS } from "../faults/options.ts";
import { buildPlan, PlanError, type PlannedListener } from "../plan/plan.ts";
import { formatListenSpec, parseListenSpec } from "../spec/listen_spec.ts";
import { quote } from "../spec/listen_spec_error.ts";
import type { SpecSource } from "../spec/types.ts";
import { SpecError } from "./listen_entries.ts";

/** Every fault option: those that set a fault and those that shape it (`seed`, `slice-delay`). */
const FAULT_OPTION_KEYS: ReadonlySet<string> = new Set(FAULT_OPTIONS.map((o) => o.key));

/**
 * Faults to set: option text as a spec writes it after `?`
 * (`"latency=100&seed=1"`, a leading `?` allowed), the same as a record
 * (`{ latency: 100, seed: 1 }`), or `null` for none.
 */
export type FaultsInput = string | Readonly<Record<string, string | number | boolean>> | null;

/**
 * The listener with other faults: the same socket, service and options,
 * and the given faults in place of its own. The faults are checked as a
 * spec's options are: an unknown option, a bad value, or a fault of the
 * other transport is an error naming the spec they would make.
 *
 * @param listener The running listener.
 * @param faults The new faults, or `null` for none.
 * @param caller What the call is, for the message: `setFaults()`.
 * @returns The listener with the new faults.
 * @throws {SpecError} When the faults cannot be used on this listener, or
 *   an option is not a fault option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "../plan/mod.ts";
 * import { withFaults } from "./fault_change.ts";
 *
 * const [udp] = buildPlan([{ text: "udp://127.0.0.1:0=echo", source: { kind: "argument", index: 1 } }])
 *   .plan.listeners;
 * const lossy = withFaults(udp, "drop=1&seed=7", "setFaults()");
 * assert.equal(lossy.faults?.text, "?drop=1&seed=7");
 * assert.equal(lossy.spec, "udp://127.0.0.1:0=echo?drop=1&seed=7");
 * assert.equal(withFaults(lossy, null, "setFaults()").faults, null);
 * assert.throws(() => withFaults(udp, { latency: 100 }, "setFaults()"), /applies to TCP listeners only/);
 * ```
 */
export function withFaults(
  listener: PlannedListener,
  faults: FaultsInput,
  caller: string,
): PlannedListener {
  const given = faultText(faults);
  const source: SpecSource = { kind: "call", name: caller, index: 1 };
  const base = parseListenSpec(listener.spec, source);
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(base.options)) {
    if (!FAULT_OPTION_KEYS.has(key)) kept[key] = value;
  }
  const plain = formatListenSpec({ ...base, options: kept });
  const text = given === "" ? plain : `${plain}${plain.includes("?") ? "&" : "?"}${given}`;
  // Said of the faults given, on the listener: the caller sent no spec.
  const what = `faults ${quote(given)} on ${plain}`;
  const { plan, errors } = buildPlan([{ text, source }]);
  if (errors.length > 0) {
    throw new SpecError(errors.map((e) => new PlanError(text, source, e.reason, what)));
  }
  const other = Object.keys(parseListenSpec(text, source).options)
    .find((key) => !FAULT_OPTION_KEYS.has(key) && !(key in kept));
  if (other !== undefined) {
    throw new SpecError([
      new PlanError(
        text,
        source,
        `${quote(other)} is not a fault option; ${caller} changes faults only (remove the ` +
          `listener and add it again to change its other options)`,
        what,
      ),
    ]);
  }
  const [planned] = plan.listeners;
  return { ...listener, faults: planned.faults, spec: planned.spec };
}

/** Faults as option text, without a leading `?`. */
function faultText(faults: FaultsInput): string {
  if (faults === null) return "";
  if (typeof faults === "string") return faults.startsWith("?") ? faults.slice(1) : faults;
  return Object.entries(faults)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join("&");
}
