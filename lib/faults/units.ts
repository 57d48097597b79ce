/**
 * The units fault options are written in: durations (`100`, `100ms`, `2s`),
 * sizes (`4096`, `64KiB`, `10MB`), rates (`10KB/s`), probabilities (`0.25`)
 * and a fault's chance (`100@0.25`: a quarter of the connections get it).
 *
 * @module
 */

import { quote } from "../spec/listen_spec_error.ts";

/** Multipliers of the size suffixes: decimal `k`/`KB`, binary `KiB`. */
const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  B: 1,
  k: 1e3,
  K: 1e3,
  KB: 1e3,
  KiB: 1024,
  M: 1e6,
  MB: 1e6,
  MiB: 1024 ** 2,
  G: 1e9,
  GB: 1e9,
  GiB: 1024 ** 3,
};

const NUMBER = /^(\d+(?:\.\d+)?)/;

/** The longest duration a fault takes: one day, in ms. */
export const MAX_MS = 86_400_000;

/**
 * Parses a duration in milliseconds: a bare number is milliseconds, or it
 * ends in `ms` or `s`.
 *
 * @param text Such as `100`, `2.5ms` or `1s`.
 * @returns Milliseconds, from 0 to one day.
 * @throws {RangeError} For anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMs } from "./units.ts";
 *
 * assert.equal(parseMs("100"), 100);
 * assert.equal(parseMs("1.5s"), 1500);
 * ```
 */
export function parseMs(text: string): number {
  const match = text.match(/^(\d+(?:\.\d+)?)(ms|s)?$/);
  const ms = match === null ? NaN : Number(match[1]) * (match[2] === "s" ? 1000 : 1);
  if (!(ms >= 0 && ms <= MAX_MS)) {
    throw new RangeError(
      `must be milliseconds, such as 100 or 100ms or 2s (at most a day), not ${quote(text)}`,
    );
  }
  return ms;
}

/**
 * Parses a size in bytes: a bare number, or one with a unit (`k`, `KB`,
 * `KiB`, `M`, `MB`, `MiB`, `G`, `GB`, `GiB`; `k` and `KB` are 1,000).
 *
 * @param text Such as `4096`, `64KiB` or `1.5MB`.
 * @param min The smallest allowed. @default 0
 * @returns Whole bytes.
 * @throws {RangeError} For anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBytes } from "./units.ts";
 *
 * assert.equal(parseBytes("64KiB"), 65_536);
 * assert.equal(parseBytes("10MB"), 10_000_000);
 * ```
 */
export function parseBytes(text: string, min = 0): number {
  const number = text.match(NUMBER);
  const unit = number === null ? undefined : SIZE_UNITS[text.slice(number[1].length)];
  const bytes = unit === undefined ? NaN : Math.round(Number(number![1]) * unit);
  if (!(bytes >= min && bytes <= Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(
      `must be ${
        min === 1 ? "at least 1 byte" : min > 0 ? `at least ${min} bytes` : "bytes"
      }, such as 4096 or 64KiB or 10MB, not ${quote(text)}`,
    );
  }
  return bytes;
}

/**
 * Parses a rate in bytes a second: a size, optionally followed by `/s`.
 *
 * @param text Such as `10000`, `10KB/s` or `100MB`.
 * @returns Bytes a second, at least 1.
 * @throws {RangeError} For anything else.
 */
export function parseRate(text: string): number {
  try {
    return parseBytes(text.endsWith("/s") ? text.slice(0, -2) : text, 1);
  } catch {
    throw new RangeError(
      `must be bytes a second, at least 1, such as 10000 or 10KB/s or 1MiB/s, not ${quote(text)}`,
    );
  }
}

/**
 * Parses a probability from 0 to 1.
 *
 * @param text Such as `0.5` or `1`.
 * @returns The probability.
 * @throws {RangeError} For anything else.
 */
export function parseProbability(text: string): number {
  const p = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`must be a probability from 0 to 1, such as 0.25, not ${quote(text)}`);
  }
  return p;
}

/** A point in a connection: after so many bytes, or so many milliseconds. */
export type Trigger =
  | { readonly bytes: number; readonly ms?: undefined }
  | { readonly ms: number; readonly bytes?: undefined };

/**
 * Parses a trigger: a bare size is bytes (`4096`, `64KiB`), a number ending in
 * `ms` or `s` is time since the connection was accepted.
 *
 * @param text Such as `4096` or `500ms`.
 * @returns The trigger.
 * @throws {RangeError} For anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTrigger } from "./units.ts";
 *
 * assert.deepEqual(parseTrigger("4KiB"), { bytes: 4096 });
 * assert.deepEqual(parseTrigger("500ms"), { ms: 500 });
 * ```
 */
export function parseTrigger(text: string): Trigger {
  if (/^\d+(\.\d+)?(ms|s)$/.test(text)) return { ms: parseMs(text) };
  try {
    return { bytes: parseBytes(text) };
  } catch {
    throw new RangeError(
      `must be bytes (4096, 64KiB) or a time since accept (500ms, 2s), not ${quote(text)}`,
    );
  }
}

/** A fault's value with the share of connections or datagrams that get it. */
export interface WithChance<T> {
  /** The fault's value. */
  readonly value: T;
  /** The probability that a connection gets it, from 0 to 1; 1 without `@`. */
  readonly chance: number;
}

/**
 * Wraps a parser so its text may end in `@P`: the fault applies to each
 * connection with probability P.
 *
 * @param parse The parser of the value before `@`.
 * @returns The parser of `VALUE` or `VALUE@P`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMs, withChance } from "./units.ts";
 *
 * assert.deepEqual(withChance(parseMs)("100@0.25"), { value: 100, chance: 0.25 });
 * assert.deepEqual(withChance(parseMs)("100"), { value: 100, chance: 1 });
 * ```
 */
export function withChance<T>(parse: (text: string) => T): (text: string) => WithChance<T> {
  return (text) => {
    const at = text.lastIndexOf("@");
    if (at < 0) return { value: parse(text), chance: 1 };
    let chance: number;
    try {
      chance = parseProbability(text.slice(at + 1));
    } catch {
      throw new RangeError(
        `takes VALUE@P with P the share of connections that get it, from 0 to 1, not ${
          quote(text)
        }`,
      );
    }
    return { value: parse(text.slice(0, at)), chance };
  };
}
