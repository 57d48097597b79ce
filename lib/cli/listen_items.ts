/**
 * Where `serve` and `check` get their listen specs: the config file, then
 * each `--listen`, or else the built-in demo set.
 *
 * @module
 */

import type { ServeSettings } from "../config/config_file.ts";
import { demoItems } from "../config/demo.ts";
import type { ListenItem } from "../plan/plan.ts";

/** The listen specs gathered from the config file and the command line. */
export interface GatheredItems {
  /** Every spec, with its position. */
  readonly items: ListenItem[];
  /** The config file's settings (empty without one). */
  readonly settings: ServeSettings;
  /** Problems with the config file, one line each. */
  readonly problems: string[];
  /** `true` when no spec was given and the demo set is used. */
  readonly demo: boolean;
}

/**
 * Gathers the listen specs: the config file's, then each `--listen`; the
 * demo set when there are none and the config file had no problems.
 *
 * @param args `--config` and `--listen` as parsed.
 * @param argv The raw arguments, to name each spec's position.
 * @returns The specs, the settings, and any problems.
 */
export async function gatherListenItems(
  args: { readonly config?: string; readonly listen: readonly string[] },
  argv: readonly string[],
): Promise<GatheredItems> {
  const problems: string[] = [];
  let items: ListenItem[] = [];
  let settings: ServeSettings = { listen: [] };
  if (args.config !== undefined) {
    // Loaded only for a config file: its JSONC parser adds about 12 ms to start-up.
    const { readConfig } = await import("../config/config_file.ts");
    const result = await readConfig(args.config);
    settings = result.settings;
    problems.push(...result.errors.map((e) => e.message));
    items = [...result.settings.listen];
  }
  const positions = listenPositions(argv);
  items.push(...args.listen.map((text, i) => ({
    text,
    source: { kind: "argument", index: positions[i] ?? 0 } as const,
  })));
  const demo = items.length === 0 && problems.length === 0;
  if (demo) items = demoItems();
  return { items, settings, problems, demo };
}

/** The options of `muxd serve` and `muxd check` that take a value, which may itself look like an option. */
const VALUE_OPTIONS = new Set([
  "-c",
  "--config",
  "-l",
  "--listen",
  "--log-format",
  "--log-level",
  "--ready-file",
  "--grace",
  "--format",
  "--dashboard",
]);

/**
 * The 1-based position in `argv` of each `--listen`/`-l` value, in order,
 * so that errors can say "argument N".
 *
 * @param argv The raw arguments.
 * @returns One position per listen value.
 */
export function listenPositions(argv: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (a === "-l" || a === "--listen") out.push(i + 2);
    else if (a.startsWith("--listen=")) out.push(i + 1);
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return out;
}
