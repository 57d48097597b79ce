/**
 * A LogTape sink that writes many records in one write: records formatted
 * during one turn of the event loop go out together, so a flood of events
 * costs one system call per batch rather than one per line. Nothing is
 * dropped silently: past `maxPendingBytes` waiting to be written (the
 * reader is not keeping up), lines are dropped and counted, and the count
 * is written as a line of its own once the writer catches up.
 *
 * @module
 */

import type { LogRecord, Sink, TextFormatter } from "@logtape/logtape";

/** How long a record may wait for others to share its write, in ms. */
const FLUSH_MS = 10;

/** The size of a batch buffer to begin with, in bytes; it grows while lines come faster. */
const FIRST_BUFFER_BYTES = 64 * 1024;

/** The largest buffer kept for the next batch after a write, in bytes. */
const MAX_SPARE_BYTES = 1024 * 1024;

/** Options for {@linkcode getBatchSink}. */
export interface BatchSinkOptions {
  /** Formats each record as one line, ending in a newline. */
  readonly formatter: TextFormatter;
  /** How much may wait to be written before lines are dropped, in bytes. @default 8 MiB */
  readonly maxPendingBytes?: number;
}

/**
 * A sink that also takes lines already formatted, and writes out
 * everything pending when disposed.
 */
export interface BatchSink extends Sink, AsyncDisposable {
  /**
   * Adds one formatted line (ending in a newline) to the batch, after
   * the records and lines before it.
   *
   * @param line The line.
   */
  writeLine(line: string): void;
}

/**
 * Creates the sink; the stream stays open when it is disposed.
 *
 * Each line is encoded into the batch's byte buffer as it comes, and the
 * string is let go at once: a busy server's log lines never wait in the
 * JavaScript heap, where every garbage collection would copy them.
 *
 * @param stream Where the text goes, such as `Deno.stderr.writable`.
 * @param options The formatter and the pending limit.
 * @returns The sink; dispose of it to flush.
 */
export function getBatchSink(
  stream: WritableStream<Uint8Array>,
  options: BatchSinkOptions,
): BatchSink {
  const writer = stream.getWriter();
  const encoder = new TextEncoder();
  const maxPending = options.maxPendingBytes ?? 8 * 1024 * 1024;
  let buffer = new Uint8Array(FIRST_BUFFER_BYTES);
  let used = 0;
  // The buffer of the last write, taken again once that write is done.
  let spare: Uint8Array<ArrayBuffer> | null = null;
  let dropped = 0;
  let writing: Promise<void> | null = null;
  let scheduled = false;

  /** Appends `line`, growing the buffer as needed; `false` when past `limit`. */
  const append = (line: string, limit: number): boolean => {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: when that fits, the
    // line is encoded straight into the buffer.
    const most = used + line.length * 3;
    if (most <= buffer.length && most <= limit) {
      used += encoder.encodeInto(line, buffer.subarray(used)).written;
      return true;
    }
    const bytes = encoder.encode(line);
    if (used + bytes.length > limit) return false;
    if (used + bytes.length > buffer.length) {
      const larger = new Uint8Array(Math.max(buffer.length * 2, used + bytes.length));
      larger.set(buffer.subarray(0, used));
      buffer = larger;
    }
    buffer.set(bytes, used);
    used += bytes.length;
    return true;
  };

  const flush = async () => {
    scheduled = false;
    while (used > 0 || dropped > 0) {
      if (dropped > 0) {
        // Past the limit on purpose: the count must not be dropped itself.
        append(
          `muxd: ${dropped} log line(s) dropped: standard error could not keep up\n`,
          Infinity,
        );
        dropped = 0;
      }
      const out = buffer.subarray(0, used);
      buffer = spare ?? new Uint8Array(FIRST_BUFFER_BYTES);
      spare = null;
      used = 0;
      await writer.write(out);
      // Kept for the next batch, unless a burst made it large.
      if (out.buffer.byteLength <= MAX_SPARE_BYTES) spare = new Uint8Array(out.buffer);
    }
    writing = null;
  };

  const writeLine = (line: string) => {
    if (!append(line, maxPending)) {
      dropped++;
      return;
    }
    if (writing === null && !scheduled) {
      scheduled = true;
      // Every line of the next few milliseconds joins the batch: one write
      // for many lines, and a line is late by a few milliseconds at most.
      setTimeout(() => writing = flush(), FLUSH_MS);
    }
  };
  const sink = (record: LogRecord) => writeLine(options.formatter(record));
  // The sink formats each record at once and keeps only the text, so LogTape
  // need not copy the record for it first (LogTape's own stream and console
  // sinks are marked the same way; the mark only ever saves a copy).
  Object.defineProperty(sink, Symbol.for("LogTape.sinkSnapshotPolicy.immediate"), { value: true });
  return Object.assign(sink, {
    writeLine,
    async [Symbol.asyncDispose]() {
      while (scheduled || writing !== null) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        await writing;
      }
      writer.releaseLock();
    },
  });
}
