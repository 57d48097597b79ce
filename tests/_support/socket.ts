/**
 * What the reliability tests share: the soak switch, muxd's JSON log read
 * back as events, bounded reads, and the open-files limit.
 */

import type { ServerEvent } from "../../lib/events/mod.ts";
import { MAIN, type MuxdLauncher, SERVE_PERMISSIONS } from "./process.ts";

/**
 * `MUXD_SOAK=1` (the `soak` task) runs the heavier variants: more
 * connections, more datagrams, still bounded in count and time.
 */
export const SOAK: boolean = Deno.env.get("MUXD_SOAK") === "1";

/** `serve --log-format json` followed by `-l SPEC` for each spec. */
export function serveJson(...specs: string[]): string[] {
  return ["serve", "--log-format", "json", ...specs.flatMap((spec) => ["-l", spec])];
}

/** One line of muxd's JSON log. */
export interface LogRecord {
  readonly level: string;
  readonly message: string;
  readonly logger: string;
  readonly properties: Record<string, unknown>;
}

/**
 * Reads muxd's JSON log (stderr with `--log-format json`).
 *
 * @param stderr Everything muxd wrote to stderr.
 * @returns Every complete JSON line, in order; a half-written last line is left out.
 * @throws {SyntaxError} When a complete line is not JSON: muxd wrote something else.
 */
export function logRecords(stderr: string): LogRecord[] {
  const lines = stderr.split("\n");
  lines.pop(); // the part after the last newline is not a complete line
  return lines.filter((l) => l !== "").map((l) => {
    try {
      return JSON.parse(l) as LogRecord;
    } catch (error) {
      throw new SyntaxError(`muxd wrote a line to stderr that is not JSON: ${l}`, {
        cause: error,
      });
    }
  });
}

/** The server events in muxd's JSON log, in order. */
export function logEvents(stderr: string): ServerEvent[] {
  return logRecords(stderr)
    .filter((r) => r.logger === "muxd.events")
    .map((r) => r.properties as unknown as ServerEvent);
}

/**
 * Counts the events of one type in muxd's JSON log without parsing it, for
 * polling a log of thousands of lines.
 */
export function countEvents(stderr: string, type: ServerEvent["type"]): number {
  const needle = `"properties":{"type":"${type}",`;
  let count = 0;
  for (let at = stderr.indexOf(needle); at !== -1; at = stderr.indexOf(needle, at + 1)) count++;
  return count;
}

