/**
 * The control API's latency while echo runs at full load: muxd runs in a
 * child process with the control API; another child keeps K TCP echo
 * connections busy (bounded in time and in round trips); this process calls
 * the API meanwhile and records each call's time.
 *
 * @module
 */

import { SERVE_PERMISSIONS } from "../../tests/_support/process.ts";

/** What one latency run measured. */
export interface LatencyResult {
  readonly calls: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly echoRoundTrips: number;
}

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const LOAD = new URL("./echo_load.ts", import.meta.url).pathname;

/**
 * Runs the measurement.
 *
 * @param seconds How long the load runs.
 * @param connections How many echo connections the load keeps busy.
 * @returns The percentiles, in milliseconds.
 */
export async function runLatency(seconds: number, connections: number): Promise<LatencyResult> {
  const dir = await Deno.makeTempDir({ prefix: "muxd-bench-control-" });
  const readyFile = `${dir}/ready.json`;
  const muxd = new Deno.Command("deno", {
    args: [
      "run",
      ...SERVE_PERMISSIONS,
      MAIN,
      "serve",
      "-l",
      "tcp://127.0.0.1:0=echo",
      "-l",
      "udp://127.0.0.1:0=echo",
      "--control",
      "127.0.0.1:0",
      "--ready-file",
      readyFile,
      "--log-level",
      "warning",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    while (true) {
      try {
        const text = await Deno.readTextFile(readyFile);
        if (text.endsWith("\n")) break;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const ready = JSON.parse(await Deno.readTextFile(readyFile));
    const echo = ready.sockets.find((s: { transport: string }) => s.transport === "tcp");
    const udp = ready.sockets.find((s: { transport: string }) => s.transport === "udp");
    const load = new Deno.Command("deno", {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        LOAD,
        String(echo.port),
        String(connections),
        String(seconds),
      ],
      stdout: "piped",
    }).spawn();
    const headers = { authorization: `Bearer ${ready.control.token}` };
    const url = ready.control.url;
    const times: number[] = [];
    // Let the load reach its pace.
    await new Promise((r) => setTimeout(r, 300));
    const end = performance.now() + (seconds - 0.6) * 1000;
    for (let i = 0; performance.now() < end && i < 100_000; i++) {
      const t0 = performance.now();
      let response: Response;
      if (i % 3 === 0) {
        response = await fetch(`${url}v1/listeners`, { headers });
      } else {
        response = await fetch(`${url}v1/listeners/${udp.id}/faults`, {
          method: i % 3 === 1 ? "PUT" : "DELETE",
          headers,
          body: i % 3 === 1 ? JSON.stringify("drop=0.5") : undefined,
        });
      }
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`control API: ${response.status}`);
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
    const out = await load.output();
    const echoRoundTrips = Number(new TextDecoder().decode(out.stdout).trim());
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    return { calls: times.length, p50: at(0.5), p99: at(0.99), max: times.at(-1)!, echoRoundTrips };
  } finally {
    muxd.kill("SIGTERM");
    await muxd.status;
    await Deno.remove(dir, { recursive: true });
  }
}
