/// <reference lib="deno.worker" />
/**
 * One thread of `deno_exec_threads.ts`: a listening socket of its own on the
 * shared port, and `deno_exec.ts`'s program per connection on it.
 *
 * @module
 */

import { runPerConnection } from "./deno_exec.ts";

/** What a thread is told: where to listen, what to run. */
export interface ThreadStart {
  readonly hostname: string;
  /** 0 for any free port: the first thread's. */
  readonly port: number;
  readonly program: string;
}

/** What a thread says once it listens. */
export interface ThreadReady {
  readonly port: number;
}

self.onmessage = ({ data }: MessageEvent<ThreadStart>) => {
  const listener = Deno.listen({ hostname: data.hostname, port: data.port, reusePort: true });
  self.postMessage({ port: listener.addr.port } satisfies ThreadReady);
  runPerConnection(listener, data.program);
};
