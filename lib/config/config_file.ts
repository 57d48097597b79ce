/**
 * The config file: JSONC with listeners and options. Every problem is
 * reported with its file:line:column, all at once.
 *
 * @module
 */

import { closeSync, constants, openSync } from "node:fs";
import {
  createScanner,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
  type SyntaxKind,
} from "jsonc-parser";
import type { ListenItem } from "../plan/plan.ts";
import { fileErrorWords } from "../explain/file_error.ts";
import { quote } from "../spec/listen_spec_error.ts";
import {
  CONFIG_KEYS,
  type ConfigValues,
  type SettingKey,
  SETTINGS,
} from "../provision/settings.ts";
import type { Setting } from "../provision/setting.ts";
import { checkConfigValue } from "../provision/merge_settings.ts";
import type { SpecSource } from "../spec/types.ts";

/** How log lines are written. */
export type LogFormat = "text" | "json";

/**
 * What a config file sets: its listen specs, and each other setting it
 * holds, checked against {@linkcode SETTINGS}. Absent keys keep their
 * defaults.
 */
export interface ServeSettings extends ConfigValues {
  /** The listen specs, each with its position. */
  readonly listen: readonly ListenItem[];
}

/** A config file that cannot be used: the message names file:line:column. */
export class ConfigError extends SyntaxError {
  /** Where in the file, or `undefined` when the file as a whole cannot be read. */
  readonly source: SpecSource | undefined;

  /**
   * Creates the error.
   *
   * @param message The one-line message, starting with the position.
   * @param source Where in the file the problem is.
   */
  constructor(message: string, source?: SpecSource) {
    super(message);
    this.name = "ConfigError";
    this.source = source;
  }
}

/** The result of {@linkcode parseConfig}: the settings and every error. */
export interface ConfigResult {
  /** What the file sets (the parts without errors). */
  readonly settings: ServeSettings;
  /** Every problem found, each with its position. */
  readonly errors: readonly ConfigError[];
}

/** Every setting a config file may hold, in the order of {@linkcode SETTINGS}. */
export { CONFIG_KEYS };

/** The largest config file muxd reads, in bytes (1 MiB): a real one is a few hundred bytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * How deeply arrays and objects may nest in a config file. A real one nests
 * two levels (the object, its `listen` array); the parser recurses once per
 * level, and thousands of levels would exhaust the call stack.
 */
