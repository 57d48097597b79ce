/**
 * A TCP listener built on node:net, for the listeners whose faults reset
 * connections: a `Deno.TcpConn` cannot send a reset (it has no SO_LINGER),
 * a node:net socket can (`resetAndDestroy()`). It has the same `accept()`,
 * `close()` and `addr` as a `Deno.TcpListener`, throws the same errors,
 * and binds as synchronously, so that `bindAll()` sees a conflict between
 * it and the next listener it binds.
 *
 * @module
 */

import net from "node:net";
import process from "node:process";
import type { Socket } from "node:net";
import { NodeTcpConn } from "./node_conn.ts";
import { denoError, denoLike } from "./node_error.ts";
import type { TcpListener } from "./tcp_listener.ts";
import { descriptorShortage } from "./descriptor_probe.ts";
import { PollSettle } from "./poll_settle.ts";

/** The backlog of the listening socket, node's and Deno's default. */
const BACKLOG = 511;

/**
 * How soon a node-backed listener that took no connection looks whether it
 * may have stopped accepting: the retry interval of a Deno-bound listener
 * out of descriptors (dispatch's `ACCEPT_RETRY_MS`). Each look that finds
 * all well doubles the wait, up to {@linkcode WATCH_IDLE_MS}.
 */
const WATCH_MS = 50;

/** The longest wait between two looks of an idle node-backed listener. */
const WATCH_IDLE_MS = 1000;

/**
 * The polls of the OS a node-backed connection waits for before muxd
 * writes to it (see {@linkcode PollSettle}).
 */
const SETTLE_POLLS = 2;

/** The part of node's internal TCP handle that binds a listening socket synchronously. */
interface TcpHandle {
  bindWithFlags(address: string, port: number, flags: number): number;
  bind6(address: string, port: number, flags: number): number;
  listen(backlog: number): number;
  close(): void;
}

/** node's `tcp_wrap` binding, as far as binding a listener needs it. */
interface TcpWrap {
  TCP: new (type: number) => TcpHandle;
  constants: { SERVER: number; UV_TCP_REUSEPORT: number };
}

/** node's `uv` binding: the name of an OS error number. */
interface Uv {
  errname(errno: number): string;
}

/** What node's `process.binding()` gives, as far as these two modules go. */
type Binding = (name: "tcp_wrap" | "uv") => unknown;

/**
 * Binds a TCP listener with node:net.
 *
 * `Deno.listen` binds the address first: it resolves a host name, checks
 * Deno's permissions and throws exactly the errors that a Deno-bound
 * listener throws and that lib/explain/ explains. Its socket is then closed
 * and node's bound on the very address and port at once, synchronously
 * (through node's TCP handle: node:net's own `listen()` binds only on a
 * later turn of the event loop, when other listeners may have taken the
 * port). Should another program take the port in that instant, the error
 * is node's, in Deno's class.
 *
 * @param hostname The address or host name to bind.
 * @param port The port, or 0 for one the OS picks.
 * @param reusePort Whether other sockets may bind the same port (SO_REUSEPORT).
 * @returns The listener, bound and listening.
 * @throws {Deno.errors.AddrInUse} And every other error `Deno.listen` throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenNodeTcp } from "./node_tcp.ts";
 *
 * const listener = listenNodeTcp("127.0.0.1", 0, false);
 * const accepted = listener.accept();
 * using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const conn = await accepted;
 * conn.reset();
 * await assert.rejects(client.read(new Uint8Array(1)), Deno.errors.ConnectionReset);
 * listener.close();
 * ```
 */
export function listenNodeTcp(hostname: string, port: number, reusePort: boolean): NodeTcpListener {
  const probe = Deno.listen({ transport: "tcp", hostname, port, reusePort });
  const addr = probe.addr;
  probe.close();
  const handle = bindHandle(addr.hostname, addr.port, reusePort);
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  server.listen(handle);
  return new NodeTcpListener(server, handle, addr);
}

/** Binds node's TCP handle and makes it listen, or throws the OS error in Deno's class. */
function bindHandle(address: string, port: number, reusePort: boolean): TcpHandle {
  const binding = (process as unknown as { binding: Binding }).binding;
  const { TCP, constants } = binding("tcp_wrap") as TcpWrap;
  const handle = new TCP(constants.SERVER);
  const flags = reusePort ? constants.UV_TCP_REUSEPORT : 0;
  let status = address.includes(":")
    ? handle.bind6(address, port, flags)
    : handle.bindWithFlags(address, port, flags);
  if (status === 0) status = handle.listen(BACKLOG);
  if (status === 0) return handle;
  handle.close();
  const code = (binding("uv") as Uv).errname(status);
  const message = `listen ${code}: ${address}:${port}`;
  throw denoError(Object.assign(new Error(message), { code, errno: status }));
}

/**
 * A TCP listener on node:net, as {@linkcode listenNodeTcp} binds it. node
 * accepts each connection as it arrives; `accept()` hands them out in order.
 *
 * At `EMFILE`, node's accept (Deno 2.9) stops for good and reports nothing.
 * So while an `accept()` waits with nothing arriving, the listener looks
 * now and then ({@linkcode WATCH_MS} ms, doubling while all is well, up to
 * {@linkcode WATCH_IDLE_MS}): it asks node's handle to listen again (which
 * restarts an accept that stopped, and does nothing to one that did not)
 * and tries for a descriptor ({@linkcode descriptorShortage}). When none is
 * to be had and connections arrived since one last was, the waiting
 * `accept()` throws that error, as a Deno-bound listener's does, and
 * dispatch pauses, warns and retries every {@linkcode WATCH_MS} ms. A
 * listener that took no connection meanwhile keeps quiet: nothing says a
 * client waits on it, and its accept, restarted at each look, takes the
 * next one once a descriptor is free.
 */
