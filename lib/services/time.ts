/**
 * The time service (RFC 868): the time as 32 bits, seconds since 1900.
 *
 * @module
 */

import type { Service } from "./service.ts";
import { writeAll } from "./write_all.ts";

/** Seconds from 1900-01-01T00:00:00Z to 1970-01-01T00:00:00Z, per RFC 868. */
export const RFC868_UNIX_EPOCH = 2_208_988_800;

/**
 * Converts `date` to RFC 868 time: whole seconds since 1900-01-01T00:00:00Z,
 * modulo 2^32. The count passes 2^32 on 2036-02-07T06:28:16Z and starts again
 * from 0, as a 32-bit field must.
 *
 * @param date The instant to convert.
 * @returns The seconds, 0 to 4,294,967,295.
 * @throws {RangeError} When `date` is invalid or before 1900.
 *
 * @example RFC 868's own example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rfc868Seconds } from "./time.ts";
 *
 * assert.equal(rfc868Seconds(new Date("1970-01-01T00:00:00Z")), 2_208_988_800);
 * ```
 */
export function rfc868Seconds(date: Date): number {
  const milliseconds = date.getTime();
  if (Number.isNaN(milliseconds)) {
    throw new RangeError("Cannot convert an invalid date to RFC 868 time");
  }
  const seconds = Math.floor(milliseconds / 1000) + RFC868_UNIX_EPOCH;
  if (seconds < 0) {
    throw new RangeError(
      `Cannot convert ${date.toISOString()} to RFC 868 time: it is before 1900`,
    );
  }
  return seconds % 2 ** 32;
}

/**
 * Encodes `date` as the 4 bytes RFC 868 sends: {@linkcode rfc868Seconds},
 * big-endian.
 *
 * @param date The instant to encode.
 * @returns 4 bytes, most significant first.
 * @throws {RangeError} When `date` is invalid or before 1900.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rfc868Bytes } from "./time.ts";
 *
 * assert.deepEqual(
 *   rfc868Bytes(new Date("1970-01-01T00:00:00Z")),
 *   new Uint8Array([0x83, 0xaa, 0x7e, 0x80]),
 * );
 * ```
 */
export function rfc868Bytes(date: Date): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, rfc868Seconds(date), false);
  return bytes;
}

/**
 * Time, RFC 868.
 *
 * - TCP: sends {@linkcode rfc868Bytes} of `ctx.now()` and returns, ignoring input.
 * - UDP: replies with the same 4 bytes, whatever the request holds.
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:7037=time
 * udp://127.0.0.1:7037=time
 * ```
 */
export const time: Service = {
  name: "time",
  rfc: 868,
  summary: "Sends the time as 4 bytes: seconds since 1900-01-01T00:00Z, big-endian.",
  options: [],
  async tcp(stream, ctx) {
    await writeAll(stream, rfc868Bytes(ctx.now()));
  },
  udp: (_request, ctx) => rfc868Bytes(ctx.now()),
};
