import assert from "node:assert/strict";
import { readFirstLine } from "../_support/process.ts";
import { readToEnd, udpRoundTrip } from "../_support/socket.ts";
import { waitUntil } from "../_support/wait.ts";

const DENO_ECHO = new URL("../../bench/load/deno_echo.ts", import.meta.url).pathname;

/**
 * Starts the load benchmark's minimal Deno server (`args` after its host),
 * echoes a TCP connection and a datagram through it, and gives back what it
 * wrote on standard error meanwhile.
 */
async function echoThrough(args: string[]): Promise<string> {
  const server = new Deno.Command("deno", {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--unstable-net",
      DENO_ECHO,
      "127.0.0.1",
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  const logged = server.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (log += chunk) }),
  );
  try {
    const port = Number(/^ready (\d+)$/.exec(await readFirstLine(out))?.[1]);
    assert.ok(port > 0);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("hello"));
    await conn.closeWrite();
    assert.equal(new TextDecoder().decode(await readToEnd(conn)), "hello");
    conn.close();
    const reply = await udpRoundTrip(port, new TextEncoder().encode("ping"));
    assert.equal(reply && new TextDecoder().decode(reply), "ping");
    if (args.includes("--log")) {
      await waitUntil(() => log.includes("udp "), 5000, "the datagram's line");
    } else await new Promise((resolve) => setTimeout(resolve, 100));
    return log;
  } finally {
    server.kill();
    await out.cancel();
    await server.status;
    await logged;
  }
}

Deno.test("bench deno_echo.ts --log writes muxd's lines for a connection and a datagram, and echoes them", async () => {
  const log = await echoThrough(["--log"]);
  assert.match(log, /INF tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ -> echo\n/);
  assert.match(
    log,
    /INF tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ closed after \d+ ms: 5 B in, 5 B out\n/,
  );
  assert.match(log, /INF udp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ -> echo \(4 B\)\n/);
});

Deno.test("bench deno_echo.ts without --log, the floor, writes nothing", async () => {
  assert.equal(await echoThrough([]), "");
});
