/**
 * The load benchmark's Deno server that runs a program per connection with
 * its `spawn()` calls on worker threads: what the main thread's share comes to
 * when it no longer waits for each program to be executed (see
 * docs/BENCHMARKS.md, "Programs behind a port"). Per connection, a worker
 * (taken in turn) starts the program with piped standard input and output;
 * the main thread copies the connection into messages to it and its messages
 * into the connection, each end of stream passed on. Like `deno_exec.ts`: no
 * environment, limits, process groups, time limits, stderr lines or logging,
 * and no bound on what waits in a queue (a benchmark's client reads all).
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-run=/bin/cat bench/load/deno_exec_workers.ts 127.0.0.1 /bin/cat 2   # prints "ready PORT"
 * ```
 *
 * @module
 */

import type { ToMain, ToWorker } from "./deno_exec_messages.ts";

const hostname = Deno.args[0] ?? "127.0.0.1";
const program = Deno.args[1] ?? "/bin/cat";
const workerCount = Number(Deno.args[2] ?? 2);
const listener = Deno.listen({ hostname, port: 0 });
const workers = Array.from(
  { length: workerCount },
  () => new Worker(new URL("./deno_exec_worker.ts", import.meta.url), { type: "module" }),
);

/** One connection: what its program wrote, queued into it in order, and the program's exit. */
interface Connection {
  readonly conn: Deno.TcpConn;
  writes: Promise<void>;
  readonly exited: PromiseWithResolvers<void>;
}

const connections = new Map<number, Connection>();
let nextId = 0;

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/** Queues one step on a connection's writes; once one fails, the rest are dropped. */
function output(connection: Connection, step: () => Promise<void>): void {
  connection.writes = connection.writes.then(step);
}

function fromWorker({ data }: MessageEvent<ToMain>): void {
  const connection = connections.get(data.id);
  if (connection === undefined) return;
  switch (data.type) {
    case "output":
      output(connection, () => writeAll(connection.conn, data.bytes));
      break;
    case "output-end":
      output(connection, () => connection.conn.closeWrite());
      break;
    case "exit":
      connection.exited.resolve();
      break;
  }
}
for (const worker of workers) worker.onmessage = fromWorker;

async function run(conn: Deno.TcpConn): Promise<void> {
  const id = nextId++;
  const worker = workers[id % workers.length];
  const send = (message: ToWorker, transfer: Transferable[] = []) =>
    worker.postMessage(message, transfer);
  const connection: Connection = {
    conn,
    writes: Promise.resolve(),
    exited: Promise.withResolvers<void>(),
  };
  connections.set(id, connection);
  send({ type: "start", id, program });
  try {
    for (;;) {
      // A buffer per read: it moves to the worker with its bytes.
      const buffer = new Uint8Array(16 * 1024);
      const n = await conn.read(buffer);
      if (n === null) break;
      send({ type: "input", id, bytes: buffer.subarray(0, n) }, [buffer.buffer]);
    }
  } catch {
    // A peer that goes away ends its direction; the program ends with its input.
  }
  send({ type: "input-end", id });
  try {
    await connection.exited.promise;
    await connection.writes;
  } catch {
    // The peer went away while the program's output was written to it.
  } finally {
    connections.delete(id);
    conn.close();
  }
}

console.log(`ready ${listener.addr.port}`);
for await (const conn of listener) run(conn);
