/**
 * The daytime service (RFC 867): the date and time as one line of text.
 *
 * @module
 */

import type { Service } from "./service.ts";
import { writeAll } from "./write_all.ts";

const DAYS = [
  "Sunday",
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
] as const;
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

const encoder = new TextEncoder();

/** Two digits, zero-padded. */
function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}

/**
 * Formats `date` as a daytime line, always in UTC, in the first syntax RFC 867
 * suggests: `Weekday, Month Day, Year HH:MM:SS-UTC`, then CR LF. The day of
 * the month is not padded; hours, minutes and seconds are.
 *
 * @param date The instant to describe.
 * @returns The line, ending with CR LF.
 * @throws {RangeError} When `date` is an invalid date.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { daytimeLine } from "./daytime.ts";
 *
 * assert.equal(
 *   daytimeLine(new Date("2026-11-22T15:04:05Z")),
 *   "Sunday, November 22, 2026 15:04:05-UTC\r\n",
 * );
 * ```
 */
export function daytimeLine(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new RangeError("Cannot format the daytime of an invalid date");
  }
  const day = DAYS[date.getUTCDay()];
  const month = MONTHS[date.getUTCMonth()];
  const time = [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
    .map(twoDigits)
    .join(":");
  return `${day}, ${month} ${date.getUTCDate()}, ${date.getUTCFullYear()} ${time}-UTC\r\n`;
}

/**
 * Daytime, RFC 867.
 *
 * - TCP: sends {@linkcode daytimeLine} of `ctx.now()` and returns, ignoring input.
 * - UDP: replies with the same line, whatever the request holds.
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:7013=daytime
 * udp://127.0.0.1:7013=daytime
 * ```
 */
export const daytime: Service = {
  name: "daytime",
  rfc: 867,
  summary: 'Sends the date and time in UTC as one line, e.g. "Sunday, November 22, 2026 ' +
    '15:04:05-UTC".',
  options: [],
  async tcp(stream, ctx) {
    await writeAll(stream, encoder.encode(daytimeLine(ctx.now())));
  },
  udp: (_request, ctx) => encoder.encode(daytimeLine(ctx.now())),
};
