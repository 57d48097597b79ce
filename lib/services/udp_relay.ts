/**
 * `forward` over UDP: a session per client socket name, each with an
 * upstream socket of its own, so the upstream's replies to it can only be
 * for that client. One datagram in gives one datagram out, each way; the
 * replies leave from the listener's socket, through the UDP guards.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import type { DatagramRelay, RelayHost, SessionCounts } from "./relay.ts";
import type { ForwardOptions } from "./forward.ts";
import { formatUpstream, type Upstream } from "./upstream.ts";
import { formatSocketName, socketNameOf } from "../spec/socket_name.ts";
import { formatIPv6, isLoopback, isWildcard, parseIPv6 } from "../spec/ip.ts";
import { sessionSourceAddress } from "./session_source.ts";
import type { SocketName } from "../spec/types.ts";
import { elapsedMs } from "../events/elapsed.ts";
import { describeError } from "../events/error_fields.ts";
import type { SessionEndReason } from "../events/relay_events.ts";

/** The largest UDP payload, the size of each session's receive buffer. */
const MAX_DATAGRAM = 65_535;

/** One client's session: its upstream socket and what went through it. */
interface Session extends SessionCounts {
  readonly client: SocketName;
  /** The upstream, resolved. */
  readonly target: SocketName;
  /** The upstream as `send()` takes it, made once for every datagram. */
  readonly to: Deno.NetAddr;
  readonly socket: Deno.DatagramConn;
  /** The socket's name: where the upstream sees the session's datagrams come from. */
  readonly from: SocketName;
  /** Reports a send that failed; one for every datagram of the session. */
  readonly sendFailed: (error: unknown) => void;
  readonly started: number;
  /** The client's latest datagram, which the guards measure replies against. */
  lastRequest: Uint8Array;
  /** When a datagram last went either way, in the relay's count of datagrams (`UdpRelay.#seq`). */
  lastActive: number;
  datagramsIn: number;
  bytesIn: number;
  datagramsOut: number;
  bytesOut: number;
  /** The loop that receives the upstream's replies; ends when the socket closes. */
  receiving: Promise<void>;
}

/**
 * The session table of one UDP `forward` listener.
 *
 * @example A relay to an upstream echo, driven as the listener drives it
 * ```ts
 * import assert from "node:assert/strict";
 * import { UdpRelay } from "./udp_relay.ts";
 * import { parseUpstream } from "./upstream.ts";
 *
 * const upstream = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * const port = (upstream.addr as Deno.NetAddr).port;
 * const replies: Uint8Array[] = [];
 * const relay = new UdpRelay({
 *   listener: "udp://127.0.0.1:7253=forward", service: "forward",
 *   bound: { address: "127.0.0.1", port: 7253 }, emit: () => {},
 *   options: {
 *     to: parseUpstream(`127.0.0.1:${port}`), connectTimeoutMs: 5000,
 *     sessionIdleMs: 30_000, maxSessions: 4, proxy: null,
 *   },
 *   reply: (_client, bytes) => Promise.resolve(void replies.push(bytes.slice())),
 * });
 * relay.relay(new Uint8Array([1, 2, 3]), { address: "127.0.0.1", port: 50000 });
 * const [request, from] = await upstream.receive();
 * await upstream.send(request, from);
 * while (replies.length === 0) await new Promise((r) => setTimeout(r, 5));
 * assert.deepEqual(replies[0], new Uint8Array([1, 2, 3]));
 * await relay.close();
 * upstream.close();
 * ```
 */
export class UdpRelay implements DatagramRelay {
  readonly #host: RelayHost<ForwardOptions>;
  readonly #sessions = new Map<string, Session>();
  /**
   * The session of the last datagram: a client sends in bursts, and finding
   * it again by its socket name spares formatting its key. Cleared when it ends.
   */
  #last: Session | null = null;
  /** The upstream's address, or its lookup while a host name resolves. */
  #target: SocketName | Promise<SocketName | null>;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  /**
   * The relay's clock: datagrams so far, either way. Each stamps its
   * session with it, which gives the order of activity exactly and costs
   * nothing, where `performance.now()` is a call into the runtime for each
   * datagram each way. The sweeps tell the time (`#marks`).
   */
  #seq = 0;
  /** `#seq` at each of the last sweeps, a ring indexed by sweep number. */
  #marks: number[] = [];
  /** Sweeps since the sweeper started. */
  #sweeps = 0;
  /** Sweep intervals in `session-idle` (see {@linkcode sweepsOf}). */
  #idleSweeps = 0;
  #closed = false;

  /**
   * Creates the relay of one listener; a host name in `to` is looked up now, once.
   *
   * @param host The listener the relay serves, with the parsed `forward` options.
   */
  constructor(host: RelayHost<ForwardOptions>) {
    this.#host = host;
    const { to } = host.options;
    this.#target = to.host.kind === "name"
      ? this.#resolve(to)
      : { address: to.host.address, port: to.port };
  }

