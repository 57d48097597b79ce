/**
 * Ports and addresses for end-to-end tests: a port the OS just handed out,
 * a retry for the rare moment another program takes it first, and whether
 * this host has IPv6 loopback at all.
 */

import { MuxdNotReadyError, type MuxdProcess, startMuxd } from "./muxd_process.ts";

/**
 * A TCP port that was free a moment ago on `hostname`: bound on port 0,
 * read, closed. Another program may take it before the caller binds it;
 * {@linkcode startMuxdOnFreePort} retries for that case.
 *
 * @param hostname The address to probe.
 * @returns The port.
 */
export function freePort(hostname = "127.0.0.1"): number {
  using listener = Deno.listen({ hostname, port: 0 });
  return listener.addr.port;
}

/**
 * Starts muxd with specs that must share one explicit port number (two
 * addresses, or TCP and UDP), picking the port with {@linkcode freePort}.
 * When muxd exits with code 1 because the port was taken in between, it
 * tries again with another port.
 *
 * @param args Builds muxd's arguments for a port.
 * @param attempts How many ports to try.
 * @returns The running muxd and the shared port.
 */
export async function startMuxdOnFreePort(
  args: (port: number) => string[],
  attempts = 5,
): Promise<{ muxd: MuxdProcess; port: number }> {
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    try {
      return { muxd: await startMuxd(args(port)), port };
    } catch (error) {
      const inUse = error instanceof MuxdNotReadyError && error.finished.code === 1 &&
        error.finished.stderr.includes("address already in use");
      if (!inUse || attempt >= attempts) throw error;
    }
  }
}

/**
 * Tells whether this host can bind TCP on `[::1]`.
 *
 * @returns `null` when it can, or why not.
 */
export function ipv6LoopbackProblem(): string | null {
  try {
    using _listener = Deno.listen({ hostname: "::1", port: 0 });
    return null;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}
