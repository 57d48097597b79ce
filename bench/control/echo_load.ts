/**
 * Echo load for the control API's latency bench: K connections to a TCP
 * echo port, each writing 16 KiB and reading it back as fast as it can,
 * until the time is up or 10 million round trips; prints the round trips.
 *
 * Usage: deno run --allow-net=127.0.0.1 echo_load.ts PORT K SECONDS
 *
 * @module
 */

const [port, k, seconds] = Deno.args.map(Number);
const end = performance.now() + seconds * 1000;
const payload = new Uint8Array(16 * 1024).fill(120);
let trips = 0;

async function client(): Promise<void> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buffer = new Uint8Array(payload.length);
  while (performance.now() < end && trips < 10_000_000) {
    await conn.write(payload);
    for (let got = 0; got < payload.length;) {
      const n = await conn.read(buffer.subarray(got));
      if (n === null) return;
      got += n;
    }
    trips++;
  }
}

await Promise.all(Array.from({ length: k }, client));
console.log(trips);
