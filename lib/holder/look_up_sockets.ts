/**
 * One run of `ss` for the sockets of one transport on a range of ports:
 * what {@linkcode findHolders} and {@linkcode findHoldersOfEach} share.
 *
 * @module
 */

import type { Transport } from "../spec/mod.ts";
import { parseSsOutput, type SsSocket } from "./parse_ss_output.ts";
import { runSs } from "./run_ss.ts";
import type { FindHoldersOptions } from "./types.ts";

/** The sockets `ss` listed, or why it could not list them. */
export type SocketLookup =
  | { readonly supported: true; readonly sockets: readonly SsSocket[] }
  | { readonly supported: false; readonly reason: string };

/** The ports asked about, `first` to `last` inclusive. */
export interface PortSpan {
  /** The lowest port, 1–65535. */
  readonly first: number;
  /** The highest port, at least `first`. */
  readonly last: number;
}

/**
 * Lists every socket of `transport` whose local port is in `ports`, with
 * one run of `ss -H -n -a -p -e -t` (`-u` for UDP) and a filter on the
 * source port. It never throws for what a host may lack: off Linux, without
 * `ss`, or when `ss` fails or prints what does not parse, it says why and
 * names the command to run instead.
 *
 * @param transport `tcp` or `udp`.
 * @param ports The ports.
 * @param options How to run `ss`, and the operating system.
 * @returns The sockets, or the reason there are none.
 */
export async function lookUpSockets(
  transport: Transport,
  ports: PortSpan,
  options: FindHoldersOptions = {},
): Promise<SocketLookup> {
  const os = options.os ?? Deno.build.os;
  if (os !== "linux") return unsupported(notLinux(os, transport, ports));
  const filter = ports.first === ports.last
    ? `sport = :${ports.first}`
    : `sport >= :${ports.first} and sport <= :${ports.last}`;
  const args = ["-H", "-n", "-a", "-p", "-e", `-${transport[0]}`, filter];
  let output;
  try {
    output = await (options.run ?? runSs)(args);
  } catch (error) {
    // It could not even start (the process is out of file descriptors, say).
    if (!(error instanceof Error)) throw error;
    return unsupported(
      `holder lookup failed: cannot start ss: ${error.message}; ` +
        `instead run: ${ssCommand(transport, filter)}`,
    );
  }
  if (output === null) {
    return unsupported(
      "holder lookup needs the ss tool from iproute2 (apt-get install iproute2), " +
        "which Deno must be allowed to run (--allow-run=ss)",
    );
  }
  if (output.code !== 0) {
    const said = output.stderr.trim().replaceAll(/\s*\n\s*/g, "; ");
    return unsupported(
      `holder lookup failed: ss exited with code ${output.code}` +
        `${said === "" ? "" : ` (${said})`}; instead run: ${ssCommand(transport, filter)}`,
    );
  }
  try {
    return { supported: true, sockets: parseSsOutput(output.stdout) };
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return unsupported(
      `holder lookup failed: ${error.message}; instead run: ${ssCommand(transport, filter)}`,
    );
  }
}

/**
 * The `ss` command a person would type to see the sockets themselves.
 *
 * @param transport `tcp` or `udp`.
 * @param filter The filter, such as `sport = :7007`.
 * @returns The command, such as `ss -tanp 'sport = :7007'`.
 */
export function ssCommand(transport: Transport, filter: string): string {
  return `ss -${transport[0]}anp '${filter}'`;
}

/** A lookup that cannot work here, and why. */
function unsupported(reason: string): SocketLookup {
  return { supported: false, reason };
}

/** The reason off Linux, with the command that answers the question there. */
function notLinux(os: string, transport: Transport, ports: PortSpan): string {
  const port = ports.first === ports.last ? `${ports.first}` : `${ports.first}-${ports.last}`;
  if (os === "windows") {
    const find = ports.first === ports.last ? ` | findstr :${port}` : "";
    return `holder lookup works on Linux only; on Windows run: netstat -ano${find}`;
  }
  const where = os === "darwin" ? "macOS" : os;
  return `holder lookup works on Linux only; on ${where} run: ` +
    `lsof -nP -i${transport.toUpperCase()}:${port}`;
}
