/**
 * The port part of a listen spec: one port or an inclusive range.
 *
 * @module
 */

import { type Fail, quote } from "./listen_spec_error.ts";
import type { PortRange } from "./types.ts";

/** The highest port number. */
export const MAX_PORT = 65535;

/** The most ports one range may bind, for now. */
export const MAX_RANGE_SIZE = 1024;

/**
 * Parses `port` or `first-last`: decimal numbers 0–65535 without a sign or
 * leading zeros. A range goes from low to high, cannot include port 0 (which
 * asks the OS to pick a port) and holds at most {@linkcode MAX_RANGE_SIZE}
 * ports.
 *
 * @param text The port text, e.g. `7007` or `9000-9099`.
 * @param fail Called with the reason when the text is not a valid port range.
 * @returns The port range.
 */
export function parsePortRange(text: string, fail: Fail): PortRange {
  if (text === "") fail("missing port");
  const dash = text.indexOf("-", 1);
  if (dash < 0) {
    const port = parsePort(text, fail);
    return { first: port, last: port };
  }
  const lastText = text.slice(dash + 1);
  if (lastText === "") fail(`missing last port after "-" in ${quote(text)}`);
  const first = parsePort(text.slice(0, dash), fail);
  const last = parsePort(lastText, fail);
  if (first > last) fail(`port range ${text} must go from low to high`);
  if (first === 0) fail("port 0 (any free port) cannot be part of a range");
  const size = last - first + 1;
  if (size > MAX_RANGE_SIZE) {
    fail(`port range ${text} has ${size} ports; at most ${MAX_RANGE_SIZE} are allowed for now`);
  }
  return { first, last };
}

/** Parses one port number. */
function parsePort(text: string, fail: Fail): number {
  if (/^[+-]/.test(text)) fail(`port must be a decimal number without a sign, got ${quote(text)}`);
  if (!/^[0-9]+$/.test(text)) fail(`port must be a decimal number, got ${quote(text)}`);
  if (text.length > 1 && text.startsWith("0")) {
    fail(`port must not have leading zeros, got ${quote(text)}`);
  }
  if (text.length > 5 || Number(text) > MAX_PORT) fail(`port must be <= ${MAX_PORT}`);
  return Number(text);
}

/**
 * Formats a port range as a listen spec writes it: `7007`, or `9000-9099`.
 *
 * @param range The port range.
 * @returns Its text form.
 */
export function formatPortRange(range: PortRange): string {
  return range.first === range.last ? `${range.first}` : `${range.first}-${range.last}`;
}

/**
 * Names every port of a list, runs of consecutive ports as ranges.
 *
 * @param ports Ports, in any order, at least one; repeats count once.
 * @returns Such as `27000-27002, 27005 and 27007-27999`.
 *
 * @example
 * ```ts
 * import { formatPortList } from "./port_range.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatPortList([9003, 9000, 9001, 9002, 9007]), "9000-9003 and 9007");
 * assert.equal(formatPortList([9000, 9002, 9004]), "9000, 9002 and 9004");
 * ```
 */
export function formatPortList(ports: readonly number[]): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const runs: string[] = [];
  let start = sorted[0];
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1] + 1) continue;
    const end = sorted[i - 1];
    runs.push(start === end ? `${start}` : `${start}-${end}`);
    start = sorted[i];
  }
  return runs.length === 1 ? runs[0] : `${runs.slice(0, -1).join(", ")} and ${runs.at(-1)}`;
}

/**
 * Lists every port of a range, in order.
 *
 * @param range An inclusive port range.
 * @returns The ports from `range.first` to `range.last`; empty when
 *   `first > last`.
 *
 * @example A range of three ports
 * ```ts
 * import { expandPorts } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(expandPorts({ first: 9000, last: 9002 }), [9000, 9001, 9002]);
 * assert.deepEqual(expandPorts({ first: 0, last: 0 }), [0]);
 * ```
 */
export function expandPorts(range: PortRange): number[] {
  const length = Math.max(0, range.last - range.first + 1);
  return Array.from({ length }, (_, i) => range.first + i);
}
