/**
 * The servers the load benchmark compares, each started on loopback by the
 * benchmark itself and stopped at the end: muxd (logs on and off), the
 * benchmark's own C reference server, xinetd's internal echo, socat, ncat
 * and a plain Node server. One that is not installed is skipped, with why.
 *
 * @module
 */

import type { CPrograms } from "./c_client.ts";
import {
  findProgram,
  portIsFree,
  type ServerProcess,
  spawnServer,
  waitForTcp,
  waitForUdpEcho,
} from "./spawn.ts";
import type { Target } from "./types.ts";

/** The address every server binds. */
export const HOST = "127.0.0.1";

/** What peers need from the run that starts them. */
export interface PeerEnv {
  /** A temporary folder for logs and config files. */
  readonly dir: string;
  /** The built C programs, or `null` without a C compiler. */
  readonly c: CPrograms | null;
  /** The echo server the relays forward to, or `null` outside the relay section. */
  readonly upstream: Target | null;
  /** Whether every connection of the load generator comes from 127.0.0.1 (the Deno one). */
  readonly oneSource: boolean;
}

/** A server under test, running. */
export interface RunningPeer {
  /** Where it listens. */
  readonly target: Target;
  /** The process that serves TCP (its CPU time includes the children it reaped). */
  readonly tcpPid: number;
  /** The process that serves UDP, if any. */
  readonly udpPid: number | null;
  /** Stops it and everything it forked. */
  stop(): Promise<void>;
}

/** A server the benchmark knows how to start. */
export interface Peer {
  /** A short id, unique over every section: `muxd`, `fwd-haproxy`, `exec-xinetd`. */
  readonly id: string;
  /** Its name in tables. */
  readonly label: string;
  /** How it is run, for BENCHMARKS.md. */
  readonly how: string;
  /**
   * Source addresses for the connection-rate run: 64 spreads TIME-WAIT over
   * 127.0.0.2–127.0.0.65; 0 keeps 127.0.0.1 (see xinetd).
   */
  readonly rateSources: number;
  /** Forks a process per connection (its leftovers are killed after each TCP run). */
  readonly forks: boolean;
  /** Why it cannot run here, or `null` when it can. */
  unavailable(env: PeerEnv): string | null;
  /** Starts it; `port` is free for TCP and UDP (port 0 where the server reports its own). */
  start(env: PeerEnv, port: number): Promise<RunningPeer>;
}

/**
 * The serve task's `deno run` arguments, read from deno.json so that muxd
 * runs as users run it: `["run", FLAGS..., "/abs/main.ts", "serve"]`.
 *
 * @returns The arguments after `deno`.
 */
export function serveTaskArgs(allowRun: readonly string[] = []): string[] {
  const config = JSON.parse(
    Deno.readTextFileSync(new URL("../../deno.json", import.meta.url).pathname),
  );
  const words: string[] = config.tasks.serve.split(/\s+/);
  const main = new URL("../../main.ts", import.meta.url).pathname;
  // "deno run FLAGS main.ts serve" -> ["run", FLAGS..., /abs/main.ts, "serve"]
  return words.slice(1).map((w) => {
    if (w === "main.ts") return main;
    // As the reference tells a user to run a program of their own behind exec.
    if (w.startsWith("--allow-run=") && allowRun.length > 0) return [w, ...allowRun].join(",");
    return w;
  });
}

/**
 * Starts muxd with the serve task's flags and some listeners, standard error
 * to a file, and waits for its ready record.
 *
 * @param env The run's folder.
 * @param id The peer's id, which names the log file.
 * @param args The listeners (`-l SPEC ...`) and any further options.
 * @param allowRun Programs beyond the serve task's that muxd may run (for exec).
 * @returns The running muxd; its target is the ready record's first TCP and first UDP socket.
 */
export async function startMuxd(
  env: PeerEnv,
  id: string,
  args: readonly string[],
  allowRun: readonly string[] = [],
): Promise<RunningPeer> {
  const server = await spawnServer("deno", [...serveTaskArgs(allowRun), ...args], {
    stderrFile: `${env.dir}/${id}.log`,
    waitForLine: true,
  });
  const sockets: { transport: string; port: number }[] = JSON.parse(server.firstLine!).sockets;
  const port = (transport: string) => sockets.find((s) => s.transport === transport)?.port ?? null;
  return {
    target: { host: HOST, tcpPort: port("tcp")!, udpPort: port("udp") },
    tcpPid: server.pid,
    udpPid: server.pid,
    stop: server.stop,
  };
}

