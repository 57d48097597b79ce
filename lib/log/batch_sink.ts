/**
 * A LogTape sink that writes many lines in one write: the lines of up to
 * 10 ms go out together, so a flood of events costs one system call per
 * batch rather than one per line. Nothing is dropped silently: past
 * `maxPendingBytes` waiting to be written (the reader is not keeping up),
 * lines are dropped and counted, and the count is written as a line of its
 * own once the writer catches up. Should a write fail (standard error is
 * gone), the sink drops every line from then on instead of failing: the
 * server goes on serving without its log.
 *
 * Where the lines go is a stream, written off the main thread (a pipe or a
 * terminal, whose reader may stop), or a {@linkcode SyncWriter}, written
 * in place (a regular file, which never blocks so). Disposing of the sink
 * writes out what waits, unless the reader has taken no batch for
 * `stallMs`: a pipe nobody reads must not keep a stopped muxd alive.
 *
 * @module
 */

import type { LogRecord, Sink, TextFormatter } from "@logtape/logtape";
import { LineBuffer } from "./line_buffer.ts";

/** How long a record may wait for others to share its write, in ms. */
const FLUSH_MS = 10;

/** A buffer that grew past this under a burst is not kept for the next batch. */
const KEEP_CAPACITY = 1024 * 1024;

/**
 * An output written in place, such as `Deno.stderr` when it is a regular
 * file: each batch is one `writeSync()` (or a few, should one write less).
 */
export interface SyncWriter {
  /** Writes some of `p`; returns how many bytes it wrote. */
  writeSync(p: Uint8Array): number;
}

/** Options for {@linkcode getBatchSink}. */
export interface BatchSinkOptions {
  /** Formats each record as one line, ending in a newline. */
  readonly formatter: TextFormatter;
  /** How many bytes may wait to be written before lines are dropped. @default 8 Mi */
  readonly maxPendingBytes?: number;
  /**
   * At disposal, how long a write may take before the lines still waiting
   * are given up (the reader stopped reading), in ms. @default 2000
   */
  readonly stallMs?: number;
  /**
   * Told the count of lines dropped, once the writer catches up, in place of
   * the line that says so among the others (standard output's ready records
   * are JSON lines, which a line of words would break).
   * @default a line `muxd: N log line(s) dropped: standard error could not keep up`
   */
  readonly onDropped?: (count: number) => void;
}

/**
 * A sink that also takes lines already formatted, or written straight into
 * its buffer, and writes out everything pending when disposed (unless a
 * write stalls for `stallMs`).
 */
export interface BatchSink extends Sink, AsyncDisposable {
  /**
   * Adds one formatted line (ending in a newline) to the batch, after
   * the lines before it.
   *
   * @param line The line.
   */
  writeLine(line: string): void;
  /**
   * The buffer to write one line into, newline included, after the lines
   * before it. `null` when the pending limit is reached: the line is
   * counted as dropped.
   *
   * @returns The buffer, or `null`.
   */
  lineBuffer(): LineBuffer | null;
}

/**
 * Creates the sink; the output stays open when it is disposed.
 *
 * Lines wait as bytes in one buffer, which is written as it is, while the
 * next batch fills a second one. A line written into the buffer directly
 * costs no allocation at all; a string line is encoded into it once.
 *
 * @param output Where the text goes: a stream, such as `Deno.stderr.writable`, or a
 *   {@linkcode SyncWriter}, such as `Deno.stderr` when it is a regular file.
 * @param options The formatter and the pending limit.
 * @returns The sink; dispose of it to flush.
 */
export function getBatchSink(
  output: WritableStream<Uint8Array> | SyncWriter,
  options: BatchSinkOptions,
): BatchSink {
  const writer = "writeSync" in output ? null : output.getWriter();
  const write = writer === null
    ? (bytes: Uint8Array) => writeAllSync(output as SyncWriter, bytes)
    : (bytes: Uint8Array) => writer.write(bytes);
  const maxPending = options.maxPendingBytes ?? 8 * 1024 * 1024;
  const stallMs = options.stallMs ?? 2000;
  let pending = new LineBuffer();
  let spare: LineBuffer | null = null;
  let dropped = 0;
  // Set once a write fails: standard error is gone (whoever read it closed
  // the pipe, say), and there is nowhere left to write lines or to say so.
  let failed = false;
  let writing: Promise<void> | null = null;
  // True from the start of a flush to its end, in the same turn as its last
  // check for lines that came meanwhile; a line that comes later schedules a
  // flush of its own. (`writing` is cleared only in a later microtask, so a
  // line that came in between would wait, and one that came last would be lost.)
  let flushing = false;
  let scheduled = false;

  // One batch a write. Lines that come while it is written wait for the
  // next window of FLUSH_MS rather than go out the moment it completes: a
  // write can take a thread's round trip (a file), and writing each time it
  // completes would make batches of that round trip, a few lines each.
  const flush = async () => {
    scheduled = false;
    flushing = true;
    if (!failed && (pending.length > 0 || dropped > 0)) {
      if (dropped > 0) {
        if (options.onDropped) options.onDropped(dropped);
        else {
          pending.appendUtf8(
            `muxd: ${dropped} log line(s) dropped: standard error could not keep up\n`,
          );
        }
        dropped = 0;
      }
      // The next lines go to the other buffer while this one is written.
      const out = pending;
      pending = spare ?? new LineBuffer();
      spare = null;
      try {
        await write(out.view());
      } catch {
        // The server goes on serving without its log, rather than die of it.
        failed = true;
      }
      out.clear();
      if (out.capacity <= KEEP_CAPACITY) spare = out;
    }
    flushing = false;
    if (!failed && (pending.length > 0 || dropped > 0)) schedule();
  };

  const schedule = () => {
    if (!flushing && !scheduled) {
      scheduled = true;
      // Every line of the next few milliseconds joins the batch: one write
      // for many lines, and a line is late by a few milliseconds at most.
      // `writing` is cleared after the assignment, even by a flush that found
      // nothing to write and so never waited.
      setTimeout(() => writing = flush().finally(() => writing = null), FLUSH_MS);
    }
  };

  const lineBuffer = () => {
    if (failed || pending.length >= maxPending) {
      dropped++;
      return null;
    }
    schedule();
    return pending;
  };
  const writeLine = (line: string) => lineBuffer()?.appendUtf8(line);
  const sink = (record: LogRecord) => writeLine(options.formatter(record));
  // The sink formats each record at once and keeps only the text, so LogTape
  // need not copy the record for it first (LogTape's own stream and console
  // sinks are marked the same way; the mark only ever saves a copy).
  Object.defineProperty(sink, Symbol.for("LogTape.sinkSnapshotPolicy.immediate"), { value: true });
  return Object.assign(sink, {
    writeLine,
    lineBuffer,
    async [Symbol.asyncDispose]() {
      while (scheduled || writing !== null) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (writing === null) continue;
        // A reader that takes nothing for stallMs has stopped (a pipe read
        // only once muxd exits): the lines still waiting are given up, and the
        // write stays pending for the process's exit to end.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const stall = new Promise<true>((resolve) =>
          timer = setTimeout(() => resolve(true), stallMs)
        );
        const stalled = await Promise.race([writing.then(() => false), stall]);
        clearTimeout(timer);
        if (stalled) return;
      }
      writer?.releaseLock();
    },
  });
}

function writeAllSync(output: SyncWriter, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) {
    const n = output.writeSync(bytes.subarray(written));
    if (n === 0) throw new Deno.errors.WriteZero("the log's output took no bytes");
    written += n;
  }
}
