/**
 * The load benchmark's start-up floor: the least a Deno program does to
 * serve many listeners. It binds COUNT TCP listeners or UDP sockets on
 * 127.0.0.1 from port FIRST, starts an accept or receive loop on each, and
 * prints one ready line, `{"ready":true,"pid":…,"sockets":[…]}`, as muxd
 * does.
 *
 * With `--libraries` it first does what any program on muxd's libraries
 * does before its own work: it parses its command line with optique and
 * sets up logging with LogTape (both from npm). That is the floor for muxd,
 * which must use them: what the runtime, npm support and those two
 * libraries cost before a line of muxd runs.
 *
 * ```sh
 * deno run --allow-net --unstable-net bench/load/deno_listeners.ts tcp 10000 1000
 * deno run --allow-net --unstable-net bench/load/deno_listeners.ts tcp 10000 1000 --libraries
 * ```
 *
 * @module
 */

/** What to bind. */
interface Args {
  readonly transport: "tcp" | "udp";
  readonly first: number;
  readonly count: number;
}

const USAGE = "usage: deno_listeners.ts tcp|udp FIRST_PORT COUNT [--libraries]";

/** The arguments, read by hand: no library is loaded for the plain floor. */
function plainArgs(args: readonly string[]): Args | null {
  const [transport, first, count] = args;
  if ((transport !== "tcp" && transport !== "udp") || !first || !count) return null;
  return { transport, first: Number(first), count: Number(count) };
}

/** The arguments, read with optique, after LogTape is set up as muxd sets it up. */
async function argsWithLibraries(args: readonly string[]): Promise<Args | null> {
  const [{ object, tuple }, { argument, flag }, { choice, integer }, { parseSync }, logtape] =
    await Promise.all([
      import("@optique/core/constructs"),
      import("@optique/core/primitives"),
      import("@optique/core/valueparser"),
      import("@optique/core/parser"),
      import("@logtape/logtape"),
    ]);
  await logtape.configure({
    sinks: { stderr: logtape.getStreamSink(Deno.stderr.writable) },
    loggers: [
      { category: ["floor"], lowestLevel: "info", sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
  const parser = object({
    where: tuple([
      argument(choice(["tcp", "udp"] as const)),
      argument(integer({ min: 1, max: 65535 })),
      argument(integer({ min: 1, max: 65535 })),
    ]),
    libraries: flag("--libraries"),
  });
  const parsed = parseSync(parser, [...args]);
  if (!parsed.success) return null;
  const [transport, first, count] = parsed.value.where;
  logtape.getLogger(["floor"]).debug("binding {count} listeners", { count });
  return { transport, first, count };
}

const args = Deno.args.includes("--libraries")
  ? await argsWithLibraries(Deno.args)
  : plainArgs(Deno.args);
if (args === null) {
  console.error(USAGE);
  Deno.exit(2);
}

const ports: number[] = [];
const loops: Promise<void>[] = [];
for (let port = args.first; port < args.first + args.count; port++) {
  if (args.transport === "tcp") {
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
