/**
 * The ephemeral port range an OS uses when nobody changed it: where the UDP
 * guard assumes clients' sockets are until the host's own range is read.
 *
 * @module
 */

import type { PortRange } from "../spec/types.ts";

/**
 * The ephemeral port range an OS uses when nobody changed it: Linux's
 * 32768–60999, and IANA's 49152–65535, which macOS, the BSDs and Windows use.
 *
 * @param os The operating system. @default Deno.build.os
 * @returns The range.
 *
 * @example
 * ```ts
 * import { defaultEphemeralPorts } from "./ephemeral_ports.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(defaultEphemeralPorts("linux"), { first: 32768, last: 60999 });
 * ```
 */
export function defaultEphemeralPorts(os: typeof Deno.build.os = Deno.build.os): PortRange {
  return os === "linux" ? { first: 32768, last: 60999 } : { first: 49152, last: 65535 };
}