export const MAX_CONFIG_DEPTH = 32;

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
 * import assert from "node:assert/strict";
 *
 * const { settings } = parseConfig(`{
 *   // two servers on one port, on different addresses
 *   "listen": ["tcp://127.0.0.1:7007=echo", "tcp://127.0.0.2:7007=whoami"],
 * }`, "muxd.jsonc");
 * assert.deepEqual(settings.listen[1].source, {
 *   kind: "file", path: "muxd.jsonc", line: 3, column: 43,
 * });
 * ```
 */
export function parseConfig(text: string, path: string): ConfigResult {
  const lines = lineStarts(text);
  const at = (offset: number) => position(lines, offset);
  const errors: ConfigError[] = [];
  const fail = (offset: number, what: string) => {
    const { line, column } = at(offset);
    errors.push(
      new ConfigError(`${path}:${line}:${column}: ${what}`, { kind: "file", path, line, column }),
    );
  };
  const tooDeep = firstTooDeep(text);
  if (tooDeep !== null) {
    fail(
      tooDeep,
      `arrays and objects nest more than ${MAX_CONFIG_DEPTH} levels deep here; a muxd config ` +
        `needs two ({ "listen": [...] })`,
    );
    return { settings: { listen: [] }, errors };
  }
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { allowTrailingComma: true });
  if (root === undefined && isBlank(text)) {
    // An editor that saves by truncating and writing leaves such a file for
    // a moment, which a reload may read.
    fail(0, 'the file is empty (or holds only comments); a muxd config is { "listen": [...] }');
    return { settings: { listen: [] }, errors };
  }
  for (const e of parseErrors) {
    fail(e.offset, `invalid JSONC: ${words(printParseErrorCode(e.error))}`);
  }
  if (parseErrors.length > 0 || !root) return { settings: { listen: [] }, errors };
  if (root.type !== "object") {
    fail(root.offset, 'the config must be an object, such as { "listen": [...] }');
    return { settings: { listen: [] }, errors };
  }

  const listen: ListenItem[] = [];
  const settings: Record<string, unknown> = { listen };
  const once = onceEach(at, fail);
  for (const property of root.children ?? []) {
    const [keyNode, value] = property.children as [Node, Node | undefined];
    const key = keyNode.value as string;
    if (!value || !once(keyNode)) continue;
    const setting = settingOf(key);
    if (setting === null) {
      fail(
        keyNode.offset,
        `unknown setting ${quote(key)}; known settings: ${CONFIG_KEYS.join(", ")}`,
      );
    } else if (setting.key === "listen") {
      readListen(value, listen, at, path, fail);
    } else {
      const checked = checkConfigValue(setting.row, value.value);
      if ("problem" in checked) fail(value.offset, `"${key}" ${checked.problem}`);
      else settings[setting.key] = checked.value;
    }
  }
  return { settings: settings as unknown as ServeSettings, errors };
}

/**
 * A check that each key of one object comes once: JSON leaves a repeated
 * key to the reader, and taking either silently would hide the other.
 *
 * @returns Tells, for each key in turn, whether it is the first of its name;
 *   a repeat is reported, with where the first is.
 */
function onceEach(
  at: (offset: number) => { line: number; column: number },
  fail: (offset: number, what: string) => void,
): (keyNode: Node) => boolean {
  const first = new Map<string, number>();
  return (keyNode) => {
    const key = keyNode.value as string;
    const seen = first.get(key);
    if (seen === undefined) {
      first.set(key, keyNode.offset);
      return true;
    }
    const { line, column } = at(seen);
    fail(keyNode.offset, `${quote(key)} is given twice in one object (first at ${line}:${column})`);
    return false;
  };
}

/** The setting whose config-file key is `key`, or `null`. */
function settingOf(key: string): { key: SettingKey; row: Setting } | null {
  for (const [name, row] of Object.entries(SETTINGS) as [SettingKey, Setting][]) {
    if (row.configKey === key) return { key: name, row };
  }
  return null;
}

/**
 * Reads the `listen` array: each entry a spec with its file:line:column,
 * either as text or as an object whose `listen` is the spec and whose other
 * keys are options (see {@linkcode listenEntrySpec}).
 */
function readListen(
  value: Node,
  listen: ListenItem[],
  at: (offset: number) => { line: number; column: number },
  path: string,
  fail: (offset: number, what: string) => void,
): void {
  if (value.type !== "array") {
    fail(value.offset, `"listen" must be an array of listen specs`);
    return;
  }
  for (const item of value.children ?? []) {
    if (item.type !== "string" && item.type !== "object") {
      fail(
        item.offset,
        `each "listen" entry must be a string such as "tcp://127.0.0.1:7007=echo", or an ` +
          `object such as { "listen": "tcp://127.0.0.1:7300=exec", "run": ["python3", "server.py"] }`,
      );
      continue;
    }
    const text = item.type === "string" ? item.value as string : listenEntrySpec(item, at, fail);
    if (text === null) continue;
    const { line, column } = at(item.offset);
    listen.push({ text, source: { kind: "file", path, line, column } });
  }
}

/** What an option's name may be, as in a spec: `max-procs`, `run`. */
const OPTION_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/**
 * The spec text of a `listen` entry written as an object:
 * `{ "listen": "tcp://127.0.0.1:7300=exec", "run": ["python3", "a, b"],
 * "max-procs": 4 }` is `tcp://127.0.0.1:7300=exec?run=...&max-procs=4`.
 * Each key other than `listen` is an option of the spec's service; its
 * value is a string, a number, a boolean, or an array of strings (which
 * the option reads as a JSON array: `run` takes each item as one argument,
 * commas and spaces included, with no quoting).
 *
 * @returns The spec text, or `null` after reporting each problem.
 */