function muxdPeer(
  id: string,
  label: string,
  extra: readonly string[],
  how: string,
  options = { tcp: "", udp: "" },
): Peer {
  return {
    id,
    label,
    how,
    rateSources: 64,
    forks: false,
    unavailable: () => null,
    start: (env) =>
      startMuxd(env, id, [
        "-l",
        // Default limits: the per-source ones spare loopback, where the load
        // generator is, and 1,024 per listener is more than any measure opens.
        `tcp://${HOST}:0=echo${options.tcp}`,
        "-l",
        `udp://${HOST}:0=echo${options.udp}`,
        ...extra,
      ]),
  };
}

/**
 * A server that prints "ready PORT" and serves TCP and UDP on that port.
 *
 * @param server The server, started with `waitForLine`.
 * @returns It, running.
 * @throws {Error} When its first line is not "ready PORT".
 */
export function readyLinePeer(server: ServerProcess): RunningPeer {
  const port = Number(/^ready (\d+)/.exec(server.firstLine ?? "")?.[1]);
  if (!port) throw new Error(`no "ready PORT" line: ${server.firstLine}`);
  return {
    target: { host: HOST, tcpPort: port, udpPort: port },
    tcpPid: server.pid,
    udpPid: server.pid,
    stop: server.stop,
  };
}

/**
 * Two processes, one for TCP and one for UDP, on one fixed port.
 *
 * @param tcp Starts the TCP one.
 * @param udp Starts the UDP one, or `null` for a server of TCP alone.
 * @param port The port both serve.
 * @param waitForUdp How to know that UDP is served: an echo answers (the default).
 * @returns Both, running; stopping it stops both.
 */
export async function pairPeer(
  tcp: () => Promise<ServerProcess>,
  udp: (() => Promise<ServerProcess>) | null,
  port: number,
  waitForUdp: () => Promise<void> = () => waitForUdpEcho(HOST, port),
): Promise<RunningPeer> {
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    servers.push(await tcp());
    if (udp) servers.push(await udp());
    await waitForTcp(HOST, port);
    if (udp) await waitForUdp();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    target: { host: HOST, tcpPort: port, udpPort: udp ? port : null },
    tcpPid: servers[0].pid,
    udpPid: udp ? servers[1].pid : null,
    stop,
  };
}

/**
 * Why a program cannot be run here, or `null` when it is installed.
 *
 * @param program Its name.
 * @param pkg The Debian package that installs it.
 * @returns The reason, or `null`.
 */
export const missing = (program: string, pkg: string): string | null =>
  findProgram(program) === null
    ? `${program} is not installed (Debian: apt-get install ${pkg})`
    : null;

/**
 * Starts xinetd in the foreground with some services, and waits until they answer.
 *
 * @param env The run's folder, for its config, pid file and logs.
 * @param id The peer's id, which names those files.
 * @param services The config's `service` blocks.
 * @param port The port they listen on.
 * @param udp Whether a UDP echo is among them, to wait for.
 * @returns It, running.
 */
export async function startXinetd(
  env: PeerEnv,
  id: string,
  services: string,
  port: number,
  udp: boolean,
): Promise<RunningPeer> {
  const conf = `${env.dir}/${id}.conf`;
  await Deno.writeTextFile(
    conf,
    `defaults\n{\n\tinstances = UNLIMITED\n\tper_source = UNLIMITED\n}\n` + services,
  );
  const server = await spawnServer(findProgram("xinetd")!, [
    "-dontfork",
    "-f",
    conf,
    "-pidfile",
    `${env.dir}/${id}.pid`,
    "-filelog",
    `${env.dir}/${id}.log`,
  ], { stderrFile: `${env.dir}/${id}.stderr` });
  try {
    await waitForTcp(HOST, port);
    if (udp) await waitForUdpEcho(HOST, port);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    target: { host: HOST, tcpPort: port, udpPort: udp ? port : null },
    tcpPid: server.pid,
    udpPid: udp ? server.pid : null,
    stop: server.stop,
  };
}

