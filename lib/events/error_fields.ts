/**
 * The `name` and `message` of an error event, from whatever was thrown.
 *
 * @module
 */

/**
 * The class name and message of any thrown value, for an error event.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeError } from "./error_fields.ts";
 *
 * assert.deepEqual(describeError(new RangeError("too big")), { name: "RangeError", message: "too big" });
 * assert.deepEqual(describeError("plain"), { name: "string", message: "plain" });
 * ```
 *
 * @param error Any thrown value.
 * @returns Its name and message.
 */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}
