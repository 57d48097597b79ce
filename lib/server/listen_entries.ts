/**
 * Listen specs given to a call (`start()`, `add()`, the control API) rather
 * than on the command line: as text, or as the config file's object form,
 * planned and checked by the same code as at start-up.
 *
 * @module
 */

import {
  buildPlan,
  type ListenItem,
  type Plan,
  type PlanError,
  type PlannedListener,
} from "../plan/plan.ts";
import { checkExposure } from "../plan/exposure.ts";
import { checkUpstreams } from "../plan/upstream_exposure.ts";
import { checkRelayLoops } from "../plan/relay_loop.ts";
import type { ListenSpecError } from "../spec/listen_spec_error.ts";
import { quote } from "../spec/listen_spec_error.ts";

/**
 * A listen spec written as the config file's object form: `listen` is the
 * spec, and every other key one of its options, whose value is text, a
 * number, a boolean, or a list of text (which the option reads as a JSON
 * array, as exec's `run` does).
 */
export interface ListenObject {
  /** The spec, such as `tcp://127.0.0.1:0=exec`. */
  readonly listen: string;
  /** The spec's options, such as `run: ["python3", "server.py"]`. */
  readonly [option: string]: string | number | boolean | readonly string[];
}

/** A listen spec given to a call: its text, or the config file's object form. */
export type ListenEntry = string | ListenObject;

/** What an option's name may be, as in a spec: `max-procs`, `run`. */
const OPTION_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/**
 * The spec text of a listen entry: the text itself, or the object form's
 * `listen` with its other keys as options (as the config file writes them).
 *
 * @param entry A spec as text or as an object.
 * @returns The spec text.
 * @throws {TypeError} When the object form has no `listen`, a key that is
 *   no option name, or a value of another type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { entryText } from "./listen_entries.ts";
 *
 * assert.equal(entryText("tcp://127.0.0.1:0=echo"), "tcp://127.0.0.1:0=echo");
 * assert.equal(
 *   entryText({ listen: "tcp://127.0.0.1:0=exec", run: ["cat"], "max-procs": 4 }),
 *   "tcp://127.0.0.1:0=exec?run=%5B%22cat%22%5D&max-procs=4",
 * );
 * ```
 */
export function entryText(entry: ListenEntry): string {
  if (typeof entry === "string") return entry;
  if (typeof entry !== "object" || entry === null || typeof entry.listen !== "string") {
    throw new TypeError(
      `a listen spec must be text such as "tcp://127.0.0.1:0=echo", or an object such as ` +
        `{ listen: "tcp://127.0.0.1:0=exec", run: ["cat"] }`,
    );
  }
  const options: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (key === "listen") continue;
    if (!OPTION_NAME.test(key)) {
      throw new TypeError(
        `${quote(key)} is not an option name: option names are letters, digits and "-"`,
      );
    }
    options.push(`${key}=${encodeURIComponent(optionText(key, value))}`);
  }
  if (options.length === 0) return entry.listen;
  return `${entry.listen}${entry.listen.includes("?") ? "&" : "?"}${options.join("&")}`;
}

/** An option's value as spec text. */
function optionText(key: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return JSON.stringify(value);
  }
  throw new TypeError(
    `option ${quote(key)} must be text, a number, true or false, or a list of text`,
  );
}

/** One listen spec that cannot be used: it does not parse, cannot be served, or is exposed. */
export type SpecProblem = ListenSpecError | PlanError;

/**
 * Listen specs given to a call cannot be used; nothing was bound. The
 * message has one line per problem, each naming the spec and its place
 * (`spec 2 of add()`).
 */
export class SpecError extends Error {
  /** Every problem, in the order of the specs. */
  readonly problems: readonly SpecProblem[];

  /**
   * Creates the error from every problem found.
   *
   * @param problems The problems, at least one.
   */
  constructor(problems: readonly SpecProblem[]) {
    super(problems.map((p) => p.message.replaceAll("\n", " ")).join("\n"));
    this.name = "SpecError";
    this.problems = problems;
  }
}

/** What {@linkcode planEntries} needs to know. */
export interface EntryPlanOptions {
  /** What the call is, for positions in messages: `add()`, `POST /v1/listeners`. */
  readonly caller: string;
  /**
   * Allow addresses that other hosts can reach (`--public`); else such a
   * spec is a problem, as at start-up.
   * @default false
   */
  readonly allowPublic?: boolean;
  /**
   * The host's network interfaces, for specs whose host is an interface name.
   * @default [] (every name is a host name)
   */
  readonly interfaces?: readonly Deno.NetworkInterfaceInfo[];
  /**
   * `net.ipv6.bindv6only`: whether a `[::]` listener takes IPv6 alone, so
   * that a relay to an IPv4 address on its port is no ring.
   * @default false (dual-stack, Linux's default)
   */
  readonly bindV6Only?: boolean;
  /**
   * The listeners serving now, with the ports they bound: a new relay's
   * upstream may lead back through them.
   * @default []
   */
  readonly running?: readonly PlannedListener[];
}

/** What {@linkcode planEntries} found: the plan, and lines to log as warnings. */
export interface EntryPlan {
  /** Every listener to bind. */
  readonly plan: Plan;
  /** Such as a listener exposed with `allowPublic`. */
  readonly warnings: readonly string[];
}

/**
 * Plans listen specs given to a call, with the checks of start-up: each
 * spec parses, its service takes its transport and options, and it binds
 * loopback only unless `allowPublic`.
 *
 * @param entries The specs, in order.
 * @param options The caller's name and what the checks need.
 * @returns The plan.
 * @throws {SpecError} With every problem, when any spec cannot be used.
 * @throws {TypeError} When an entry in the object form is malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planEntries, SpecError } from "./listen_entries.ts";
 *
 * const { plan } = planEntries(["udp://127.0.0.1:0=echo"], { caller: "add()" });
 * assert.equal(plan.listeners[0].service, "echo");
 * assert.throws(
 *   () => planEntries(["tcp://127.0.0.1:0=echo", "udp://127.0.0.1:0=banner"], { caller: "add()" }),
 *   (e: unknown) =>
 *     e instanceof SpecError && e.message ===
 *       'Cannot use listen spec "udp://127.0.0.1:0=banner" (spec 2 of add()): ' +
 *         "banner is a TCP-only service",
 * );
 * ```
 */
export function planEntries(
  entries: readonly ListenEntry[],
  options: EntryPlanOptions,
): EntryPlan {
  const items: ListenItem[] = entries.map((entry, i) => ({
    text: entryText(entry),
    source: { kind: "call", name: options.caller, index: i + 1 },
  }));
  const interfaces = options.interfaces ?? [];
  const { plan, errors } = buildPlan(items, { interfaces });
  const allowPublic = options.allowPublic ?? false;
  const exposure = checkExposure(plan.listeners, allowPublic);
  const upstreams = checkUpstreams(plan.listeners, allowPublic);
  const loops = checkRelayLoops(
    [...options.running ?? [], ...plan.listeners],
    { interfaces, bindV6Only: options.bindV6Only },
    new Set(plan.listeners),
  );
  const problems = [...errors, ...exposure.errors, ...upstreams.errors, ...loops];
  if (problems.length > 0) throw new SpecError(problems);
  return { plan, warnings: [...exposure.warnings, ...upstreams.warnings] };
}
