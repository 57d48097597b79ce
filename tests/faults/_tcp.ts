/**
 * Helpers for the TCP fault tests: a server started in-process with its
 * events kept, and the Python client of `_tcp_client.py`.
 *
 * @module
 */

import type { ServerEvent } from "../../lib/events/mod.ts";
import { type RunningServer, start } from "../../lib/server/mod.ts";
import { planOf } from "../_support/plan.ts";
import { waitUntil } from "../_support/wait.ts";

const CLIENT = new URL("./_tcp_client.py", import.meta.url).pathname;

/** A running server and every event it emitted so far. */
export interface Served {
  readonly server: RunningServer;
  readonly events: ServerEvent[];
  /** The port of the n-th socket. */
  port(index?: number): number;
  /** The events of one type. */
  of<T extends ServerEvent["type"]>(type: T): Extract<ServerEvent, { type: T }>[];
  /** Waits until `count` connections have closed. */
  closed(count: number, timeoutMs?: number): Promise<void>;
}

/**
 * Starts `specs` in-process, runs `body`, and closes the server (connections
 * still open 100 ms later are closed, reason `shutdown`).
 *
 * @param specs Listen specs.
 * @param body The test.
 */
export async function withServer(
  specs: string[],
  body: (served: Served) => Promise<void>,
): Promise<void> {
  const events: ServerEvent[] = [];
  const server = await start(planOf(...specs), { sink: (e) => events.push(e) });
  const of = <T extends ServerEvent["type"]>(type: T) =>
    events.filter((e): e is Extract<ServerEvent, { type: T }> => e.type === type);
  try {
    await body({
      server,
      events,
      port: (index = 0) => server.sockets[index].local.port,
      of,
      closed: (count, timeoutMs = 5000) =>
        waitUntil(
          () => of("connection-closed").length >= count,
          timeoutMs,
          `${count} connection-closed events`,
          () => JSON.stringify(events.filter((e) => e.type !== "listening")),
        ),
    });
  } finally {
    // Briefly: a hung or stalled connection would hold the default grace.
    await server.close({ graceMs: 100 });
  }
}

/**
 * Runs the Python client in one of its modes against 127.0.0.1:`port`.
 *
 * @param mode `rtt`, `read`, `upload` or `push`.
 * @param port The port.
 * @param args The mode's arguments.
 * @returns What the client printed.
 */
export async function python<T>(
  mode: string,
  port: number,
  ...args: (string | number)[]
): Promise<T> {
  const out = await new Deno.Command("python3", {
    args: [CLIENT, mode, "127.0.0.1", String(port), ...args.map(String)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`the client failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text) as T;
}

/** What the client's `read` mode prints. */
export interface ReadResult {
  readonly sizes: number[];
  readonly times: number[];
  readonly bytes: number;
  readonly end: "eof" | "reset" | "timeout" | "max";
  readonly ms: number;
  readonly error?: string;
}
