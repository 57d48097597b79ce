/**
 * The config file: JSONC with listeners and options. Every problem is
 * reported with its file:line:column, all at once.
 *
 * @module
 */

import { type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import type { ListenItem } from "../plan/plan.ts";
import { quote } from "../spec/listen_spec_error.ts";

/** How log lines are written. */
export type LogFormat = "text" | "json";

/** What a config file (or the command line) sets. Absent fields keep their defaults. */
export interface ServeSettings {
  /** The listen specs, each with its position. */
  readonly listen: readonly ListenItem[];
  /** Grace period at shutdown, in milliseconds. */
  readonly graceMs?: number;
  /** `text` or `json`. */
  readonly logFormat?: LogFormat;
  /** Where to write the ready record. */
  readonly readyFile?: string;
  /** Serve what bound when some listeners fail. */
  readonly keepGoing?: boolean;
  /** Allow addresses reachable from other hosts. */
  readonly public?: boolean;
  /** Open TCP connections at most, over every listener. */
  readonly maxConnections?: number;
}

/** A config file that cannot be used: the message names file:line:column. */
export class ConfigError extends SyntaxError {
  /**
   * Creates the error.
   *
   * @param message The one-line message, starting with the position.
   */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The result of {@linkcode parseConfig}: the settings and every error. */
export interface ConfigResult {
  /** What the file sets (the parts without errors). */
  readonly settings: ServeSettings;
  /** Every problem found, each with its position. */
  readonly errors: readonly ConfigError[];
}

/** Every setting a config file may hold. */
export const CONFIG_KEYS = [
  "listen",
  "grace",
  "logFormat",
  "readyFile",
  "keepGoing",
  "public",
  "maxConnections",
] as const;

/**
 * Parses the text of a config file.
 *
 * @param text The file's content (JSON with comments and trailing commas).
 * @param path The file's path, used in positions and error messages.
 * @returns The settings and every error.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./config_file.ts";
 * const { settings } = parseConfig(`{
 *   // two servers on one port, on different addresses
 *   "listen": ["tcp://127.0.0.1:7007=echo", "tcp://127.0.0.2:7007=whoami"],
 * }`, "muxd.jsonc");
 * // settings.listen[1].source is { kind: "file", path: "muxd.jsonc", line: 3, column: 42 }
 * ```
 */
export function parseConfig(text: string, path: string): ConfigResult {
  const lines = lineStarts(text);
  const at = (offset: number) => position(lines, offset);
  const errors: ConfigError[] = [];
  const fail = (offset: number, what: string) => {
    const { line, column } = at(offset);
    errors.push(new ConfigError(`${path}:${line}:${column}: ${what}`));
  };
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { allowTrailingComma: true });
  for (const e of parseErrors) {
    fail(e.offset, `invalid JSONC: ${words(printParseErrorCode(e.error))}`);
  }
  if (parseErrors.length > 0 || !root) return { settings: { listen: [] }, errors };
  if (root.type !== "object") {
    fail(root.offset, 'the config must be an object, such as { "listen": [...] }');
    return { settings: { listen: [] }, errors };
  }

  const listen: ListenItem[] = [];
  const settings: { -readonly [K in keyof ServeSettings]: ServeSettings[K] } = { listen };
  for (const property of root.children ?? []) {
    const [keyNode, value] = property.children as [Node, Node | undefined];
    const key = keyNode.value as string;
    if (!value) continue;
    switch (key as typeof CONFIG_KEYS[number]) {
      case "listen":
        if (value.type !== "array") {
          fail(value.offset, `"listen" must be an array of listen specs`);
          break;
        }
        for (const item of value.children ?? []) {
          if (item.type !== "string") {
            fail(
              item.offset,
              `each "listen" entry must be a string such as "tcp://127.0.0.1:7007=echo"`,
            );
            continue;
          }
          const { line, column } = at(item.offset);
          listen.push({ text: item.value, source: { kind: "file", path, line, column } });
        }
        break;
      case "grace":
        if (value.type !== "number" || !(value.value >= 0) || value.value > 3600) {
          fail(value.offset, `"grace" must be a number of seconds from 0 to 3600`);
        } else settings.graceMs = value.value * 1000;
        break;
      case "logFormat":
        if (value.value !== "text" && value.value !== "json") {
          fail(value.offset, `"logFormat" must be "text" or "json"`);
        } else settings.logFormat = value.value;
        break;
      case "readyFile":
        if (value.type !== "string" || value.value === "") {
          fail(value.offset, `"readyFile" must be a file path`);
        } else settings.readyFile = value.value;
        break;
      case "keepGoing":
        if (value.type !== "boolean") fail(value.offset, `"keepGoing" must be true or false`);
        else settings.keepGoing = value.value;
        break;
      case "maxConnections":
        if (value.type !== "number" || !Number.isInteger(value.value) || value.value < 1) {
          fail(value.offset, `"maxConnections" must be a whole number of at least 1`);
        } else settings.maxConnections = value.value;
        break;
      case "public":
        if (value.type !== "boolean") fail(value.offset, `"public" must be true or false`);
        else settings.public = value.value;
        break;
      default:
        fail(
          keyNode.offset,
          `unknown setting ${quote(key)}; known settings: ${CONFIG_KEYS.join(", ")}`,
        );
    }
  }
  return { settings, errors };
}

/**
 * Reads and parses a config file.
 *
 * @param path The file's path.
 * @returns The settings and every error; a file that cannot be read is one error.
 */
export async function readConfig(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    return {
      settings: { listen: [] },
      errors: [new ConfigError(`${path}: cannot read config file: ${why}`)],
    };
  }
  return parseConfig(text, path);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}

/** `CommaExpected` → `comma expected`. */
function words(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}