/**
 * A peer run from `bench/load/deno_echo.ts`, the minimal Deno server, with
 * `args` after its host.
 */
function denoEchoPeer(id: string, label: string, args: readonly string[], how: string): Peer {
  return {
    id,
    label,
    how,
    rateSources: 64,
    forks: false,
    unavailable: () => null,
    async start(env) {
      return readyLinePeer(
        await spawnServer(
          "deno",
          [
            "run",
            "--allow-net",
            "--allow-env",
            "--unstable-net",
            new URL("./deno_echo.ts", import.meta.url).pathname,
            HOST,
            ...args,
          ],
          { stderrFile: `${env.dir}/${id}.log`, waitForLine: true },
        ),
      );
    },
  };
}

/** Every echo server, muxd first: ratios in the report are to the first. */
export const PEERS: readonly Peer[] = [
  muxdPeer(
    "muxd",
    "muxd",
    [],
    "`deno task serve` flags (V8's memory reducer off among them), " +
      "`-l tcp://127.0.0.1:0=echo -l udp://127.0.0.1:0=echo` (default limits), default logging (info: one line per connection opened, " +
      "one per connection closed, one per datagram, 100 a second at most per socket name and the " +
      "rest counted in one line a second), standard error redirected to a file",
  ),
  muxdPeer(
    "muxd-every",
    "muxd, every line",
    ["--log-lines", "0"],
    "the same with `--log-lines 0`: every connection's and datagram's line written",
  ),
  muxdPeer(
    "muxd-quiet",
    "muxd, logs off",
    ["--log-level", "error"],
    "the same with `--log-level error`: no line per connection or datagram",
  ),
  muxdPeer(
    "muxd-faults",
    "muxd, latency=0",
    [],
    "the same as muxd with `?latency=0&seed=1` on the TCP listener and `?delay=0&seed=1` on the " +
      "UDP one: faults that change nothing, so every connection and datagram goes through the " +
      "fault machinery (what a configured fault costs)",
    { tcp: "?latency=0&seed=1", udp: "?delay=0&seed=1" },
  ),
  denoEchoPeer(
    "deno",
    "Deno, minimal",
    [],
    "`bench/load/deno_echo.ts`: the least a server on Deno's own APIs does, the floor under " +
      "muxd: `Deno.listen` and a read/write loop per connection whose buffer grows from 1 " +
      "to 256 KiB as muxd's does, " +
      "`Deno.listenDatagram` receiving into one buffer and sending the bytes back; no " +
      "logging, limits or bookkeeping",
  ),
  denoEchoPeer(
    "deno-logged",
    "Deno, minimal, muxd's log",
    ["--log"],
    "`bench/load/deno_echo.ts --log`: the minimal Deno server writing muxd's own log " +
      "lines (one per connection opened and closed, one per datagram) through muxd's log, as " +
      "serve sets it up, and nothing else: the floor under muxd's default logging",
  ),
  {
    id: "c",
    label: "C reference",
    how: "`bench/load/echo_server.c`, built with `cc -O2`: one thread, epoll, non-blocking, " +
      "TCP_NODELAY, one shared 64 KiB buffer",
    rateSources: 64,
    forks: false,
    unavailable: (env) => env.c === null ? "no C compiler (cc) to build it" : null,
    async start(env) {
      return readyLinePeer(
        await spawnServer(env.c!.echoServer, [HOST, "0"], {
          stderrFile: `${env.dir}/c.log`,
          waitForLine: true,
        }),
      );
    },
  },
  {
    id: "xinetd",
    label: "xinetd",
    how: "`xinetd -dontfork -f CONF -pidfile FILE -filelog FILE`, internal `echo` " +
      "(`type = INTERNAL UNLISTED`, `flags = NOLIBWRAP`, `cps = 100000 1`, instances and " +
      "per_source UNLIMITED): one forked process per TCP connection, UDP in the main process. " +
      "Its connection-rate run keeps source 127.0.0.1 (see below)",
    // xinetd's internal services call getnameinfo() on the client's address in
    // every forked child. 127.0.0.1 resolves from /etc/hosts; any other source
    // would send a DNS query off this machine.
    rateSources: 0,
    forks: true,
    unavailable() {
      const why = missing("xinetd", "xinetd");
      if (why) return why;
      const hosts = Deno.readTextFileSync("/etc/hosts");
      return /^127\.0\.0\.1\s/m.test(hosts) ? null : "127.0.0.1 is not in /etc/hosts: xinetd's " +
        "internal services would look the client's name up by DNS";
    },
    async start(env, port) {
      const service = (kind: "stream" | "dgram") => `
service echo
{
\ttype        = INTERNAL UNLISTED
\tid          = echo-${kind}
\tsocket_type = ${kind}
\tprotocol    = ${kind === "stream" ? "tcp" : "udp"}
\tport        = ${port}
\tbind        = ${HOST}
\twait        = ${kind === "stream" ? "no" : "yes"}
\tuser        = root
\tflags       = NOLIBWRAP
\tcps         = 100000 1
\tinstances   = UNLIMITED
\tper_source  = UNLIMITED
}
`;
      return await startXinetd(env, "xinetd", service("stream") + service("dgram"), port, true);
    },
  },
  {
    id: "socat",
    label: "socat",
    how: "`socat TCP-LISTEN:PORT,bind=127.0.0.1,fork,reuseaddr,backlog=4096 PIPE` and " +
      "`socat UDP-RECVFROM:PORT,bind=127.0.0.1,fork PIPE`: one forked process per TCP " +
      "connection and per datagram",
    rateSources: 64,
    forks: true,
    unavailable: () => missing("socat", "socat"),
    start(env, port) {
      const socat = findProgram("socat")!;
      return pairPeer(
        () =>
          spawnServer(socat, [
            `TCP-LISTEN:${port},bind=${HOST},fork,reuseaddr,backlog=4096`,
            "PIPE",
          ], { stderrFile: `${env.dir}/socat-tcp.log` }),
        () =>
          spawnServer(socat, [`UDP-RECVFROM:${port},bind=${HOST},fork`, "PIPE"], {
            stderrFile: `${env.dir}/socat-udp.log`,
          }),
        port,
      );
    },
  },
  {
    id: "ncat",
    label: "ncat",
    how: "`ncat -k -l 127.0.0.1 PORT -m 100000 --exec /bin/cat` and `ncat -u -k -l 127.0.0.1 " +
      "PORT --exec /bin/cat`: a forked ncat relaying to a `cat` per TCP connection; UDP " +
      "through one `cat`",
    rateSources: 64,
    forks: true,
    unavailable: () => missing("ncat", "ncat"),
    start(env, port) {
      const ncat = findProgram("ncat")!;
      return pairPeer(
        () =>
          spawnServer(ncat, [
            "-k",
            "-l",
            HOST,
            `${port}`,
            "-m",
            "100000",
            "--exec",
            "/bin/cat",
          ], { stderrFile: `${env.dir}/ncat-tcp.log` }),
        () =>
          spawnServer(ncat, ["-u", "-k", "-l", HOST, `${port}`, "--exec", "/bin/cat"], {
            stderrFile: `${env.dir}/ncat-udp.log`,
          }),
        port,
      );
    },
  },
  {
    id: "node",
    label: "Node",
    how: "`node bench/load/node_echo.mjs`: `net.createServer` with `socket.pipe(socket)`, " +
      "`dgram` replying with `send`",
    rateSources: 64,
    forks: false,
    unavailable: () => missing("node", "nodejs"),
    async start(env) {
      return readyLinePeer(
        await spawnServer(
          findProgram("node")!,
          [new URL("./node_echo.mjs", import.meta.url).pathname, HOST, "0"],
          { stderrFile: `${env.dir}/node.log`, waitForLine: true },
        ),
      );
    },
  },
];

/**
 * A port below 32768 that is free for TCP and UDP, for the servers that
 * cannot report a port of their own choosing.
 *
 * @param index The peer's place, so that peers get different ports.
 * @returns The port.
 * @throws {Error} When none of the ten tried is free.
 */
export function fixedPort(index: number): number {
  for (let port = 24000 + index * 10; port < 24010 + index * 10; port++) {
    if (portIsFree(HOST, port)) return port;
  }
  throw new Error(`no free port in ${24000 + index * 10}-${24009 + index * 10}`);
}