function listenEntrySpec(
  entry: Node,
  at: (offset: number) => { line: number; column: number },
  fail: (offset: number, what: string) => void,
): string | null {
  let spec: string | null = null;
  const options: string[] = [];
  let ok = true;
  const problem = (offset: number, what: string) => {
    fail(offset, what);
    ok = false;
  };
  const once = onceEach(at, problem);
  for (const property of entry.children ?? []) {
    const [keyNode, value] = property.children as [Node, Node | undefined];
    const key = keyNode.value as string;
    if (!value || !once(keyNode)) continue;
    if (key === "listen") {
      if (value.type === "string") spec = value.value as string;
      else {
        problem(
          value.offset,
          `"listen" of a listen entry must be a spec such as "tcp://127.0.0.1:7300=exec"`,
        );
      }
      continue;
    }
    if (!OPTION_NAME.test(key)) {
      problem(
        keyNode.offset,
        `${quote(key)} is not an option name: option names are letters, digits and "-", ` +
          `such as "max-procs"`,
      );
      continue;
    }
    const text = optionText(value);
    if (typeof text !== "string") {
      problem(
        text.offset,
        `option ${quote(key)} must be a string, a number, true or false, or an array of strings`,
      );
    } else if (notText(value) !== null) {
      // An escaped half of a UTF-16 pair ("\ud800") has no UTF-8 form to
      // put in a spec, nor in a program's argument.
      problem(
        notText(value)!.offset,
        `option ${quote(key)} holds a lone half of a UTF-16 surrogate pair (an escape such as ` +
          `"\\ud800"), which is not text`,
      );
    } else {
      // The name is letters, digits and "-": only the value needs encoding.
      options.push(`${key}=${encodeURIComponent(text)}`);
    }
  }
  if (spec === null) {
    if (ok) {
      fail(
        entry.offset,
        `a listen entry written as an object needs "listen": the spec, such as ` +
          `"tcp://127.0.0.1:7300=exec"`,
      );
    }
    return null;
  }
  if (!ok) return null;
  if (options.length === 0) return spec;
  return `${spec}${spec.includes("?") ? "&" : "?"}${options.join("&")}`;
}

/**
 * The string, or the item of an array of strings, that holds a lone half of
 * a UTF-16 surrogate pair, or `null`.
 */
function notText(value: Node): Node | null {
  const strings = value.type === "array" ? value.children ?? [] : [value];
  return strings.find((s) => typeof s.value === "string" && !s.value.isWellFormed()) ?? null;
}

/** An option's value as spec text, or the node that has no such form. */
function optionText(value: Node): string | Node {
  switch (value.type) {
    case "string":
      return value.value as string;
    case "number":
    case "boolean":
      return String(value.value);
    case "array": {
      const items = value.children ?? [];
      const bad = items.find((item) => item.type !== "string");
      if (bad !== undefined) return bad;
      return JSON.stringify(items.map((item) => item.value as string));
    }
    default:
      return value;
  }
}

/**
 * Reads and parses a config file. It reads at most
 * {@linkcode MAX_CONFIG_BYTES} (so `/dev/zero` or a runaway pipe cannot fill
 * memory), and the file must be UTF-8 text (a byte order mark is allowed).
 *
 * @param path The file's path.
 * @param readMs How long reading it may take, in ms. @default CONFIG_READ_MS
 * @returns The settings and every error; a file that cannot be read or
 *   decoded is one error.
 */
export async function readConfig(
  path: string,
  readMs: number = CONFIG_READ_MS,
): Promise<ConfigResult> {
  const fail = (why: string): ConfigResult => ({
    settings: { listen: [] },
    errors: [new ConfigError(`${path}: cannot read config file: ${why}`)],
  });
  if (path === "") {
    return {
      settings: { listen: [] },
      errors: [new ConfigError("--config was given an empty path: name a config file")],
    };
  }
  let bytes: Uint8Array;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // A named pipe (FIFO) that nothing writes to would hold the read, and
    // with it every later reload, for ever. (A pipe that is written to, as
    // `-c <(...)` gives, is read as a file.)
    const late = new Promise<null>((resolve) => timer = setTimeout(resolve, readMs, null));
    const reading = readAtMost(path, MAX_CONFIG_BYTES + 1);
    const read = await Promise.race([reading, late]);
    if (read === null) {
      // Ended, and waited for (a moment at most), so that the next writer's
      // bytes go to the next read and not to this one.
      if (releaseReader(path)) {
        let wait: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          reading.catch(() => null),
          new Promise((resolve) => wait = setTimeout(resolve, readMs)),
        ]);
        clearTimeout(wait);
      }
      return fail(
        `nothing came to read within ${readMs / 1000} s: it is a named pipe (FIFO) ` +
          `that nothing writes to, or a file on a drive that does not answer; ` +
          `give muxd a regular file`,
      );
    }
    bytes = read;
  } catch (error) {
    return fail(fileErrorWords(error, "no such file"));
  } finally {
    clearTimeout(timer);
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    return fail(
      `it is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; a muxd config is a few hundred ` +
        `bytes: is it the right file?`,
    );
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) {
    const { line, column } = position(lineStarts(latin1(bytes.subarray(0, bad))), bad);
    return {
      settings: { listen: [] },
      errors: [
        new ConfigError(
          `${path}:${line}:${column}: not UTF-8 text (byte ${bad} is 0x${
            bytes[bad].toString(16).padStart(2, "0")
          }); save the file as UTF-8`,
          { kind: "file", path, line, column },
        ),
      ],
    };
  }
  const text = new TextDecoder().decode(bytes); // drops a byte order mark
  return parseConfig(text, path);
}