  /**
   * Sends a client's datagram upstream in its session.
   *
   * @param request The datagram, the relay's to keep.
   * @param client The sender.
   */
  relay(request: Uint8Array, client: SocketName): void {
    if (this.#closed) return;
    const target = this.#target;
    if (target instanceof Promise) {
      void target.then((t) => t !== null && this.#send(request, client, t));
      return;
    }
    this.#send(request, client, target);
  }

  /** Ends every session, closing its socket, and clears the idle sweep. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const ending = [...this.#sessions.values()].map((s) => this.#end(s, "shutdown"));
    await Promise.all(ending);
  }

  /**
   * Calls `visit` once per open session, with its counts so far.
   *
   * @param visit Gets the client's socket name and the session, read-only.
   */
  eachSession(visit: (client: SocketName, counts: SessionCounts) => void): void {
    for (const session of this.#sessions.values()) visit(session.client, session);
  }

  /** Sends a client's datagram upstream, in the client's session, opening one if need be. */
  #send(request: Uint8Array, client: SocketName, target: SocketName): void {
    const last = this.#last;
    let session: Session;
    if (
      last !== null && last.client.port === client.port && last.client.address === client.address
    ) {
      session = last;
    } else {
      const key = formatSocketName(client);
      const known = this.#sessions.get(key);
      if (known === undefined) {
        const opened = this.#open(client, target);
        if (opened === null) return;
        session = opened;
        this.#sessions.set(key, session);
      } else {
        session = known;
      }
      this.#last = session;
    }
    session.lastRequest = request;
    session.lastActive = ++this.#seq;
    session.datagramsIn++;
    session.bytesIn += request.length;
    session.socket.send(request, session.to).catch(session.sendFailed);
  }

  /** Opens a session's socket, or says why not and returns `null`. */
  #open(client: SocketName, target: SocketName): Session | null {
    const host = this.#host;
    const { sessionIdleMs } = host.options;
    // At max-sessions, the least recently active session makes room, as a
    // NAT table does: a test suite's many short-lived clients (each on a
    // port of its own) all get answers, and the count stays bounded.
    if (this.#sessions.size >= host.options.maxSessions) {
      void this.#end(this.#leastActive(), "evicted");
    }
    let socket: Deno.DatagramConn;
    try {
      socket = Deno.listenDatagram({
        transport: "udp",
        // The host's addresses matter only for an upstream beyond loopback.
        hostname: sessionSourceAddress(
          target.address,
          isLoopback(target.address) ? [] : hostAddresses(),
        ),
        port: 0,
      });
    } catch (error) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.#refuse(
        client,
        `cannot open a socket towards upstream ${formatSocketName(target)} ` +
          `(${what}); its datagram is dropped`,
      );
      return null;
    }
    const from = socketNameOf(socket.addr as Deno.NetAddr);
    const session: Session = {
      client,
      target,
      to: { transport: "udp", hostname: target.address, port: target.port },
      socket,
      from,
      sendFailed: (error) => this.#failed(session, error),
      started: performance.now(),
      lastRequest: new Uint8Array(0),
      lastActive: ++this.#seq,
      datagramsIn: 0,
      bytesIn: 0,
      datagramsOut: 0,
      bytesOut: 0,
      receiving: Promise.resolve(),
    };
    session.receiving = this.#receive(session);
    host.emit({
      type: "upstream-connected",
      time: Date.now(),
      transport: "udp",
      listener: host.listener,
      service: host.service,
      id: null,
      local: host.bound,
      remote: client,
      upstream: target,
      from,
    });
    // On a wildcard, the upstream is another host's, beyond any ring of muxd's.
    if (!isWildcard(from.address)) host.sessions?.opened(from, client);
    if (this.#sweeper === undefined) {
      const { every, parts } = sweepsOf(sessionIdleMs);
      this.#idleSweeps = parts;
      this.#marks = new Array(parts + 1).fill(this.#seq);
      this.#sweeps = 0;
      this.#sweeper = setInterval(() => this.#sweep(), every);
    }
    return session;
  }

  /** Passes the upstream's replies to the client, one datagram each, until the socket closes. */
  async #receive(session: Session): Promise<void> {
    const { target } = session;
    const buffer = new Uint8Array(MAX_DATAGRAM);
    for (;;) {
      let reply: Uint8Array;
      let from: Deno.Addr;
      try {
        [reply, from] = await session.socket.receive(buffer);
      } catch (error) {
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
          return;
        }
        this.#failed(session, error);
        continue;
      }
      // Only the upstream speaks for it: anyone else's datagram is dropped.
      if (!isFrom(from as Deno.NetAddr, target)) continue;
      session.lastActive = ++this.#seq;
      session.datagramsOut++;
      session.bytesOut += reply.length;
      await this.#host.reply(session.client, reply, session.lastRequest);
    }
  }

  /**
   * The session with the oldest datagram, to the sweep (the first created of
   * those as old): looked for only at max-sessions, never per datagram.
   */
  #leastActive(): Session {
    let least: Session | undefined;
    for (const session of this.#sessions.values()) {
      if (least === undefined || session.lastActive < least.lastActive) least = session;
    }
    return least!;
  }

  /**
   * Ends the sessions idle for `session-idle`: those with no datagram since
   * the sweep `#idleSweeps` sweeps ago. Each was active after the sweep
   * before that one, else it had ended then: it ends at most one sweep late.
   */
  #sweep(): void {
    const marks = this.#marks;
    const sweep = ++this.#sweeps;
    marks[sweep % marks.length] = this.#seq;
    // Every session began after the sweeper started: none can be idle sooner.
    if (sweep < this.#idleSweeps) return;
    const idleUpTo = marks[(sweep - this.#idleSweeps) % marks.length];
    for (const session of this.#sessions.values()) {
      if (session.lastActive <= idleUpTo) void this.#end(session, "idle");
    }
  }

  /** Closes a session's socket and says so. */
  async #end(session: Session, reason: SessionEndReason): Promise<void> {
    const key = formatSocketName(session.client);
    if (this.#sessions.get(key) !== session) return;
    this.#sessions.delete(key);
    if (this.#last === session) this.#last = null;
    if (this.#sessions.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
    session.socket.close();
    this.#host.sessions?.closed(session.from);
    await session.receiving;
    const host = this.#host;
    host.emit({
      type: "session-closed",
      time: Date.now(),
      transport: "udp",
      listener: host.listener,
      service: host.service,
      local: host.bound,
      remote: session.client,
      upstream: session.target,
      datagramsIn: session.datagramsIn,
      bytesIn: session.bytesIn,
      datagramsOut: session.datagramsOut,
      bytesOut: session.bytesOut,
      durationMs: elapsedMs(session.started),
      reason,
    });
  }

  #refuse(client: SocketName, detail: string): void {
    const host = this.#host;
    host.emit({
      type: "session-refused",
      time: Date.now(),
      transport: "udp",
      listener: host.listener,
      service: host.service,
      local: host.bound,
      remote: client,
      detail,
    });
  }

  /** A send or receive of a session failed: an error event, and the session goes on. */
  #failed(session: Session, error: unknown): void {
    if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
      return;
    }
    const host = this.#host;
    host.emit({
      type: "error",
      time: Date.now(),
      transport: "udp",
      listener: host.listener,
      service: host.service,
      local: host.bound,
      remote: session.client,
      id: null,
      ...describeError(error),
    });
  }

  /** Looks a host name up once; `null`, with an error event, when it does not resolve. */
  async #resolve(to: Upstream): Promise<SocketName | null> {
    const name = to.host.kind === "name" ? to.host.name : "";
    try {
      const { address } = await lookup(name);
      const ipv6 = address.includes(":") ? parseIPv6(address) : null;
      const target = { address: ipv6 === null ? address : formatIPv6(ipv6), port: to.port };
      this.#target = target;
      return target;
    } catch (error) {
      const host = this.#host;
      host.emit({
        type: "error",
        time: Date.now(),
        transport: "udp",
        listener: host.listener,
        service: host.service,
        local: host.bound,
        remote: null,
        id: null,
        name: "UpstreamError",
        message: `upstream ${formatUpstream(to)}: the host name does not resolve ` +
          `(${error instanceof Error ? error.message : String(error)}); its datagrams are dropped`,
      });
      return null;
    }
  }
}