export class NodeTcpListener implements TcpListener {
  /** The bound socket name, port 0 resolved. */
  readonly addr: Deno.NetAddr;
  #server: net.Server;
  #handle: TcpHandle;
  #watch: ReturnType<typeof setTimeout>;
  /** How long the watch waits before it looks again. */
  #watchMs = WATCH_MS;
  /** Whether a connection arrived since the watch last looked. */
  #arrivedSinceLook = false;
  /** Connections accepted lately, until the event loop has polled them (see {@linkcode PollSettle}). */
  #settling = new PollSettle<NodeTcpConn>(SETTLE_POLLS, (conn) => this.#hand({ conn }));
  /**
   * Whether a connection arrived since the watch last found a descriptor
   * free: only then can node's accept have met the shortage, and only then
   * does the listener report it (an idle one beside a busy one says nothing).
   */
  #arrivedSinceFree = false;
  /** Connections accepted and errors met, not yet taken by `accept()`. */
  #arrived: ({ conn: NodeTcpConn } | { error: unknown })[] = [];
  /** The `accept()` waiting for the next arrival. */
  #waiting: PromiseWithResolvers<NodeTcpConn> | null = null;
  #closed = false;

  /**
   * Takes the connections a listening server accepts.
   *
   * @param server A node:net server, listening on `handle`.
   * @param handle Its TCP handle.
   * @param addr Its socket name.
   */
  constructor(server: net.Server, handle: TcpHandle, addr: Deno.NetAddr) {
    this.#server = server;
    this.#handle = handle;
    this.addr = addr;
    server.on("connection", (socket: Socket) => this.#arrive(socket));
    // An accept that failed: accept() throws it.
    server.on("error", (error) => this.#hand({ error: denoError(error) }));
    this.#watch = setTimeout(() => this.#look(), WATCH_MS);
  }

  /**
   * Waits for the next connection, like `Deno.TcpListener.accept`.
   *
   * @returns The connection.
   * @throws {Deno.errors.BadResource} Once the listener is closed.
   * @throws {Deno.errors.NotConnected} For a connection its client reset
   *   before muxd took it.
   */
  accept(): Promise<NodeTcpConn> {
    if (this.#closed) {
      return Promise.reject(denoLike(Deno.errors.BadResource, "Listener has been closed"));
    }
    const next = this.#arrived.shift();
    if (next !== undefined) {
      return "conn" in next ? Promise.resolve(next.conn) : Promise.reject(next.error);
    }
    this.#waiting = Promise.withResolvers<NodeTcpConn>();
    return this.#waiting.promise;
  }

  /**
   * Closes the listener, like `Deno.TcpListener.close`: a waiting `accept()`
   * fails with `Deno.errors.BadResource`, and connections not yet taken are
   * closed.
   *
   * @throws {Deno.errors.BadResource} When it was closed before.
   */
  close(): void {
    if (this.#closed) throw denoLike(Deno.errors.BadResource, "Bad resource ID");
    this.#closed = true;
    clearTimeout(this.#watch);
    this.#server.close();
    for (const conn of this.#settling.close()) conn.close();
    for (const next of this.#arrived.splice(0)) if ("conn" in next) next.conn.close();
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.reject(denoLike(Deno.errors.BadResource, "Listener has been closed"));
  }

  /**
   * The watch: while an `accept()` waits and nothing arrived since last
   * time, restarts node's accept in case it stopped, and makes the waiting
   * `accept()` throw when no descriptor is to be had for the connections
   * that came since one last was.
   */
  #look(): void {
    if (this.#arrivedSinceLook || this.#waiting === null) {
      this.#watchMs = WATCH_MS;
    } else {
      this.#handle.listen(BACKLOG);
      // The bound address, not a host name: at EMFILE, resolving a name
      // fails as well (with no code), which would hide the shortage.
      const shortage = descriptorShortage(this.addr.hostname, this.addr.port);
      if (shortage === null) this.#arrivedSinceFree = false;
      else if (this.#arrivedSinceFree) this.#hand({ error: shortage });
      this.#watchMs = shortage === null ? Math.min(this.#watchMs * 2, WATCH_IDLE_MS) : WATCH_MS;
    }
    this.#arrivedSinceLook = false;
    this.#watch = setTimeout(() => this.#look(), this.#watchMs);
  }

  #arrive(socket: Socket): void {
    this.#arrivedSinceLook = true;
    this.#arrivedSinceFree = true;
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const { localAddress, localPort, remoteAddress, remotePort } = socket;
    // A client that reset its connection before node asked has no peer.
    if (remoteAddress === undefined || localAddress === undefined) {
      socket.destroy();
      this.#hand({
        error: denoLike(Deno.errors.NotConnected, "Socket is not connected", "ENOTCONN"),
      });
      return;
    }
    const conn = new NodeTcpConn(
      socket,
      { transport: "tcp", hostname: localAddress, port: localPort! },
      { transport: "tcp", hostname: remoteAddress, port: remotePort! },
    );
    this.#settling.add(conn);
  }

  /** Gives an arrival to the waiting `accept()`, or keeps it for the next. */
  #hand(next: { conn: NodeTcpConn } | { error: unknown }): void {
    const waiting = this.#waiting;
    if (waiting === null) {
      this.#arrived.push(next);
      return;
    }
    this.#waiting = null;
    if ("conn" in next) waiting.resolve(next.conn);
    else waiting.reject(next.error);
  }
}
