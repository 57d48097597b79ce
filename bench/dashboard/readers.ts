/**
 * Browsers for `bench/dashboard/main.ts`: `N` event streams on the
 * dashboard at `URL`, each read as it comes and dropped. Prints `ready`
 * once every stream has sent its first bytes; runs until killed.
 *
 * ```sh
 * deno run --allow-net bench/dashboard/readers.ts http://127.0.0.1:7080/ 64
 * ```
 *
 * @module
 */

const url = new URL(Deno.args[0]);
const count = Number(Deno.args[1]);
const request = new TextEncoder().encode(
  `GET /api/events HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`,
);

async function stream(): Promise<{ first: Promise<void> }> {
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  await conn.write(request);
  const buffer = new Uint8Array(16 * 1024);
  let firstRead!: () => void;
  const first = new Promise<void>((resolve) => firstRead = resolve);
  (async () => {
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) firstRead();
    console.error("a stream ended");
  })();
  return { first };
}

const streams = [];
for (let i = 0; i < count; i++) streams.push(await stream());
await Promise.all(streams.map((s) => s.first));
console.log("ready");
