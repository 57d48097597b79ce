/**
 * Memory returns to its floor after a burst. Each connection once kept the
 * largest read buffer it had grown (256 KiB) until it closed: 1,000 echo and
 * 1,000 discard connections that each pushed 2 MiB and went idle held about
 * 280 KiB each. Now a connection waits with 1 KiB and borrows a large buffer
 * from the server's pool only while data keeps coming.
 *
 * The figure itself (target: 32 KiB a connection, by RSS) is printed; the
 * assertion is a bound twice that, which the old code broke by far.
 */

import assert from "node:assert/strict";
import { startMuxd } from "../_support/process.ts";
import { closeQuietly } from "../_support/socket.ts";
import { withTimeout } from "../_support/wait.ts";

/** Connections per service, and bytes each pushes. */
const CONNECTIONS = 1000;
const BURST = 2 * 1024 * 1024;

/** The resident memory of a process, in KiB, from `ps` (Deno reads /proc only with --allow-all). */
async function rssKiB(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stdout: "piped",
  })
    .output();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

/** Pushes the burst through one connection (reading it back from echo) and leaves it open. */
async function burst(port: number, echo: boolean, chunk: Uint8Array): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reading = echo
    ? (async () => {
      const buffer = new Uint8Array(256 * 1024);
      for (let got = 0; got < BURST;) {
        const n = await conn.read(buffer);
        if (n === null) throw new Error("echo closed the connection mid-burst");
        got += n;
      }
    })()
    : Promise.resolve();
  for (let sent = 0; sent < BURST; sent += chunk.length) {
    for (let at = 0; at < chunk.length;) at += await conn.write(chunk.subarray(at));
  }
  await reading;
  return conn;
}

Deno.test("muxd serve gives back the memory of a burst: 2,000 connections idle after 2 MiB each", async () => {
  await using muxd = await startMuxd([
    "serve",
    "--log-level",
    "warning",
    "-l",
    `tcp://127.0.0.1:0=echo?max-conns=${CONNECTIONS}`,
    "-l",
    `tcp://127.0.0.1:0=discard?max-conns=${CONNECTIONS}`,
  ]);
  const pid = muxd.ready.pid;
  const before = await rssKiB(pid);
  const chunk = new Uint8Array(64 * 1024).fill(0x78);
  const conns: Deno.TcpConn[] = [];
  try {
    await withTimeout(
      (async () => {
        // 50 at a time, half of them echo, half discard.
        for (let i = 0; i < 2 * CONNECTIONS; i += 50) {
          conns.push(
            ...await Promise.all(
              Array.from({ length: 50 }, (_, k) => burst(muxd.port(k % 2), k % 2 === 0, chunk)),
            ),
          );
        }
      })(),
      120_000,
      "2,000 bursts of 2 MiB",
    );
    const after = await rssKiB(pid);
    const perConnection = (after - before) / conns.length;
    console.log(
      `RSS ${before} -> ${after} KiB with ${conns.length} idle connections: ` +
        `${perConnection.toFixed(1)} KiB a connection`,
    );
    assert.ok(perConnection < 64, `${perConnection.toFixed(1)} KiB a connection after the bursts`);
  } finally {
    for (const conn of conns) closeQuietly(conn);
  }
});
