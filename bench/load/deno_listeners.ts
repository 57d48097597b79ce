/**
 * The load benchmark's start-up floor: the least a Deno program does to
 * serve many listeners. It binds COUNT TCP listeners or UDP sockets on
 * 127.0.0.1 from port FIRST, starts an accept or receive loop on each, and
 * prints one ready line, `{"ready":true,"pid":…,"sockets":[…]}`, as muxd
 * does. With `--npm` it first imports one npm package (LogTape, which muxd
 * imports too), to show what Deno's npm support adds to any start.
 *
 * ```sh
 * deno run --allow-net --unstable-net bench/load/deno_listeners.ts tcp 10000 1000
 * ```
 *
 * @module
 */

const [transport, first, count, npm] = Deno.args;
if ((transport !== "tcp" && transport !== "udp") || !first || !count) {
  console.error("usage: deno_listeners.ts tcp|udp FIRST_PORT COUNT [--npm]");
  Deno.exit(2);
}
if (npm === "--npm") await import("@logtape/logtape");

const ports: number[] = [];
const loops: Promise<void>[] = [];
for (let port = Number(first); port < Number(first) + Number(count); port++) {
  if (transport === "tcp") {
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    loops.push((async () => {
      for await (const conn of listener) conn.close();
    })());
  } else {
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
    const buffer = new Uint8Array(2048);
    loops.push((async () => {
      for (;;) await socket.receive(buffer);
    })());
  }
  ports.push(port);
}
console.log(JSON.stringify({ ready: true, pid: Deno.pid, sockets: ports }));
await Promise.all(loops);
