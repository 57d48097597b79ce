/**
 * Spec options (`?key=value`) as typed values. Each option declares its key,
 * the field it fills, its default as a spec writes it, and how to parse its
 * text; muxd parses every option once, when it provisions, so services and
 * guards read typed fields and never parse per connection.
 *
 * @module
 */

import { quote } from "../spec/listen_spec_error.ts";
import type { Transport } from "../spec/types.ts";

/** One option a spec may set, such as `max-bytes` on chargen. */
export interface ServiceOption<F extends string = string, T = unknown> {
  /** The option's key, as specs write it: `max-bytes`. */
  readonly key: string;
  /** The field of the parsed options that holds its value: `maxBytes`. */
  readonly field: F;
  /** What it does. */
  readonly description: string;
  /**
   * The one transport it applies to, such as `tcp` for `max-conns`; absent
   * when it applies to both. A spec that sets it on a listener of the other
   * transport is rejected.
   */
  readonly transport?: Transport;
  /**
   * Why it applies to that one transport only, in a few words for the
   * message that rejects it on the other; absent when it goes without saying.
   */
  readonly transportReason?: string;
  /** The value used when the spec does not set it, as a spec writes it. */
  readonly default: string;
  /**
   * Parses the option's text.
   *
   * @throws {RangeError} When the text is not a valid value; the message
   *   says what is wrong in plain words, such as `must be true or false, not "yes"`.
   */
  readonly parse: (text: string) => T;
}

/**
 * The parsed values of a list of options: one typed field per option, named
 * by its `field`.
 */
export type OptionValues<L extends readonly ServiceOption[]> = {
  readonly [O in L[number] as O["field"]]: ReturnType<O["parse"]>;
};

/** A spec option that cannot be used: unknown, or with a bad value. */
export class OptionError extends RangeError {
  /** The option's key. */
  readonly key: string;

  /**
   * Creates the error.
   *
   * @param key The option's key.
   * @param reason What is wrong, in plain words.
   */
  constructor(key: string, reason: string) {
    super(reason);
    this.name = "OptionError";
    this.key = key;
  }
}

/**
 * Parses the options a spec sets, with the defaults for the rest.
 *
 * @param options The options there are.
 * @param given The spec's options as text, by key; keys not in `options` are ignored.
 * @returns One typed field per option.
 * @throws {OptionError} For the first value that does not parse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOptionValues, wholeNumber } from "./options.ts";
 *
 * const OPTIONS = [
 *   { key: "max-bytes", field: "maxBytes", description: "", default: "10", parse: wholeNumber(1) },
 * ] as const;
 * assert.deepEqual(parseOptionValues(OPTIONS, {}), { maxBytes: 10 });
 * assert.deepEqual(parseOptionValues(OPTIONS, { "max-bytes": "5" }), { maxBytes: 5 });
 * ```
 */
export function parseOptionValues<const L extends readonly ServiceOption[]>(
  options: L,
  given: Readonly<Record<string, string>>,
): OptionValues<L> {
  const out: Record<string, unknown> = {};
  for (const option of options) {
    const text = given[option.key] ?? option.default;
    try {
      out[option.field] = option.parse(text);
    } catch (error) {
      // A CIDR list's parser says what is wrong with a SyntaxError.
      if (!(error instanceof RangeError) && !(error instanceof SyntaxError)) throw error;
      throw new OptionError(option.key, error.message);
    }
  }
  return Object.freeze(out) as OptionValues<L>;
}

/**
 * A parser of whole numbers, such as `1024`.
 *
 * @param min The smallest allowed.
 * @param max The largest allowed. @default Infinity
 * @param unit What they count, for the message when there is no upper bound:
 *   `bytes` gives `must be a whole number of bytes`.
 * @returns The parser.
 */
export function wholeNumber(
  min: number,
  max: number = Infinity,
  unit?: string,
): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (/^\d+$/.test(text) && value >= min && value <= max) return value;
    throw new RangeError(
      `must be ${rangeWords("a whole number", min, max, unit)}, not ${quote(text)}`,
    );
  };
}

/**
 * A parser of decimal numbers, such as `2.5`.
 *
 * @param min The smallest allowed.
 * @param max The largest allowed. @default Infinity
 * @param unit What they count, for the message when there is no upper bound.
 * @param above `true` when `min` itself is not allowed (the value must be above it).
 * @returns The parser.
 */
export function decimal(
  min: number,
  max: number = Infinity,
  unit?: string,
  above = false,
): (text: string) => number {
  return (text) => {
    const value = Number(text);
    const low = above ? value > min : value >= min;
    if (/^\d+(\.\d+)?$/.test(text) && low && value <= max) return value;
    throw new RangeError(`must be ${rangeWords("a number", min, max, unit)}, not ${quote(text)}`);
  };
}

/**
 * A parser of one of a few words.
 *
 * @param words The words allowed.
 * @returns The parser.
 */
export function oneOf<const V extends string>(words: readonly V[]): (text: string) => V {
  return (text) => {
    if ((words as readonly string[]).includes(text)) return text as V;
    const listed = words.map((w) => `"${w}"`);
    throw new RangeError(
      `must be ${listed.slice(0, -1).join(", ")} or ${listed.at(-1)}, not ${quote(text)}`,
    );
  };
}

/**
 * Parses `true` or `false`.
 *
 * @param text The option's text.
 * @returns The boolean.
 * @throws {RangeError} For any other text.
 */
export function trueOrFalse(text: string): boolean {
  if (text === "true" || text === "false") return text === "true";
  throw new RangeError(`must be true or false, not ${quote(text)}`);
}

/**
 * Takes any text as it is.
 *
 * @param text The option's text.
 * @returns The same text.
 */
export function anyText(text: string): string {
  return text;
}

function rangeWords(what: string, min: number, max: number, unit: string | undefined): string {
  if (Number.isFinite(max)) return `${what} from ${min} to ${max}`;
  return unit ? `${what} of ${unit}` : `${what} of at least ${min}`;
}
