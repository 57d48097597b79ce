/**
 * The relays the load benchmark compares: each listens on loopback and
 * forwards every TCP connection and UDP datagram to one upstream echo server
 * (the C reference, fast enough that the relay is the bottleneck), so that
 * the echo measures and their checks apply unchanged through it. muxd's
 * `forward`, the minimal Deno relay under it, HAProxy, nginx's stream
 * module, socat, ncat and a plain Node relay.
 *
 * @module
 */

import {
  findProgram,
  type ServerProcess,
  spawnServer,
  waitForTcp,
  waitForUdpEcho,
} from "./spawn.ts";
import {
  HOST,
  missing,
  pairPeer,
  type Peer,
  type PeerEnv,
  readyLinePeer,
  type RunningPeer,
  startMuxd,
} from "./peers.ts";
import type { Target } from "./types.ts";

/** Where nginx's stream module lives in Debian's package. */
const NGINX_STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so";

function upstreamOf(env: PeerEnv): Target {
  if (env.upstream === null) throw new Error("the relay section runs without an upstream");
  return env.upstream;
}

/** `127.0.0.1:PORT` of the upstream's TCP or UDP side. */
function upstreamName(env: PeerEnv, udp = false): string {
  const up = upstreamOf(env);
  return `${up.host}:${udp ? up.udpPort : up.tcpPort}`;
}

