/**
 * One harness for every service: runs a service over real loopback sockets,
 * the way the dispatcher would, and lets a test play the client.
 *
 * - {@linkcode runTcp}: listen on port 0, connect, accept, run `service.tcp`
 *   on the accepted connection while the test talks through the client
 *   connection.
 * - {@linkcode runUdp}: two datagram sockets on port 0; the client sends,
 *   the server side receives, calls `service.udp` and sends the reply back.
 *
 * @module
 */

import { BufferPool } from "../../lib/services/buffer_pool.ts";
import { ProcessTable } from "../../lib/services/process_table.ts";
import { TimeoutSignals } from "../../lib/services/timeout_signals.ts";
import type { EventSink } from "../../lib/events/event.ts";
import assert from "node:assert/strict";
import type { Service, ServiceContext, Stream } from "../../lib/services/service.ts";
import { formatSocketName, socketNameOf } from "../../lib/spec/socket_name.ts";
import { parseOptionValues } from "../../lib/services/options.ts";
import type { SocketName, Transport } from "../../lib/spec/types.ts";

/** The pinned clock: 1,000,000,000 seconds after the Unix epoch. */
export const FIXED_NOW: Date = new Date("2001-09-09T01:46:40Z");

/** What a test can change about a run. */
export interface HarnessOptions {
  /** The loopback address both sides use. @default {"127.0.0.1"} */
  readonly hostname?: string;
  /** The spec's options as text, parsed into `ctx.options`. @default {{}} */
  readonly options?: Readonly<Record<string, string>>;
  /** What `ctx.now()` returns. @default {FIXED_NOW} */
  readonly now?: Date;
  /** Passed as `ctx.signal`. @default {a signal that never aborts} */
  readonly signal?: AbortSignal;
  /** Passed as `ctx.emit`: where a service's own events go. @default {nowhere} */
  readonly emit?: EventSink;
  /** Passed as `ctx.processes`. @default {a new, empty table} */
  readonly processes?: ProcessTable;
}

/** Options for {@linkcode runTcp}. */
export interface TcpOptions extends HarnessOptions {
  /** Wraps the accepted connection before the service sees it. @default {the connection itself} */
  readonly wrap?: (conn: Deno.TcpConn) => Stream;
  /** How long the client side may take before the run fails. @default {5000} */
  readonly timeoutMs?: number;
}

/** Options for {@linkcode runUdp}. */
export interface UdpOptions extends HarnessOptions {
  /**
   * Bind the server socket to the wildcard `0.0.0.0` (so `ctx.local` is
   * `null`) while the client still sends to `hostname`. @default {false}
   */
  readonly wildcard?: boolean;
}

/** What a TCP run gives back. */
export interface TcpRun<T> {
  /** What the client side returned. */
  readonly result: T;
  /** The context the service ran with. */
  readonly ctx: ServiceContext;
}

/** What one UDP request got back. */
export interface UdpExchange {
  /** Every datagram the client received in answer, in order. */
  readonly replies: Uint8Array[];
  /** Where each reply came from. */
  readonly senders: Deno.NetAddr[];
  /** The socket name the client sent to. */
  readonly server: Deno.NetAddr;
  /** The context the service ran with. */
  readonly ctx: ServiceContext;
}

function makeContext(
  service: Service,
  transport: Transport,
  names: { local: SocketName | null; bound: SocketName; remote: SocketName },
  options: HarnessOptions,
): ServiceContext {
  const specOptions = options.options ?? {};
  const query = new URLSearchParams(Object.entries(specOptions).sort()).toString();
  const spec = `${transport}://${formatSocketName(names.bound)}=${service.name}`;
  const now = options.now ?? FIXED_NOW;
  const signal = options.signal ?? new AbortController().signal;
  return {
    transport,
    ...names,
    listener: query === "" ? spec : `${spec}?${query}`,
    service: service.name,
    // Parsed as muxd parses them when it provisions.
    options: parseOptionValues(service.options, specOptions),
    now: () => new Date(now.getTime()),
    signal,
    buffers: new BufferPool(),
    id: transport === "tcp" ? 1 : null,
    emit: options.emit ?? (() => {}),
    processes: options.processes ?? new ProcessTable(),
    // Closed by the runner once the service returns, as the server closes its own.
    timeouts: new TimeoutSignals(signal),
  };
}

/** Waits for `promise` to settle, at most `ms`; calls `onTimeout` if it takes longer. */
async function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => void,
): Promise<{ timedOut: boolean; outcome: PromiseSettledResult<T> }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  let timedOut = false;
  try {
    const first = await Promise.race([promise.then(() => "settled", () => "settled"), deadline]);
    if (first === "timeout") {
      timedOut = true;
      onTimeout();
    }
  } finally {
    clearTimeout(timer);
  }
  const [outcome] = await Promise.allSettled([promise]);
  return { timedOut, outcome };
}

