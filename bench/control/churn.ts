/**
 * Adds N listeners through the control API, one call each, then removes
 * them, in this process, round after round, and reports what it cost: open
 * file descriptors (from /proc/self/fd), resident memory and the JS heap
 * after a GC, before the first round (after a warm-up round), after the
 * first and after the last.
 *
 * @module
 */

import { start } from "../../mod.ts";
import { serveControl } from "../../lib/control/mod.ts";

/** Memory at one moment, in bytes. */
export interface Memory {
  /** RSS after full GCs: what V8 keeps for the next burst (young generation, pooled pages) included. */
  readonly rssKept: number;
  /** RSS after V8's last-resort GC, which also gives back what it kept. */
  readonly rss: number;
  /** RSS after that GC and glibc's `malloc_trim(0)`, which gives back what malloc keeps free; `null` without glibc. */
  readonly rssTrimmed: number | null;
  /** Of `rss`, the pages mapped from files: the deno executable's code, read in as it first runs. */
  readonly rssFile: number;
  /** JS heap used after the last-resort GC. */
  readonly heap: number;
}

/** RssFile from /proc/self/status, in bytes. */
function rssFile(): number {
  const line = Deno.readTextFileSync("/proc/self/status").match(/^RssFile:\s+(\d+) kB$/m);
  if (line === null) throw new Error("/proc/self/status has no RssFile line");
  return Number(line[1]) * 1024;
}

/** What one churn run measured. */
export interface ChurnResult {
  /** Listeners added and removed in each round. */
  readonly listeners: number;
  readonly rounds: number;
  readonly fdsBefore: number;
  readonly fdsAfter: number;
  /** After the warm-up round. */
  readonly before: Memory;
  /** After the first round. */
  readonly afterOne: Memory;
  /** After the last round. */
  readonly afterAll: Memory;
  /** The first round's adds and removes. */
  readonly addMs: number;
  readonly removeMs: number;
}

function fds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

function fdList(): string[] {
  return [...Deno.readDirSync("/proc/self/fd")].map((e) => {
    try {
      return Deno.readLinkSync(`/proc/self/fd/${e.name}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return "gone";
    }
  });
}

/** glibc's malloc_trim(0), or `null` where libc.so.6 is not glibc or cannot be opened. */
function mallocTrim(): (() => void) | null {
  if (Deno.build.os !== "linux") return null;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
    });
    return () => void libc.symbols.malloc_trim(0n);
  } catch (error) {
    console.log(`no malloc_trim figures: ${error instanceof Error ? error.message : error}`);
    return null;
  }
}

type Gc = (options?: { type: "major"; flavor: "last-resort" }) => void;

function settle(trim: (() => void) | null): Memory {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  for (let i = 0; i < 5; i++) gc();
  const rssKept = Deno.memoryUsage().rss;
  // What V8's memory reducer does after a while without work (muxd turns it
  // off for speed): shrink the young generation, unmap pooled pages.
  gc({ type: "major", flavor: "last-resort" });
  const { rss, heapUsed } = Deno.memoryUsage();
  const file = rssFile();
  trim?.();
  const rssTrimmed = trim === null ? null : Deno.memoryUsage().rss;
  return { rssKept, rss, rssTrimmed, rssFile: file, heap: heapUsed };
}

async function churn(
  call: (m: string, p: string, b?: unknown) => Promise<Response>,
  n: number,
): Promise<{ addMs: number; removeMs: number }> {
  const ids: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const spec = i % 2 === 0 ? "tcp://127.0.0.1:0=echo" : "udp://127.0.0.1:0=echo";
    const response = await call("POST", "/v1/listeners", spec);
    if (response.status !== 201) {
      throw new Error(`POST: ${response.status} ${await response.text()}`);
    }
    ids.push((await response.json()).listeners[0].id);
  }
  const t1 = performance.now();
  for (const id of ids) {
    const response = await call("DELETE", `/v1/listeners/${id}`);
    if (response.status !== 200) throw new Error(`DELETE: ${response.status}`);
    await response.body?.cancel();
  }
  return { addMs: t1 - t0, removeMs: performance.now() - t1 };
}

/**
 * Runs the churn: a warm-up round of a tenth of `n` first, so that the
 * start figures include what the first round allocates once (compiled code,
 * pools), then `rounds` rounds of `n`.
 *
 * @param n How many listeners to add and remove in each round.
 * @param rounds How many rounds.
 * @returns The figures.
 */
export async function runChurn(n: number, rounds: number): Promise<ChurnResult> {
  await using server = await start();
  await using control = serveControl(server, {
    hostname: "127.0.0.1",
    port: 0,
    // Kept-alive client connections close soon after the last call, so that
    // the counts before and after hold no HTTP connection.
    idleTimeoutMs: 200,
  });
  const idle = () => new Promise((r) => setTimeout(r, 1500));
  const call = (method: string, path: string, body?: unknown) =>
    fetch(new URL(path, control.url), {
      method,
      headers: { authorization: `Bearer ${control.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const trim = mallocTrim();
  await churn(call, Math.max(10, Math.round(n / 10)));
  await idle();
  const fdsBefore = fds();
  if (Deno.env.get("MUXD_BENCH_FDS")) console.log(fdList());
  const before = settle(trim);
  const { addMs, removeMs } = await churn(call, n);
  await idle();
  const afterOne = settle(trim);
  for (let i = 1; i < rounds; i++) await churn(call, n);
  await idle();
  const afterAll = settle(trim);
  const fdsAfter = fds();
  if (Deno.env.get("MUXD_BENCH_FDS")) console.log(fdList());
  return { listeners: n, rounds, fdsBefore, fdsAfter, before, afterOne, afterAll, addMs, removeMs };
}
