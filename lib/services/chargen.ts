/**
 * The character generator service (RFC 864): an endless, recognizable
 * pattern of text lines.
 *
 * @module
 */

import { readChunks } from "./read_chunks.ts";
import type { BufferPool } from "./buffer_pool.ts";
import type { Service, Stream } from "./service.ts";
import { writeAll } from "./write_all.ts";
import { decimal, type OptionValues, wholeNumber } from "./options.ts";
import type { SocketName } from "../spec/types.ts";

/** How many printable ASCII characters the ring holds (0x20 through 0x7E). */
export const CHARGEN_RING_SIZE = 95;

/** How many bytes one line takes: 72 characters, then CR LF. */
export const CHARGEN_LINE_BYTES = 74;

/** The most characters a UDP reply holds: RFC 864 says a random number between 0 and 512. */
export const CHARGEN_UDP_MAX = 512;

const LINE_CHARACTERS = 72;

/**
 * How many whole 95-line cycles one TCP write sends: 9 cycles are 63,270
 * bytes, just under 64 KiB. Whole cycles keep the pattern seamless from one
 * write to the next.
 */
const CYCLES_PER_WRITE = 9;

/**
 * Makes line `index` of the RFC 864 pattern.
 *
 * The ring is the 95 printable characters in the order of RFC 864's example:
 * `!` (0x21) is character 0, `~` (0x7E) is character 93, and the space
 * (0x20) is character 94. Line N holds characters N through N + 71 (mod 95),
 * then CR LF, so the pattern repeats every 95 lines.
 *
 * @param index The line number, from 0.
 * @returns The line's 74 bytes.
 * @throws {RangeError} When `index` is not a non-negative safe integer.
 *
 * @example The first line of RFC 864's example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chargenLine } from "./chargen.ts";
 *
 * const line = new TextDecoder().decode(chargenLine(0));
 * assert.equal(line.slice(0, 16), "!\"#$%&'()*+,-./0");
 * assert.equal(line.length, 74);
 * ```
 */
export function chargenLine(index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`Cannot make chargen line ${index}: the index must be an integer >= 0`);
  }
  const line = new Uint8Array(CHARGEN_LINE_BYTES);
  for (let i = 0; i < LINE_CHARACTERS; i++) {
    line[i] = 0x20 + (index + i + 1) % CHARGEN_RING_SIZE;
  }
  line[LINE_CHARACTERS] = 0x0d;
  line[LINE_CHARACTERS + 1] = 0x0a;
  return line;
}

/**
 * Makes `count` consecutive lines of the RFC 864 pattern, starting at line
 * `first`, as one byte array.
 *
 * @param first The first line's number, from 0.
 * @param count How many lines.
 * @returns `count * 74` bytes.
 * @throws {RangeError} When `first` or `count` is not a non-negative safe integer.
 *
 * @example Six lines
 * ```ts
 * import assert from "node:assert/strict";
 * import { chargenLines } from "./chargen.ts";
 *
 * assert.equal(chargenLines(0, 6).length, 444);
 * ```
 */
export function chargenLines(first: number, count: number): Uint8Array {
  if (!Number.isSafeInteger(first) || first < 0) {
    throw new RangeError(
      `Cannot make chargen lines from ${first}: the index must be an integer >= 0`,
    );
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`Cannot make ${count} chargen lines: the count must be an integer >= 0`);
  }
  const bytes = new Uint8Array(count * CHARGEN_LINE_BYTES);
  for (let i = 0; i < count; i++) {
    bytes.set(chargenLine(first + i), i * CHARGEN_LINE_BYTES);
  }
  return bytes;
}

/**
 * How many characters chargen's UDP reply holds: a pseudo-random number from
 * 0 to 512, as RFC 864 asks, drawn from the sender's socket name and the
 * clock's second (a hash of both, so that each client sees its own lengths).
 *
 * Not a fresh draw per datagram, on purpose: the loop guard knows a loop
 * between two UDP servers by the same datagram coming back again and again,
 * which holds only while every muxd reply depends on nothing but the
 * request, the sender and the clock's second. A reply of a new length each
 * time would make echo and chargen on two ports the OS picked loop for
 * ever. A person or a test sees a new length with each new socket and each
 * second; a test that pins the clock knows the length.
 *
 * @param remote The sender's socket name.
 * @param now The time of the datagram.
 * @returns A whole number from 0 to {@linkcode CHARGEN_UDP_MAX}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chargenUdpLength } from "./chargen.ts";
 *
 * const client = { address: "127.0.0.1", port: 40000 };
 * const now = new Date("2001-09-09T01:46:40.250Z");
 * const length = chargenUdpLength(client, now);
 * assert.ok(length >= 0 && length <= 512);
 * assert.equal(chargenUdpLength(client, new Date("2001-09-09T01:46:40.999Z")), length);
 * ```
 */
export function chargenUdpLength(remote: SocketName, now: Date): number {
  // FNV-1a over the address, then the port and the second mixed in, then
  // MurmurHash3's finalizer so that neighbouring ports and seconds scatter.
  let h = 0x811c9dc5;
  const { address, port } = remote;
  for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ port, 0x01000193);
  h = Math.imul(h ^ Math.floor(now.getTime() / 1000), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % (CHARGEN_UDP_MAX + 1);
}

/** Tells whether a write failed because the client went away. */
function isPeerGone(error: unknown): boolean {
  return error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset;
}

