/**
 * The servers that run a program per connection, compared in the load
 * benchmark's "Programs behind a port" section: muxd's `exec`, xinetd, socat
 * `EXEC:` and `ncat --exec`, each running the same program, `/bin/cat`, so
 * that the echo measures and their checks apply unchanged.
 *
 * `cat` rather than a program of the benchmark's own: it is what a user
 * reaches for, every server starts the same binary the same way (fork, exec,
 * the dynamic loader, libc), and what it costs is in every column alike.
 *
 * @module
 */

import { findProgram, spawnServer } from "./spawn.ts";
import {
  HOST,
  missing,
  pairPeer,
  type Peer,
  type PeerEnv,
  readyLinePeer,
  type RunningPeer,
  startMuxd,
  startXinetd,
} from "./peers.ts";

/** The program every server runs per connection. */
export const EXEC_PROGRAM = "/bin/cat";

/**
 * Starts one of the benchmark's own Deno exec servers, which prints `ready
 * PORT`: the script with `flags`, run on 127.0.0.1 with {@linkcode
 * EXEC_PROGRAM} and `args`. TCP alone: no measure of the section is UDP.
 */
async function startDenoExec(
  env: PeerEnv,
  id: string,
  script: string,
  flags: readonly string[],
  args: readonly string[],
): Promise<RunningPeer> {
  const server = await spawnServer(
    "deno",
    [
      "run",
      ...flags,
      `--allow-net=${HOST}`,
      `--allow-run=${EXEC_PROGRAM}`,
      new URL(`./${script}`, import.meta.url).pathname,
      HOST,
      EXEC_PROGRAM,
      ...args,
    ],
    { stderrFile: `${env.dir}/${id}.log`, waitForLine: true },
  );
  const running = readyLinePeer(server);
  return { ...running, target: { ...running.target, udpPort: null } };
}

/** Every server of the section, muxd's exec first: ratios in the report are to the first. */
export const EXEC_PEERS: readonly Peer[] = [
  {
    id: "exec-muxd",
    label: "muxd exec",
    how: "`deno task serve` flags with `cat` added to `--allow-run`, " +
      "`-l tcp://127.0.0.1:0=exec?run=cat` (default limits: 32 programs at once per " +
      "listener, 8 per client address), default logging (a line per connection opened, " +
      "program exited and connection closed), standard error redirected to a file",
    rateSources: 64,
    // muxd waits for every program it starts: none is left over to kill.
    forks: false,
    unavailable: () => null,
    start: (env) =>
      startMuxd(env, "exec-muxd", [
        "-l",
        // The quick mode's load generator connects from 127.0.0.1 alone.
        `tcp://${HOST}:0=exec?run=cat${env.oneSource ? "&max-procs-per-source=32" : ""}`,
      ], ["cat"]),
  },
  {
    id: "exec-deno",
    label: "Deno, minimal",
    how: "`bench/load/deno_exec.ts`: the floor under muxd's exec: per connection " +
      "`Deno.Command(...).spawn()` with piped standard input and output, the connection copied " +
      "into one and the other into the connection, each end of stream passed on, and a wait " +
      "for the exit; no environment, " +
      "limits, process groups, time limits, stderr lines or logging",
    rateSources: 64,
    // It waits for every program it starts, as muxd does.
    forks: false,
    unavailable: () => null,
    start: (env) => startDenoExec(env, "exec-deno", "deno_exec.ts", [], []),
  },
  {
    id: "exec-deno-threads",
    label: "Deno, 2 threads",
    how: "`bench/load/deno_exec_threads.ts`: the minimal Deno server's loop on 2 worker " +
      "threads, each with a listening socket of its own on the port (`reusePort`: the kernel " +
      "spreads the connections between them) and nothing crossing between them: what a server " +
      "on Deno's APIs gets out of both cores, where a `spawn()` holds up one thread alone",
    rateSources: 64,
    forks: false,
    unavailable: () => null,
    // Its workers load their modules from the repository: read rights on it.
    start: (env) =>
      startDenoExec(env, "exec-deno-threads", "deno_exec_threads.ts", [
        "--unstable-net",
        `--allow-read=${new URL("../../", import.meta.url).pathname}`,
      ], ["2"]),
  },
  {
    id: "exec-xinetd",
    label: "xinetd",
    how: "`xinetd -dontfork -f CONF`, a `stream` service with `server = /bin/cat` " +
      "(`type = UNLISTED`, `flags = NOLIBWRAP`, `cps = 100000 1`, instances and per_source " +
      "UNLIMITED, no `log_on_success`): a fork and exec of `cat` per connection on its socket. " +
      "Its connection-rate run keeps source 127.0.0.1, as in the echo table",
    rateSources: 0,
    forks: true,
    unavailable: () => missing("xinetd", "xinetd"),
    start: (env, port) =>
      startXinetd(
        env,
        "exec-xinetd",
        `
service cat
{
\ttype           = UNLISTED
\tsocket_type    = stream
\tprotocol       = tcp
\tport           = ${port}
\tbind           = ${HOST}
\twait           = no
\tuser           = root
\tserver         = ${EXEC_PROGRAM}
\tflags          = NOLIBWRAP
\tcps            = 100000 1
\tinstances      = UNLIMITED
\tper_source     = UNLIMITED
\tlog_on_success =
}
`,
        port,
        false,
      ),
  },
  {
    id: "exec-socat",
    label: "socat",
    how: "`socat TCP-LISTEN:PORT,bind=127.0.0.1,fork,reuseaddr,backlog=4096 EXEC:/bin/cat`: " +
      "a forked socat per connection, relaying to a `cat` it starts",
    rateSources: 64,
    forks: true,
    unavailable: () => missing("socat", "socat"),
    start: (env, port) =>
      pairPeer(
        () =>
          spawnServer(findProgram("socat")!, [
            `TCP-LISTEN:${port},bind=${HOST},fork,reuseaddr,backlog=4096`,
            `EXEC:${EXEC_PROGRAM}`,
          ], { stderrFile: `${env.dir}/exec-socat.log` }),
        null,
        port,
      ),
  },
  {
    id: "exec-ncat",
    label: "ncat",
    how: "`ncat -k -l 127.0.0.1 PORT -m 100000 --exec /bin/cat`: a forked ncat per " +
      "connection, relaying to a `cat` it starts",
    rateSources: 64,
    forks: true,
    unavailable: () => missing("ncat", "ncat"),
    start: (env, port) =>
      pairPeer(
        () =>
          spawnServer(findProgram("ncat")!, [
            "-k",
            "-l",
            HOST,
            `${port}`,
            "-m",
            "100000",
            "--exec",
            EXEC_PROGRAM,
          ], { stderrFile: `${env.dir}/exec-ncat.log` }),
        null,
        port,
      ),
  },
];
