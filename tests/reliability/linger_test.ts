/**
 * Replies survive the close. A one-shot service (daytime, qotd, time, banner,
 * whoami) is done before it reads what the client sent; closing a socket with
 * unread bytes makes Linux send a reset after the reply, and a client that
 * sees the reset before it reads (OpenBSD nc does) loses the reply. muxd
 * half-closes, reads and drops what the client still sends until its end of
 * stream (or a short linger), and only then closes.
 */

import assert from "node:assert/strict";
import { startMuxd } from "../_support/process.ts";
import { sleep, withTimeout } from "../_support/wait.ts";

/** How one try ended, from the client's side (see late_reader.py). */
interface Try {
  readonly bytes: number;
  readonly end: "eof" | "reset";
  /** SO_ERROR after the wait: 32 (EPIPE) once a reset has arrived. */
  readonly soError: number;
  /** Whether poll() reported POLLERR after the wait. */
  readonly pollerr: boolean;
}

const LATE_READER = new URL("./late_reader.py", import.meta.url).pathname;

/**
 * Runs late_reader.py: `tries` connections that each send a few bytes (and
 * half-close when asked), wait 50 ms without reading, then read to the end.
 */
async function readLate(port: number, tries: number, halfClose: boolean): Promise<Try[]> {
  const out = await new Deno.Command("python3", {
    args: [LATE_READER, String(port), String(tries), halfClose ? "1" : "0"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `late_reader.py failed:\n${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const SERVICES = [
  { spec: "daytime", bytes: (n: number) => n >= 30, halfClose: false },
  { spec: "qotd", bytes: (n: number) => n > 0, halfClose: false },
  { spec: "time", bytes: (n: number) => n === 4, halfClose: false },
  { spec: "banner", bytes: (n: number) => n === "Connection received\n".length, halfClose: false },
  { spec: "whoami", bytes: (n: number) => n > 50, halfClose: false },
  {
    spec: "size",
    bytes: (n: number) => n === "Your data was 6 bytes long".length,
    halfClose: true,
  },
] as const;

Deno.test("muxd serve delivers every one-shot reply whole, then a clean end of stream, to a client that reads late", async () => {
  await using muxd = await startMuxd([
    "serve",
    ...SERVICES.flatMap((s) => ["-l", `tcp://127.0.0.1:0=${s.spec}`]),
  ]);
  // The services run side by side; each gets its 40 tries one after another.
  await Promise.all(SERVICES.map(async (service, i) => {
    const tries = await withTimeout(
      readLate(muxd.port(i), 40, service.halfClose),
      20_000,
      `40 tries of ${service.spec}`,
    );
    const bad = tries.filter((t) =>
      t.end !== "eof" || t.soError !== 0 || t.pollerr || !service.bytes(t.bytes)
    );
    assert.deepEqual(
      bad,
      [],
      `${service.spec}: ${bad.length} of 40 tries lost the reply or were reset`,
    );
  }));
});

Deno.test("muxd serve closes a one-shot connection whose client never ends its side, after the linger", async () => {
  await using muxd = await startMuxd(["serve", "-l", "tcp://127.0.0.1:0=banner"]);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  const started = performance.now();
  // The client keeps its side open and trickles bytes, never reaching the
  // linger's byte bound: only its time bound can end the connection.
  let closedAfter = Infinity;
  const writing = (async () => {
    try {
      while (performance.now() - started < 8000) {
        await conn.write(new Uint8Array(1));
        await sleep(50);
      }
    } catch (error) {
      if (
        !(error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset)
      ) {
        throw error;
      }
      closedAfter = performance.now() - started;
    }
  })();
  await writing;
  assert.ok(closedAfter < 5000, `muxd still held the lingering connection after 8 s`);
  await muxd.waitForStderr(/closed after \d+ ms/);
});

Deno.test("muxd serve stops lingering once a client sends more than the linger's byte bound", async () => {
  await using muxd = await startMuxd(["serve", "-l", "tcp://127.0.0.1:0=banner"]);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: muxd.port(0) });
  // 16 MiB, far past the bound, as fast as the connection takes it.
  const chunk = new Uint8Array(64 * 1024);
  let sent = 0;
  await withTimeout(
    (async () => {
      try {
        for (; sent < 16 * 1024 * 1024; sent += chunk.length) await conn.write(chunk);
      } catch (error) {
        if (
          !(error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset)
        ) throw error;
      }
    })(),
    5000,
    "muxd closing a connection that floods it while lingering",
  );
  assert.ok(sent < 16 * 1024 * 1024, "muxd took 16 MiB while lingering");
});
