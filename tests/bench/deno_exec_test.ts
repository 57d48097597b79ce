import assert from "node:assert/strict";
import { readFirstLine } from "../_support/process.ts";

const bench = (name: string) => new URL(`../../bench/load/${name}`, import.meta.url).pathname;

/**
 * Sends `bytes` on a new connection, half-closes, and reads until the server
 * closes, or for 10 s at most: a server that never ends the connection fails
 * the comparison, not the test run.
 */
async function roundTrip(port: number, bytes: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const deadline = setTimeout(() => conn.close(), 10_000);
  try {
    const reading = new Response(conn.readable).bytes().catch(() => new Uint8Array(0));
    for (let written = 0; written < bytes.length;) {
      written += await conn.write(bytes.subarray(written));
    }
    await conn.closeWrite();
    return await reading;
  } finally {
    clearTimeout(deadline);
  }
}

/**
 * Starts one of the benchmark's Deno exec servers, running `cat`, and checks
 * that 300 KB and a short line, on two connections at once, come back whole
 * and that each connection then ends.
 */
async function checkExecServer(flags: string[], args: string[]): Promise<void> {
  const server = new Deno.Command("deno", {
    args: ["run", "--allow-net=127.0.0.1", "--allow-run=/bin/cat", ...flags, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const ready = await readFirstLine(out);
    const port = Number(/^ready (\d+)$/.exec(ready)?.[1]);
    assert.ok(port > 0, `no "ready PORT" line: ${ready}`);
    // Larger than a pipe's buffer (64 KiB), so both pipes must be drained as they fill.
    const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const [one, two] = await Promise.all([
      roundTrip(port, big),
      roundTrip(port, new TextEncoder().encode("two\n")),
    ]);
    // Compared by hand: assert's diff of two large arrays takes minutes.
    const differs = one.findIndex((byte, i) => byte !== big[i]);
    assert.ok(
      one.length === big.length && differs === -1,
      `${one.length} of ${big.length} bytes came back, the first wrong one at ${differs}`,
    );
    assert.equal(new TextDecoder().decode(two), "two\n");
  } finally {
    server.kill();
    await out.cancel();
    await server.status;
  }
}

Deno.test("bench/load/deno_exec.ts runs cat per connection: every byte comes back, then the connection ends", async () => {
  await checkExecServer([], [bench("deno_exec.ts"), "127.0.0.1", "/bin/cat"]);
});

Deno.test("bench/load/deno_exec_threads.ts, on 2 threads: every byte comes back, then the connection ends", async () => {
  await checkExecServer(
    ["--unstable-net", `--allow-read=${bench("../../")}`],
    [bench("deno_exec_threads.ts"), "127.0.0.1", "/bin/cat", "2"],
  );
});
