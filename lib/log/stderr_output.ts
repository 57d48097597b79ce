/**
 * Where the log writes standard error, and muxd serve its ready records
 * standard output: in place when it is a regular file, else through Deno's
 * stream.
 *
 * @module
 */

import { fstatSync } from "node:fs";
import type { SyncWriter } from "./batch_sink.ts";

/**
 * Standard error as the log writes it. A regular file is written in place,
 * one write per batch on the main thread: a file never blocks as a pipe or
 * a terminal can (a reader that stops reading, a paused terminal), and
 * handing each batch to another thread, as Deno's stream does, costs the
 * process more than the write itself: 3 µs of CPU per echo connection (two
 * lines), 63 against 60 µs, on one core in rotating rounds (docs/BENCHMARKS.md,
 * "Why the hot paths look as they do"). Anything else goes through the stream.
 *
 * The kind of file comes from `fstat()` on descriptor 2, which needs no
 * permission: `Deno.statSync("/dev/stderr")` reads through /proc, which Deno
 * refuses without `--allow-all`, so under `deno task serve` it never told.
 *
 * @returns `Deno.stderr` for a regular file, else `Deno.stderr.writable`.
 *
 * @example
 * ```ts ignore
 * import { getBatchSink } from "./batch_sink.ts";
 * import { stderrOutput } from "./stderr_output.ts";
 *
 * const sink = getBatchSink(stderrOutput(), { formatter: (r) => `${r.message}\n` });
 * ```
 */
export function stderrOutput(): WritableStream<Uint8Array> | SyncWriter {
  try {
    if (fstatSync(2).isFile()) return Deno.stderr;
  } catch {
    // Standard error is closed, or there is no descriptor 2 to ask: the stream copes.
  }
  return Deno.stderr.writable;
}

/**
 * Standard output as muxd serve writes its ready records: as standard error
 * is written by {@linkcode stderrOutput}, in place when it is a regular file,
 * else off the main thread, so that a pipe nobody reads (a CI runner that
 * reads it when muxd has exited) never stops muxd.
 *
 * @returns `Deno.stdout` for a regular file, else `Deno.stdout.writable`.
 */
export function stdoutOutput(): WritableStream<Uint8Array> | SyncWriter {
  try {
    if (fstatSync(1).isFile()) return Deno.stdout;
  } catch {
    // Standard output is closed, or there is no descriptor 1 to ask: the stream copes.
  }
  return Deno.stdout.writable;
}
