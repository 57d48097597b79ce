/**
 * The messages between `deno_exec_workers.ts` and its workers, one program
 * (one connection) named by `id` in each.
 *
 * @module
 */

/** From the main thread: start a program, give it bytes, end its input. */
export type ToWorker =
  | { readonly type: "start"; readonly id: number; readonly program: string }
  | { readonly type: "input"; readonly id: number; readonly bytes: Uint8Array }
  | { readonly type: "input-end"; readonly id: number };

/** From a worker: the program's output, its end, the program's exit. */
export type ToMain =
  | { readonly type: "output"; readonly id: number; readonly bytes: Uint8Array }
  | { readonly type: "output-end"; readonly id: number }
  | { readonly type: "exit"; readonly id: number };
