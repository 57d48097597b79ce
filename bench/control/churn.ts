/**
 * Adds N listeners through the control API, one call each, then removes
 * them, in this process, and reports what it cost: open file descriptors
 * (from /proc/self/fd) and resident memory after a full GC, before and after.
 *
 * @module
 */

import { start } from "../../mod.ts";
import { serveControl } from "../../lib/control/mod.ts";

/** What one churn run measured. */
export interface ChurnResult {
  readonly listeners: number;
  readonly fdsBefore: number;
  readonly fdsAfter: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
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

function settle(): { rss: number; heap: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  for (let i = 0; i < 5; i++) gc();
  const { rss, heapUsed } = Deno.memoryUsage();
  return { rss, heap: heapUsed };
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
 * pools).
 *
 * @param n How many listeners to add and remove.
 * @returns The figures.
 */
export async function runChurn(n: number): Promise<ChurnResult> {
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
  await churn(call, Math.max(10, Math.round(n / 10)));
  await idle();
  const fdsBefore = fds();
  if (Deno.env.get("MUXD_BENCH_FDS")) console.log(fdList());
  const before = settle();
  const { addMs, removeMs } = await churn(call, n);
  await idle();
  const after = settle();
  const fdsAfter = fds();
  if (Deno.env.get("MUXD_BENCH_FDS")) console.log(fdList());
  return {
    listeners: n,
    fdsBefore,
    fdsAfter,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heap,
    heapAfter: after.heap,
    addMs,
    removeMs,
  };
}