/**
 * Runs `service.tcp` on a real loopback connection while `talk` plays the
 * client. When `talk` returns, the harness closes the client connection and
 * waits for the service to return; the accepted connection is closed after
 * the service returns, as the dispatcher does.
 *
 * @param service The service under test; it must have a `tcp` member.
 * @param talk The client side; it must not close `client`.
 * @param options See {@linkcode TcpOptions}.
 * @returns What `talk` returned, and the context the service saw.
 * @throws The service's error, `talk`'s error, both as an `AggregateError`,
 * or an `Error` when `talk` takes longer than `timeoutMs`.
 */
export async function runTcp<T>(
  service: Service,
  talk: (client: Deno.TcpConn, ctx: ServiceContext) => Promise<T>,
  options: TcpOptions = {},
): Promise<TcpRun<T>> {
  const serve = service.tcp;
  if (serve === undefined) throw new TypeError(`Service ${service.name} has no tcp member`);
  const hostname = options.hostname ?? "127.0.0.1";
  using listener = Deno.listen({ hostname, port: 0 });
  const client = await Deno.connect({ hostname, port: listener.addr.port });
  let clientOpen = true;
  const closeClient = () => {
    if (clientOpen) {
      clientOpen = false;
      client.close();
    }
  };
  try {
    const accepted = await listener.accept();
    const ctx = makeContext(service, "tcp", {
      local: socketNameOf(accepted.localAddr),
      bound: socketNameOf(listener.addr),
      remote: socketNameOf(accepted.remoteAddr),
    }, options);
    const serving = (async () => {
      try {
        await serve(options.wrap ? options.wrap(accepted) : accepted, ctx);
      } finally {
        accepted.close();
        // What exec started is gone before the test ends (its process group
        // is ended after the connection).
        await ctx.processes.idle();
        ctx.timeouts.close();
      }
    })();
    const timeoutMs = options.timeoutMs ?? 5000;
    const talked = await settleWithin(talk(client, ctx), timeoutMs, closeClient);
    closeClient();
    const [served] = await Promise.allSettled([serving]);
    if (served.status === "rejected" && talked.outcome.status === "rejected") {
      throw new AggregateError(
        [served.reason, talked.outcome.reason],
        `Service ${service.name} threw, and the client side failed too`,
      );
    }
    if (served.status === "rejected") throw served.reason;
    if (talked.timedOut) {
      throw new Error(`The client side of ${service.name} took longer than ${timeoutMs} ms`);
    }
    if (talked.outcome.status === "rejected") throw talked.outcome.reason;
    return { result: talked.outcome.value, ctx };
  } finally {
    closeClient();
  }
}

/**
 * Sends each of `requests` from a client datagram socket to a server
 * datagram socket, runs `service.udp` on what arrived, and sends its reply
 * (if any) back from the server socket. After each reply the server sends an
 * end marker, so the client can collect every datagram sent in answer.
 *
 * @param service The service under test; it must have a `udp` member.
 * @param requests The datagrams to send, one exchange each, in order.
 * @param options See {@linkcode UdpOptions}.
 * @returns One exchange per request.
 */
export async function runUdp(
  service: Service,
  requests: readonly Uint8Array[],
  options: UdpOptions = {},
): Promise<UdpExchange[]> {
  const answer = service.udp;
  if (answer === undefined) throw new TypeError(`Service ${service.name} has no udp member`);
  const hostname = options.hostname ?? "127.0.0.1";
  const marker = new TextEncoder().encode(`muxd harness end marker ${crypto.randomUUID()}`);
  const server = Deno.listenDatagram({
    transport: "udp",
    hostname: options.wildcard ? "0.0.0.0" : hostname,
    port: 0,
  });
  try {
    const client = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
    try {
      const bound = server.addr as Deno.NetAddr;
      const target: Deno.NetAddr = { transport: "udp", hostname, port: bound.port };
      const exchanges: UdpExchange[] = [];
      for (const request of requests) {
        await client.send(request, target);
        const [data, from] = await server.receive();
        const ctx = makeContext(service, "udp", {
          local: options.wildcard ? null : socketNameOf(bound),
          bound: socketNameOf(bound),
          remote: socketNameOf(from as Deno.NetAddr),
        }, options);
        const reply = await answer(data, ctx);
        await ctx.processes.idle();
        if (reply !== null) await server.send(reply, from);
        await server.send(marker, from);
        const replies: Uint8Array[] = [];
        const senders: Deno.NetAddr[] = [];
        while (true) {
          const [bytes, sender] = await client.receive();
          if (equalBytes(bytes, marker)) break;
          replies.push(bytes);
          senders.push(sender as Deno.NetAddr);
        }
        exchanges.push({ replies, senders, server: target, ctx });
      }
      return exchanges;
    } finally {
      client.close();
    }
  } finally {
    server.close();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Asserts that two byte arrays are equal, with a short message naming the
 * first difference (node's deep-equal diff of megabytes takes minutes).
 *
 * @param actual What arrived.
 * @param expected What should have arrived.
 * @throws {assert.AssertionError} When they differ.
 */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  assert.equal(actual.length, expected.length, "byte counts differ");
  const index = actual.findIndex((byte, i) => byte !== expected[i]);
  assert.equal(index, -1, `first difference at byte ${index}`);
}
