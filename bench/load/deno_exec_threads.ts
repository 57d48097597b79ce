/**
 * The load benchmark's Deno server that runs a program per connection on
 * several threads: what a server on Deno's APIs gets out of every core for
 * exec (see docs/BENCHMARKS.md, "Programs behind a port"). Each of N worker
 * threads has a listening socket of its own on one port (`reusePort`: the
 * kernel spreads the connections between them) and does all of its
 * connections itself, as `deno_exec.ts` does, so that a `spawn()`, which
 * returns only once the program is executed, holds up one thread alone, and
 * nothing crosses between threads.
 *
 * ```sh
 * deno run --unstable-net --allow-net --allow-read=. --allow-run=/bin/cat bench/load/deno_exec_threads.ts 127.0.0.1 /bin/cat 2   # prints "ready PORT"
 * ```
 *
 * @module
 */

import type { ThreadReady, ThreadStart } from "./deno_exec_thread.ts";

const hostname = Deno.args[0] ?? "127.0.0.1";
const program = Deno.args[1] ?? "/bin/cat";
const threads = Number(Deno.args[2] ?? 2);

/** Starts one thread listening on `port` (0: any), and says which port it got. */
function thread(port: number): Promise<number> {
  const worker = new Worker(new URL("./deno_exec_thread.ts", import.meta.url), {
    type: "module",
  });
  const { promise, resolve, reject } = Promise.withResolvers<number>();
  worker.onmessage = ({ data }: MessageEvent<ThreadReady>) => resolve(data.port);
  worker.onerror = (event) => reject(new Error(event.message));
  worker.postMessage({ hostname, port, program } satisfies ThreadStart);
  return promise;
}

// The first thread takes any free port, the others the same one.
const port = await thread(0);
for (let i = 1; i < threads; i++) await thread(port);
console.log(`ready ${port}`);