/** The events of one type, typed. */
export function eventsOf<T extends ServerEvent["type"]>(
  events: readonly ServerEvent[],
  type: T,
): Extract<ServerEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ServerEvent, { type: T }> => e.type === type);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `condition()` holds, checking every 20 ms.
 *
 * @throws {Error} After `timeoutMs`, with `what` and the last `describe()`.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  describe: () => string = () => "",
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`);
    }
    await sleep(20);
  }
}

/**
 * Races a promise against a timer; the timer is cleared either way.
 *
 * @throws {Error} When `ms` pass first, naming `what`.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads a connection to its end.
 *
 * @param conn The connection.
 * @param limit Stop with an error past this many bytes.
 * @returns Every byte read.
 */
export async function readToEnd(conn: Deno.Conn, limit = 64 * 1024 * 1024): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
    total += n;
    if (total > limit) throw new Error(`more than ${limit} bytes`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) out.set(c, at), at += c.length;
  return out;
}

/**
 * How a connection ended from the client's side, when it ended before the
 * client sent anything: `"eof"` (the server closed it), `"reset"`, or the
 * first bytes the server sent.
 */
export async function firstRead(conn: Deno.Conn): Promise<"eof" | "reset" | Uint8Array> {
  const buffer = new Uint8Array(4096);
  try {
    const n = await conn.read(buffer);
    return n === null ? "eof" : buffer.slice(0, n);
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return "reset";
    throw error;
  }
}

/** Sends `bytes` to an echo connection and checks they come back; the connection stays open. */
export async function echoRoundTrip(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  await conn.write(bytes);
  const back = new Uint8Array(bytes.length);
  let filled = 0;
  while (filled < bytes.length) {
    const n = await conn.read(back.subarray(filled));
    if (n === null) return false;
    filled += n;
  }
  return back.every((b, i) => b === bytes[i]);
}

/** Random bytes, any length. */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

/**
 * The open-files limit (soft) of a shell started from here, which muxd
 * started from here shares: `sh -c "ulimit -n"`. (Deno refuses to read
 * `/proc/self/limits` without `--allow-all`.)
 *
 * @returns The limit, `Infinity` for "unlimited", or `null` where it cannot be learnt.
 */
export async function openFilesLimit(): Promise<number | null> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("sh", { args: ["-c", "ulimit -n"], stderr: "null" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotCapable) {
      return null;
    }
    throw error;
  }
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) return null;
  if (text === "unlimited") return Infinity;
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** Closes a connection that the server may already have closed. */
export function closeQuietly(conn: Deno.Conn | Deno.DatagramConn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/**
 * Sends one datagram from a fresh loopback socket and waits for one reply,
 * for at most `timeoutMs` (faster than `nc -u -w1`, which always waits a second).
 *
 * @returns The reply, or `null` when none came in time.
 */
export async function udpRoundTrip(
  port: number,
  bytes: Uint8Array,
  timeoutMs = 1000,
): Promise<Uint8Array | null> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const timer = setTimeout(() => socket.close(), timeoutMs);
  try {
    await socket.send(bytes, { transport: "udp", hostname: "127.0.0.1", port });
    const [reply] = await socket.receive();
    return reply;
  } catch (error) {
    // The timer closed the socket under the pending receive.
    if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
      return null;
    }
    throw error;
  } finally {
    clearTimeout(timer);
    closeQuietly(socket);
  }
}

/**
 * The times of day, in ms since midnight, of the text log lines that match
 * `pattern`, in order (`17:42:16.052 WRN ...`); a line after midnight counts
 * on from the day before.
 *
 * @param stderr muxd's text log.
 * @param pattern What the lines contain.
 * @returns One time per matching line.
 */
export function lineTimes(stderr: string, pattern: RegExp): number[] {
  const times: number[] = [];
  for (const line of stderr.split("\n")) {
    const time = /^(\d\d):(\d\d):(\d\d)\.(\d{3}) /.exec(line);
    if (time === null || !pattern.test(line)) continue;
    const [h, m, s, ms] = time.slice(1).map(Number);
    let at = ((h * 60 + m) * 60 + s) * 1000 + ms;
    while (times.length > 0 && at < times.at(-1)!) at += 24 * 3600 * 1000;
    times.push(at);
  }
  return times;
}

/**
 * Asserts that consecutive times are at least `ms` apart: something
 * happened at most once per interval, however long the test took.
 *
 * @param times In ms, in order.
 * @param ms The interval.
 * @param what What happened, for the message.
 * @throws {Error} Naming the two times that are too close.
 */
export function assertSpaced(times: readonly number[], ms: number, what: string): void {
  for (let i = 1; i < times.length; i++) {
    // A millisecond of slack: log times are rounded, the interval is not.
    if (times[i] - times[i - 1] < ms - 1) {
      throw new Error(
        `${what}: ${times.length} in all, two of them ${times[i] - times[i - 1]} ms apart ` +
          `(at most one per ${ms} ms)`,
      );
    }
  }
}

/** Why `prlimit` (util-linux) cannot be run here, or `null` when it can. */
export function prlimitProblem(): string | null {
  try {
    return new Deno.Command("prlimit", { args: ["--version"], stdout: "null", stderr: "null" })
        .outputSync().success
      ? null
      : "prlimit --version failed";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "prlimit (util-linux) is not installed";
    throw error;
  }
}

/** muxd from source under an open-files limit of `files` (soft and hard), set by `prlimit`. */
export function underOpenFilesLimit(files: number): MuxdLauncher {
  return {
    program: "prlimit",
    args: [`--nofile=${files}`, "deno", "run", ...SERVE_PERMISSIONS, MAIN],
  };
}
