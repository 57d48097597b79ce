/**
 * Where listen specs come from: the config file's, then each `--listen`,
 * each with its position; the built-in demo set when there are none.
 *
 * @module
 */

import { demoItems } from "../config/demo.ts";
import type { ListenItem } from "../plan/plan.ts";
import type { SpecSource } from "../spec/types.ts";
import { valueFlags } from "./settings.ts";

/** The listen specs of one run, and whether they are the demo set. */
export interface ListenItems {
  /** Every spec, with its position. */
  readonly items: readonly ListenItem[];
  /** `true` when no spec was given and the demo set is used. */
  readonly demo: boolean;
}

/**
 * Gathers the listen specs: the config file's, then each `--listen`; the
 * demo set when there are none and it may stand in for them.
 *
 * @param fromFile The config file's specs (none without one).
 * @param listen Each `--listen` value, in order.
 * @param argv The raw arguments, to name each spec's position.
 * @param demoAllowed Whether the demo set stands in when no spec is given:
 *   not with a config file (or one with problems), nor with the control API,
 *   which adds listeners of its own.
 * @returns The specs and whether they are the demo set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenItems } from "./listen_items.ts";
 *
 * const argv = ["serve", "-l", "tcp://127.0.0.1:0=echo"];
 * const { items, demo } = listenItems([], ["tcp://127.0.0.1:0=echo"], argv, true);
 * assert.deepEqual(items[0].source, { kind: "argument", index: 2, after: "serve" });
 * assert.equal(demo, false);
 * ```
 */
export function listenItems(
  fromFile: readonly ListenItem[],
  listen: readonly string[],
  argv: readonly string[],
  demoAllowed: boolean,
): ListenItems {
  const positions = listenPositions(argv);
  const items: ListenItem[] = [
    ...fromFile,
    ...listen.map((text, i) => ({
      text,
      source: argumentSource(argv, positions[i] ?? 0),
    })),
  ];
  const demo = items.length === 0 && demoAllowed;
  return { items: demo ? demoItems() : items, demo };
}

/**
 * Where an argument is, as error messages name it: counted after the
 * subcommand (`argument 2 after serve`), which is where what the user typed
 * begins whether it was `deno task serve -l SPEC` or `muxd serve -l SPEC`.
 *
 * @param argv The raw arguments, the subcommand first.
 * @param position The argument's 1-based position in `argv`.
 * @returns Its source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { argumentSource } from "./listen_items.ts";
 *
 * assert.deepEqual(argumentSource(["serve", "-l", "x"], 3), { kind: "argument", index: 2, after: "serve" });
 * assert.deepEqual(argumentSource(["-l", "x"], 2), { kind: "argument", index: 2 });
 * ```
 */
export function argumentSource(argv: readonly string[], position: number): SpecSource {
  const command = argv[0];
  return command !== undefined && !command.startsWith("-") && position > 1
    ? { kind: "argument", index: position - 1, after: command }
    : { kind: "argument", index: position };
}

/**
 * The 1-based position in `argv` of each `--listen`/`-l` value, in order,
 * so that errors can say "argument N".
 *
 * @param argv The raw arguments.
 * @returns One position per listen value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenPositions } from "./listen_items.ts";
 *
 * assert.deepEqual(listenPositions(["serve", "--grace", "-l", "-l", "x", "--listen=y"]), [5, 6]);
 * assert.deepEqual(listenPositions(["serve", "--", "-l", "x"]), [4]);
 * ```
 */
export function listenPositions(argv: readonly string[]): number[] {
  const takesValue = valueFlags();
  const out: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    // A `--` right after the command is `deno task serve -- ...` (muxd drops it).
    if (a === "--" && i === 1) continue;
    if (a === "--") break;
    if (a === "-l" || a === "--listen") out.push(i + 2);
    else if (a.startsWith("--listen=")) out.push(i + 1);
    if (takesValue.has(a)) i++;
  }
  return out;
}