/**
 * How often a relay sweeps for idle sessions: `session-idle` in `parts`
 * equal intervals, four or more (at most 5 s each), so that a session ends
 * at most a quarter of `session-idle` late; but none shorter than 20 ms.
 *
 * @param sessionIdleMs The listener's `session-idle`, in ms.
 * @returns The sweeps' interval in ms, and how many of them make `session-idle`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sweepsOf } from "./udp_relay.ts";
 *
 * assert.deepEqual(sweepsOf(30_000), { every: 5000, parts: 6 });
 * assert.deepEqual(sweepsOf(300), { every: 75, parts: 4 });
 * ```
 */
export function sweepsOf(sessionIdleMs: number): { every: number; parts: number } {
  const parts = Math.max(
    1,
    Math.min(Math.max(4, Math.ceil(sessionIdleMs / 5000)), Math.floor(sessionIdleMs / 20)),
  );
  return { every: Math.max(20, sessionIdleMs / parts), parts };
}

/**
 * Whether a datagram came from `target`: the usual case compared without
 * a new socket name (the runtime writes IPv6 addresses as RFC 5952 does).
 */
function isFrom(from: Deno.NetAddr, target: SocketName): boolean {
  return from.port === target.port &&
    (from.hostname === target.address || socketNameOf(from).address === target.address);
}

/** The host's addresses, or none where muxd may not read them (without --allow-sys). */
function hostAddresses(): Deno.NetworkInterfaceInfo[] {
  try {
    return Deno.networkInterfaces();
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return [];
    }
    throw error;
  }
}
