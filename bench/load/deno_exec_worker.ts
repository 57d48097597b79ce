/// <reference lib="deno.worker" />
/**
 * The worker of `deno_exec_workers.ts`: it starts the programs the main
 * thread asks for, so that `spawn()`, which returns only once the program has
 * been executed, blocks this thread and not the one that accepts and copies.
 * A program's standard input and output belong to this thread; their bytes
 * cross to the main thread as messages, their buffers transferred.
 *
 * @module
 */

import type { ToMain, ToWorker } from "./deno_exec_messages.ts";

const post = (message: ToMain, transfer: Transferable[] = []) =>
  self.postMessage(message, transfer);

/** Each running program's standard input, written in the order the chunks came. */
const inputs = new Map<
  number,
  { writer: WritableStreamDefaultWriter<Uint8Array>; queue: Promise<void> }
>();

async function start(id: number, program: string): Promise<void> {
  const child = new Deno.Command(program, { stdin: "piped", stdout: "piped", stderr: "null" })
    .spawn();
  inputs.set(id, { writer: child.stdin.getWriter(), queue: Promise.resolve() });
  try {
    for await (const chunk of child.stdout) {
      // A chunk that is all of its buffer moves; a view into a larger one is copied.
      const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
      post({ type: "output", id, bytes: chunk }, whole ? [chunk.buffer as ArrayBuffer] : []);
    }
  } catch {
    // The program's output ended badly: its end of stream is passed on all the same.
  }
  post({ type: "output-end", id });
  await child.status;
  inputs.delete(id);
  post({ type: "exit", id });
}

/** Queues one step on a program's standard input; a program gone drops it. */
function input(
  id: number,
  step: (writer: WritableStreamDefaultWriter<Uint8Array>) => Promise<void>,
) {
  const stdin = inputs.get(id);
  if (stdin === undefined) return;
  stdin.queue = stdin.queue.then(() => step(stdin.writer)).catch(() => {});
}

self.onmessage = ({ data }: MessageEvent<ToWorker>) => {
  switch (data.type) {
    case "start":
      start(data.id, data.program);
      break;
    case "input":
      input(data.id, (writer) => writer.write(data.bytes));
      break;
    case "input-end":
      input(data.id, (writer) => writer.close());
      break;
  }
};
