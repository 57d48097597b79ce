/**
 * Whether the process can open one more file descriptor, asked without
 * side effects: binding a second socket to the socket name a listener
 * already holds either fails with `AddrInUse` (a descriptor was free; the
 * bind, as it must, was refused) or with the error an accept would meet
 * (`EMFILE`, `ENFILE`). It binds nothing. It binds the listener's bound
 * address, not a host name (whose lookup fails first at `EMFILE`), so it
 * needs the right to that address and port.
 *
 * The node-backed listener asks it: node:net's accept stops without a word
 * at `EMFILE` (Deno 2.9), so that listener looks for itself.
 *
 * @module
 */

import { acceptErrorKind } from "./accept_error.ts";

/**
 * Tries to bind `hostname:port`, held by a listener of this process.
 *
 * @param hostname The address the listener is bound to: an IP address, since
 *   at `EMFILE` a host name fails to resolve before any socket is made.
 * @param port Its port (not 0).
 * @returns The error a new descriptor met (`EMFILE` and the like), or
 *   `null` when one was free (or the probe could not tell).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { descriptorShortage } from "./descriptor_probe.ts";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * assert.equal(descriptorShortage("127.0.0.1", listener.addr.port), null);
 * ```
 */
export function descriptorShortage(hostname: string, port: number): Error | null {
  try {
    // Bound after all: the listener no longer holds it. Nothing to learn.
    Deno.listen({ transport: "tcp", hostname, port }).close();
    return null;
  } catch (error) {
    return acceptErrorKind(error) === "exhausted" ? error as Error : null;
  }
}