/** A single process serving both transports on one port, known once it answers. */
async function singlePeer(server: ServerProcess, port: number, udp: boolean): Promise<RunningPeer> {
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

/** Every relay, muxd's forward first: ratios in the report are to the first. */
export const RELAY_PEERS: readonly Peer[] = [
  {
    id: "fwd-muxd",
    label: "muxd forward",
    how: "`deno task serve` flags, `-l tcp://127.0.0.1:0=forward?to=UPSTREAM " +
      "-l udp://127.0.0.1:0=forward?to=UPSTREAM` (default limits and options), default " +
      "logging (a line per connection opened, upstream connected and closed; per datagram " +
      "and per UDP session), standard error redirected to a file",
    rateSources: 64,
    forks: false,
    unavailable: () => null,
    start: (env) =>
      startMuxd(env, "fwd-muxd", [
        "-l",
        `tcp://${HOST}:0=forward?to=${upstreamName(env)}`,
        "-l",
        `udp://${HOST}:0=forward?to=${upstreamName(env, true)}`,
      ]),
  },
  {
    id: "fwd-deno",
    label: "Deno, minimal",
    how: "`bench/load/deno_relay.ts`: the floor under muxd's forward: per connection " +
      "`Deno.connect` and a read/write loop each way through muxd's `ChunkReader`, a " +
      "half-close passed on; UDP, one upstream socket per client socket name; no logging, " +
      "limits, guards or idle timeouts",
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
            "--unstable-net",
            new URL("./deno_relay.ts", import.meta.url).pathname,
            HOST,
            `${upstreamOf(env).tcpPort}`,
          ],
          { stderrFile: `${env.dir}/fwd-deno.log`, waitForLine: true },
        ),
      );
    },
  },
  {
    id: "fwd-haproxy",
    label: "HAProxy",
    how: "`haproxy -db -f CONF`, Debian's package, `mode tcp`, one frontend and one backend " +
      "server, `maxconn 8000` (two descriptors a connection, within the open-files limit), no logging, its default threads (one per CPU). TCP only: " +
      "HAProxy has no UDP proxying (its UDP is QUIC and syslog)",
    rateSources: 64,
    forks: false,
    unavailable: () => missing("haproxy", "haproxy"),
    async start(env, port) {
      const conf = `${env.dir}/haproxy.cfg`;
      await Deno.writeTextFile(
        conf,
        [
          "global",
          "  maxconn 8000",
          "defaults",
          "  mode tcp",
          "  timeout connect 5s",
          "  timeout client 30s",
          "  timeout server 30s",
          "frontend relay",
          `  bind ${HOST}:${port}`,
          "  backlog 4096",
          "  default_backend upstream",
          "backend upstream",
          `  server echo ${upstreamName(env)}`,
          "",
        ].join("\n"),
      );
      const server = await spawnServer(findProgram("haproxy")!, ["-db", "-f", conf], {
        stderrFile: `${env.dir}/haproxy.log`,
      });
      return await singlePeer(server, port, false);
    },
  },
  {
    id: "fwd-nginx",
    label: "nginx stream",
    how: "`nginx -e LOG -c CONF -g 'daemon off;'`, Debian's package with its stream module " +
      "(`libnginx-mod-stream`), `worker_processes auto` (one per CPU, as Debian's own " +
      "config), a TCP and a UDP `server` with `proxy_pass UPSTREAM`, `proxy_timeout 30s`, " +
      "no access log",
    rateSources: 64,
    forks: false,
    unavailable() {
      const why = missing("nginx", "nginx-light");
      if (why) return why;
      try {
        Deno.statSync(NGINX_STREAM_MODULE);
        return null;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        return `nginx's stream module is not installed (${NGINX_STREAM_MODULE}; Debian: ` +
          "apt-get install libnginx-mod-stream)";
      }
    },
    async start(env, port) {
      const conf = `${env.dir}/nginx.conf`;
      await Deno.writeTextFile(
        conf,
        [
          `load_module ${NGINX_STREAM_MODULE};`,
          "worker_processes auto;",
          `pid ${env.dir}/nginx.pid;`,
          `error_log ${env.dir}/nginx-error.log warn;`,
          "events { worker_connections 20000; }",
          "stream {",
          "  server {",
          `    listen ${HOST}:${port} backlog=4096;`,
          `    proxy_pass ${upstreamName(env)};`,
          "    proxy_timeout 30s;",
          "  }",
          "  server {",
          `    listen ${HOST}:${port} udp;`,
          `    proxy_pass ${upstreamName(env, true)};`,
          "    proxy_timeout 30s;",
          "  }",
          "}",
          "",
        ].join("\n"),
      );
      const server = await spawnServer(
        findProgram("nginx")!,
        ["-e", `${env.dir}/nginx-error.log`, "-c", conf, "-g", "daemon off;"],
        { stderrFile: `${env.dir}/nginx.stderr` },
      );
      return await singlePeer(server, port, true);
    },
  },
  {
    id: "fwd-socat",
    label: "socat",
    how: "`socat TCP-LISTEN:PORT,bind=127.0.0.1,fork,reuseaddr,backlog=4096 TCP:UPSTREAM` and " +
      "`socat -T 30 UDP-LISTEN:PORT,bind=127.0.0.1,fork,reuseaddr UDP:UPSTREAM`: one forked process " +
      "per TCP connection, and per UDP client socket name (the child takes that client's " +
      "datagrams from then on, and ends after 30 s without one)",
    rateSources: 64,
    forks: true,
    unavailable: () => missing("socat", "socat"),
    start(env, port) {
      const socat = findProgram("socat")!;
      return pairPeer(
        () =>
          spawnServer(socat, [
            `TCP-LISTEN:${port},bind=${HOST},fork,reuseaddr,backlog=4096`,
            `TCP:${upstreamName(env)}`,
          ], { stderrFile: `${env.dir}/fwd-socat-tcp.log` }),
        () =>
          spawnServer(socat, [
            // A child ends after 30 s without a datagram, as muxd's sessions do.
            "-T",
            "30",
            `UDP-LISTEN:${port},bind=${HOST},fork,reuseaddr`,
            `UDP:${upstreamName(env, true)}`,
          ], { stderrFile: `${env.dir}/fwd-socat-udp.log` }),
        port,
      );
    },
  },
  {
    id: "fwd-ncat",
    label: "ncat",
    how: "`ncat -k -l 127.0.0.1 PORT -m 100000 --sh-exec 'exec ncat HOST UPORT'` and the same " +
      "with `-u` on both sides: a forked ncat per TCP connection, running a second ncat to the " +
      "upstream; UDP through one such pair (a pipe, which keeps no datagram boundaries)",
    rateSources: 64,
    forks: true,
    unavailable: () => missing("ncat", "ncat"),
    start(env, port) {
      const ncat = findProgram("ncat")!;
      const up = upstreamOf(env);
      return pairPeer(
        () =>
          spawnServer(ncat, [
            "-k",
            "-l",
            HOST,
            `${port}`,
            "-m",
            "100000",
            "--sh-exec",
            `exec ${ncat} ${up.host} ${up.tcpPort}`,
          ], { stderrFile: `${env.dir}/fwd-ncat-tcp.log` }),
        () =>
          spawnServer(ncat, [
            "-u",
            "-k",
            "-l",
            HOST,
            `${port}`,
            "--sh-exec",
            `exec ${ncat} -u ${up.host} ${up.udpPort}`,
          ], { stderrFile: `${env.dir}/fwd-ncat-udp.log` }),
        port,
      );
    },
  },
  {
    id: "fwd-node",
    label: "Node",
    how: "`node bench/load/node_relay.mjs`: `net.createServer` and `net.connect` with " +
      "`pipe()` each way (half-close passed on); `dgram` with one upstream socket per client " +
      "socket name",
    rateSources: 64,
    forks: false,
    unavailable: () => missing("node", "nodejs"),
    async start(env) {
      const up = upstreamOf(env);
      return readyLinePeer(
        await spawnServer(
          findProgram("node")!,
          [
            new URL("./node_relay.mjs", import.meta.url).pathname,
            HOST,
            "0",
            up.host,
            `${up.tcpPort}`,
          ],
          { stderrFile: `${env.dir}/fwd-node.log`, waitForLine: true },
        ),
      );
    },
  },
];
