/**
 * The load benchmark's minimal Deno peer: the least a server written on
 * Deno's own APIs does, so the floor that any Deno server, muxd included,
 * stands on. TCP: `Deno.listen` and, per connection, a read/write loop that
 * reads through muxd's own `ChunkReader` (a small buffer to wait with, 256 KiB
 * from a shared pool while data keeps coming), so that the two compare alike. UDP:
 * `Deno.listenDatagram`, receive into one buffer, send the bytes back. No logging, no limits, no bookkeeping.
 *
 * With `--log`, it also writes muxd's own log line for each connection
 * opened and closed and each datagram, through muxd's log (`setUpLogging()`,
 * as serve sets it up), and nothing else: the least a Deno server that
 * logs what muxd logs by default does, so the floor under muxd's default
 * logging. Without it, no line of that code runs.
 *
 * ```sh
 * deno run --allow-net --unstable-net bench/load/deno_echo.ts 127.0.0.1   # prints "ready PORT"
 * deno run --allow-net --allow-env --unstable-net bench/load/deno_echo.ts 127.0.0.1 --log 2>log
 * ```
 *
 * @module
 */

import { BufferPool } from "../../lib/services/buffer_pool.ts";
import { ChunkReader } from "../../lib/services/read_chunks.ts";
import type { EventSink } from "../../lib/events/event.ts";
import { setUpLogging } from "../../lib/log/log.ts";

const hostname = Deno.args[0] ?? "127.0.0.1";
const listener = Deno.listen({ hostname, port: 0 });
const port = listener.addr.port;
const socket = Deno.listenDatagram({ transport: "udp", hostname, port });
const pool = new BufferPool();
const log: EventSink | null = Deno.args.includes("--log")
  ? (await setUpLogging({ level: "info", linesPerSecond: 0 })).events
  : null;
const local = { address: hostname, port };
const tcpSpec = `tcp://${hostname}:0=echo`;
const udpSpec = `udp://${hostname}:0=echo`;
let connections = 0;

async function echo(conn: Deno.TcpConn): Promise<void> {
  const reader = new ChunkReader(conn, pool);
  try {
    for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
      for (let written = 0; written < chunk.length;) {
        written += await conn.write(chunk.subarray(written));
      }
    }
  } catch (error) {
    // A peer that resets or goes away ends its connection, nothing more.
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
    ) {
      throw error;
    }
  } finally {
    reader.release();
    conn.close();
  }
}

/** `echo()` with muxd's two lines, opened and closed (`--log`). */
async function echoLogged(conn: Deno.TcpConn, log: EventSink): Promise<void> {
  const id = ++connections;
  const started = performance.now();
  const remote = { address: conn.remoteAddr.hostname, port: conn.remoteAddr.port };
  // Each event one literal naming every field, as muxd writes them.
  log({
    type: "connection-opened",
    time: Date.now(),
    transport: "tcp",
    listener: tcpSpec,
    service: "echo",
    id,
    local,
    remote,
    bound: local,
  });
  const reader = new ChunkReader(conn, pool);
  let bytes = 0;
  try {
    for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
      bytes += chunk.length;
      for (let written = 0; written < chunk.length;) {
        written += await conn.write(chunk.subarray(written));
      }
    }
  } catch (error) {
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
    ) {
      throw error;
    }
  } finally {
    reader.release();
    conn.close();
    log({
      type: "connection-closed",
      time: Date.now(),
      transport: "tcp",
      listener: tcpSpec,
      service: "echo",
      id,
      local,
      remote,
      bytesIn: bytes,
      bytesOut: bytes,
      durationMs: performance.now() - started,
      reason: "done",
    });
  }
}

async function accept(): Promise<void> {
  if (log === null) {
    for await (const conn of listener) echo(conn);
  } else {
    for await (const conn of listener) echoLogged(conn, log);
  }
}

async function answer(): Promise<void> {
  const buffer = new Uint8Array(65_535);
  for (;;) {
    const [request, from] = await socket.receive(buffer);
    await socket.send(request, from);
  }
}

/** `answer()` with muxd's line for each datagram (`--log`). */
async function answerLogged(log: EventSink): Promise<void> {
  const buffer = new Uint8Array(65_535);
  for (;;) {
    const [request, from] = await socket.receive(buffer);
    const { hostname: address, port } = from as Deno.NetAddr;
    log({
      type: "datagram",
      time: Date.now(),
      transport: "udp",
      listener: udpSpec,
      service: "echo",
      local,
      remote: { address, port },
      bytesIn: request.length,
    });
    await socket.send(request, from);
  }
}

console.log(`ready ${port}`);
await Promise.all([accept(), log === null ? answer() : answerLogged(log)]);