/**
 * What becomes of a write left stalled when the stream stops (time cap,
 * shutdown): the dispatcher closes the stream once the service returns, and
 * the write fails with whatever a closed socket gives (`BadResource`,
 * `Interrupted`, a broken pipe). That is its expected end; there is nobody
 * left to tell.
 */
function endOfStalledWrite(_error: unknown): void {
  return;
}

/**
 * Reads and drops what the client sends. Resolves to the error that ended
 * reading, or `null` at end of stream; it never rejects, so it can run
 * unobserved while the service writes.
 */
async function discardInput(stream: Stream, buffers: BufferPool): Promise<unknown> {
  try {
    for await (const _chunk of readChunks(stream, buffers)) {
      // Thrown away, as RFC 864 says.
    }
    return null;
  } catch (error) {
    return error;
  }
}

/**
 * The 95-line cycle nine times over, made on first use and then shared by
 * every connection: writes only read it, so a thousand streams cost one
 * block, not a thousand.
 */
let sharedBlock: Uint8Array | undefined;

function block(): Uint8Array {
  sharedBlock ??= chargenLines(0, CHARGEN_RING_SIZE * CYCLES_PER_WRITE);
  return sharedBlock;
}

/**
 * Waits for a write, or for `stop`, whichever comes first.
 *
 * @returns `true` once the write is done, `false` when `stop` came first
 *   (the write may still be pending; the caller ends it by closing).
 */
function written(writing: Promise<void>, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const onStop = () => resolve(false);
    stop.addEventListener("abort", onStop, { once: true });
    writing.then(() => {
      stop.removeEventListener("abort", onStop);
      resolve(true);
    }, (error) => {
      stop.removeEventListener("abort", onStop);
      reject(error);
    });
  });
}

/** chargen's spec options: its caps on a TCP stream. */
export const CHARGEN_OPTIONS = [
  {
    key: "max-bytes",
    field: "maxBytes",
    transport: "tcp",
    description: "Stop the stream after this many bytes.",
    default: `${100 * 1024 * 1024}`,
    parse: wholeNumber(1, Infinity, "bytes"),
  },
  {
    key: "max-seconds",
    field: "maxSeconds",
    transport: "tcp",
    description: "Stop the stream after this many seconds.",
    default: "60",
    parse: decimal(0, Infinity, "seconds", true),
  },
] as const;

/**
 * Character generator, RFC 864.
 *
 * - TCP: sends the 95-line pattern of {@linkcode chargenLine} over and over,
 *   in writes of 63,270 bytes, until the client closes the connection (the
 *   write fails with `BrokenPipe` or `ConnectionReset`, which is the normal
 *   end), at its `max-bytes` or `max-seconds` cap, or at once when muxd
 *   shuts down, even while a write waits on a client that stopped reading.
 *   What the client sends is read and dropped meanwhile, so the client's own
 *   writes never stall; its half-close does not end the stream.
 * - UDP: replies with the start of the pattern, 0 to 512 characters (lines
 *   of 72 and CR LF, the last one cut where the count ends), whatever the
 *   request holds: RFC 864's "random number (between 0 and 512) of
 *   characters", here {@linkcode chargenUdpLength}.
 *
 * @example The listen specs that run it
 * ```text
 * tcp://127.0.0.1:7019=chargen
 * udp://127.0.0.1:7019=chargen
 * ```
 */
export const chargen: Service<OptionValues<typeof CHARGEN_OPTIONS>> = {
  name: "chargen",
  rfc: 864,
  summary: "Streams 72-character lines of rotating ASCII until the client closes " +
    "(UDP: 0 to 512 characters of them, a random count).",
  options: CHARGEN_OPTIONS,
  // A shorter run of lines is still the pattern.
  capabilities: { udpReplyMayBeCut: true },
  async tcp(stream, ctx) {
    const lines = block();
    const { maxBytes, maxSeconds: seconds } = ctx.options;
    const reading = discardInput(stream, ctx.buffers);
    // The stream stops at the time cap or when muxd shuts down, even while a
    // write is stalled on a client that stopped reading: the service
    // returns, and the dispatcher's close ends the stalled write.
    const stop = new AbortController();
    const onShutdown = () => stop.abort();
    ctx.signal.addEventListener("abort", onShutdown, { once: true });
    if (ctx.signal.aborted) stop.abort();
    const timer = Number.isFinite(seconds)
      ? setTimeout(() => stop.abort(), seconds * 1000)
      : undefined;
    try {
      for (let sent = 0; sent < maxBytes;) {
        if (stop.signal.aborted) return;
        const chunk = maxBytes - sent < lines.length ? lines.subarray(0, maxBytes - sent) : lines;
        const writing = writeAll(stream, chunk);
        if (!await written(writing, stop.signal)) {
          writing.catch(endOfStalledWrite);
          return;
        }
        sent += chunk.length;
      }
      // The byte cap: the dispatcher closes the stream, which ends `reading`.
      return;
    } catch (error) {
      // A write cut short by the shutdown's close is part of stopping.
      if (stop.signal.aborted) return;
      if (!isPeerGone(error)) throw error;
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", onShutdown);
    }
    // The client closed the connection, as RFC 864 expects; its side ends too.
    const readError = await reading;
    if (readError !== null && !isPeerGone(readError)) throw readError;
  },
  udp(_request, ctx) {
    // A view of the shared block: nothing is copied or made per datagram.
    return block().subarray(0, chargenUdpLength(ctx.remote, ctx.now()));
  },
};