/**
 * Ends a read that waits on a named pipe with no writer: opens it once for
 * writing and closes it at once, so that the waiting open returns and reads
 * end of file, rather than take the data of the next writer, whom a later
 * read waits for. Without O_NONBLOCK that open would wait for a reader; a
 * pipe with none is left as it is (ENXIO), as is anything else.
 *
 * @returns Whether it opened the pipe, so that the read ends now.
 */
function releaseReader(path: string): boolean {
  try {
    if (!Deno.statSync(path).isFifo) return false;
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    return true;
  } catch {
    // Gone, no reader (ENXIO), or not ours to open: nothing waits on it.
    return false;
  }
}

/** How long reading a config file may take before muxd gives up on it, in ms. */
export const CONFIG_READ_MS = 5000;

/** Reads a file's first `limit` bytes, or all of it if it is shorter. */
async function readAtMost(path: string, limit: number): Promise<Uint8Array> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(Math.min(limit, 64 * 1024));
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < limit) {
    const n = await file.read(buffer.subarray(0, Math.min(buffer.length, limit - total)));
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The offset of the first byte that is not part of well-formed UTF-8, or -1.
 * (`TextDecoder` with `fatal` only says that one exists, not where.)
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [length, min] = [2, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [length, min] = [3, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [length, min] = [4, 0x10000];
    else return i;
    if (i + length > bytes.length) return i;
    let code = b & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += length;
  }
  return -1;
}

/** Bytes as one character each, for counting lines up to a byte offset. */
function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

/**
 * The token kinds the scanner is read for. jsonc-parser's `SyntaxKind` is a
 * `const enum`, which isolated modules cannot read: its values, as the
 * package declares them.
 */
const TOKEN = {
  openBrace: 1 as SyntaxKind,
  closeBrace: 2 as SyntaxKind,
  openBracket: 3 as SyntaxKind,
  closeBracket: 4 as SyntaxKind,
  lineComment: 12 as SyntaxKind,
  blockComment: 13 as SyntaxKind,
  lineBreak: 14 as SyntaxKind,
  trivia: 15 as SyntaxKind,
  eof: 17 as SyntaxKind,
} as const;

/** The kinds that hold no value: comments and white space. */
const BLANK_TOKENS: readonly SyntaxKind[] = [
  TOKEN.lineComment,
  TOKEN.blockComment,
  TOKEN.lineBreak,
  TOKEN.trivia,
];

/**
 * The offset of the first `[` or `{` that opens a level past
 * {@linkcode MAX_CONFIG_DEPTH}, or `null`. The scanner reads tokens without
 * recursion, so any depth is safe to measure.
 */
function firstTooDeep(text: string): number | null {
  const scanner = createScanner(text, false);
  let depth = 0;
  for (let kind = scanner.scan(); kind !== TOKEN.eof; kind = scanner.scan()) {
    if (kind === TOKEN.openBracket || kind === TOKEN.openBrace) {
      if (++depth > MAX_CONFIG_DEPTH) return scanner.getTokenOffset();
    } else if (kind === TOKEN.closeBracket || kind === TOKEN.closeBrace) {
      depth = Math.max(0, depth - 1);
    }
  }
  return null;
}

/** Whether JSONC text holds nothing but white space and comments. */
function isBlank(text: string): boolean {
  const scanner = createScanner(text, false);
  for (let kind = scanner.scan(); kind !== TOKEN.eof; kind = scanner.scan()) {
    // 0 is no error; an unterminated comment is one, reported as such.
    if (!BLANK_TOKENS.includes(kind) || scanner.getTokenError() !== 0) return false;
  }
  return true;
}

/**
 * Where each line of `text` starts. A line ends at CR LF, LF, or a CR alone
 * (the old Mac line end), as the JSONC parser and editors count lines.
 */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (const end of text.matchAll(/\r\n?|\n/g)) starts.push(end.index + end[0].length);
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
