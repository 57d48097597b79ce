/**
 * Ports and addresses for end-to-end tests: a port free a moment ago, a
 * retry for the rare moment another program takes it first, and whether
 * this host has IPv6 loopback at all.
 */

import { MuxdNotReadyError, type MuxdProcess, startMuxd } from "./process.ts";

/**
 * The ports {@linkcode freePort} picks from: below the OS's ephemeral range
 * (32768–60999 on Linux), which hands ports to every outgoing connection on
 * the host, so that no connection takes the port between the check and its
 * use; above the ports muxd's examples and the demo set use.
 */
const FREE_PORTS = { first: 20_000, last: 32_767 } as const;

/**
 * A port that was free a moment ago on `hostname`, for TCP and for UDP:
 * chosen at random below the ephemeral range, bound, closed. Only a
 * program that binds that very port can take it before the caller does;
 * {@linkcode startMuxdOnFreePort} retries for that case.
 *
 * @param hostname The address to probe.
 * @returns The port.
 * @throws {Error} When 100 ports in a row were taken.
 */
export function freePort(hostname = "127.0.0.1"): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FREE_PORTS.first +
      Math.floor(Math.random() * (FREE_PORTS.last - FREE_PORTS.first + 1));
    if (isFree(hostname, port)) return port;
  }
  throw new Error(`no free port found in ${FREE_PORTS.first}-${FREE_PORTS.last} on ${hostname}`);
}

/** Whether TCP and UDP can both bind `hostname:port` right now. */
function isFree(hostname: string, port: number): boolean {
  try {
    using _tcp = Deno.listen({ hostname, port });
    Deno.listenDatagram({ transport: "udp", hostname, port }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
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
