/**
 * The commands of README.md and docs/*.md that `commands_test.ts` does not
 * run itself: each is either run by another test, named here, or cannot
 * run inside a test at all, for the reason given (printed when the test
 * runs). A command of the docs that is neither run nor listed here fails
 * the test, with its file and line.
 */

/** Another test runs the command, or the program it runs. */
export interface RunElsewhere {
  /** The `Deno.test` name as the test's source writes it (a template keeps its `${…}`). */
  readonly test: string;
  /** How that test covers the command. */
  readonly how: string;
}

/** No test can run the command. */
export interface NotRunnable {
  /** Why not, printed when the test runs. */
  readonly reason: string;
}

const INSTALLS = "it installs software on the machine";
const RELEASE = "it needs a release downloaded from GitHub";
const DENORT = "it needs denort downloaded from dl.deno.land";
const COMPILED_VERSION =
  "${artifact.name} --version prints muxd's version from deno.json, not Deno's";
const ARTIFACT_SERVES =
  "${artifact.name} serves echo, size and whoami to netcat and exits 0 on SIGTERM";
const QUICK_BENCH =
  "bench:load --quick completes against muxd's echo, forward and exec with every check passing";

/**
 * The forms of docs/netcat.md for clients other than OpenBSD nc (whose forms
 * commands_test.ts runs itself), each with the test that runs it with the real
 * client and checks what it prints.
 */
const NETCAT_FLAVOURS: readonly (readonly [test: string, commands: readonly string[]])[] = [
  [
    "nc.traditional prints what docs/netcat.md shows for each form",
    [
      "echo hello | nc.traditional -q1 127.0.0.1 7007",
      "nc.traditional 127.0.0.2 7007",
      "nc.traditional ::1 7007",
      "echo hello | nc.traditional -u -q1 127.0.0.1 7007",
      "echo hello | nc.traditional -u -q1 127.0.0.1 1060",
      "echo hello | nc.traditional -u -q1 127.0.0.2 1060",
      "nc.traditional 127.0.0.1 1060",
      "echo hello | nc.traditional -q1 127.0.0.1 7009",
      "nc.traditional 127.0.0.1 7013",
      "nc.traditional 127.0.0.1 7017",
      "nc.traditional 127.0.0.1 7019 | head -n 3",
      "nc.traditional 127.0.0.1 7037 | od -An -tu1",
    ],
  ],
  [
    "ncat prints what docs/netcat.md shows for each form",
    [
      "echo hello | ncat 127.0.0.1 7007",
      "ncat --recv-only 127.0.0.2 7007",
      "ncat --recv-only ::1 7007",
      "(echo hello; sleep 1) | ncat -u 127.0.0.1 7007",
      "(echo hello; sleep 1) | ncat -u 127.0.0.1 1060",
      "(echo hello; sleep 1) | ncat -u 127.0.0.2 1060",
      "ncat --recv-only 127.0.0.1 1060",
      "echo hello | ncat 127.0.0.1 7009",
      "ncat --recv-only 127.0.0.1 7013",
      "ncat --recv-only 127.0.0.1 7017",
      "ncat --recv-only 127.0.0.1 7019 | head -n 3",
      "ncat --recv-only 127.0.0.1 7037 | od -An -tu1",
    ],
  ],
  [
    "busybox nc prints what docs/netcat.md shows for each form",
    [
      "echo hello | busybox nc 127.0.0.1 7007",
      "busybox nc 127.0.0.2 7007",
      "busybox nc ::1 7007",
      "echo hello | busybox nc -u 127.0.0.1 7007",
      "busybox nc 127.0.0.1 1060",
      "echo hello | busybox nc 127.0.0.1 7009",
      "busybox nc 127.0.0.1 7013",
      "busybox nc 127.0.0.1 7017",
      "busybox nc 127.0.0.1 7019 | head -n 3",
      "busybox nc 127.0.0.1 7037 | od -An -tu1",
    ],
  ],
  [
    "socat prints what docs/netcat.md shows for each form",
    [
      "echo hello | socat - TCP:127.0.0.1:7007",
      "socat - TCP:127.0.0.2:7007",
      "socat - TCP:[::1]:7007",
      "echo hello | socat - UDP:127.0.0.1:7007",
      "echo hello | socat - UDP:127.0.0.1:1060",
      "echo hello | socat - UDP:127.0.0.2:1060",
      "socat - TCP:127.0.0.1:1060",
      "echo hello | socat - TCP:127.0.0.1:7009",
      "socat - TCP:127.0.0.1:7013",
      "socat - TCP:127.0.0.1:7017",
      "socat - TCP:127.0.0.1:7019 | head -n 3",
      "socat - TCP:127.0.0.1:7037 | od -An -tu1",
    ],
  ],
  [
    "telnet prints what docs/netcat.md shows for each form",
    [
      "(echo hello; sleep 1) | telnet 127.0.0.1 7007",
      "telnet 127.0.0.2 7007",
      "telnet ::1 7007",
      "telnet 127.0.0.1 1060",
      "(echo hello; sleep 1) | telnet 127.0.0.1 7009",
      "telnet 127.0.0.1 7013",
      "telnet 127.0.0.1 7017",
      "(echo hello; sleep 1) | telnet 127.0.0.1 7100",
    ],
  ],
];

/** Commands as the docs write them (continuations joined, comments left out). */
export const NOT_RUN_HERE: ReadonlyMap<string, RunElsewhere | NotRunnable> = new Map<
  string,
  RunElsewhere | NotRunnable
>([
  ["deno task serve", {
    test: "muxd with no arguments serves the built-in demo set",
    how: "the demo set binds fixed ports that other tests may hold; this test runs the demo " +
      "commands against the same listeners on free ports",
  }],
  ["deno task test", { reason: "it is this test suite" }],
  // docs/reference.md, "muxd check": the open-files limit.
  ["ulimit -n 256; deno task muxd check -l 'tcp://127.0.0.1:20000-20299=echo'", {
    test:
      "muxd check under prlimit --nofile=256 says 300 listeners would fail with EMFILE, and serve under the same limit fails as many as it said",
    how: "check and serve under prlimit --nofile=256 with 300 listeners on ports the OS picks, " +
      "so that no fixed port can be held by another test",
  }],
  // docs/reference.md, "Put a relay in front of a server": the relay is not in the demo set.
  ["echo hello | nc -N 127.0.0.1 7200", {
    test: "forward relays to muxd's own echo on another port, byte-exact, 2 MB",
    how: "netcat through a TCP forward to muxd's own echo, on free ports",
  }],
  ["echo hello | nc -u -w1 127.0.0.1 7200", {
    test: "forward relays datagrams of four clients at once, each back to its sender, one for one",
    how: "netcat's datagram through a UDP forward to an echo upstream, on free ports",
  }],
  ["echo hello | nc -N 127.0.0.1 7201", {
    test: "forward closes the connection with one line naming an upstream that refuses",
    how: "netcat through a TCP forward to a port nothing listens on, and the close line",
  }],
  ["echo hello | nc -N 127.0.0.1 7202", {
    test: "forward?proxy=v1 and v2 through muxd's own echo show netcat the header before its bytes",
    how: "netcat through a TCP forward with proxy=v1 to muxd's own echo, on free ports",
  }],
  ["echo hello | nc -N 127.0.0.1 7203 | od -A d -t x1", {
    test: "forward?proxy=v1 and v2 through muxd's own echo show netcat the header before its bytes",
    how: "netcat through a TCP forward with proxy=v2 to muxd's own echo; the bytes od shows",
  }],
  ["deno task serve --config muxd.jsonc", {
    test: "deno task serve --config serves the config file example of docs/reference.md",
    how: "it writes the example of docs/reference.md, on free ports, to a file and serves it",
  }],
  ["npm install -g deno@2.9.6", { reason: INSTALLS }],
  ["apt-get install netcat-openbsd", { reason: INSTALLS }],
  ["apt-get install -y xinetd socat ncat haproxy libnginx-mod-stream", { reason: INSTALLS }],
  ["sha256sum --check --ignore-missing SHA256SUMS", { reason: RELEASE }],
  ["mv muxd-x86_64-unknown-linux-gnu muxd && chmod +x muxd", { reason: RELEASE }],
  ["./muxd --version", {
    test: COMPILED_VERSION,
    how: "it runs --version on dist/muxd, the executable a release carries",
  }],
  ["./muxd serve", {
    test: ARTIFACT_SERVES,
    how: "it serves from dist/muxd, the executable a release carries",
  }],
  ["deno task install", {
    test:
      "deno.json's compile and install tasks grant the serve task's permissions, for every target",
    how: "it checks the install task's flags; running it would install muxd into ~/.deno/bin",
  }],
  ["muxd --version", {
    test: "muxd --version prints the version from deno.json",
    how: "the installed muxd runs main.ts, as that test does",
  }],
  [
    "deno run --unstable-net --v8-flags=--no-memory-reducer --allow-net --allow-read --allow-write --allow-env=NO_COLOR,FORCE_COLOR,TERM,COLUMNS,INIT_CWD --allow-sys=networkInterfaces,uid --allow-run=sysctl,ss,prlimit,ps,kill,setsid muxd.js serve",
    { test: ARTIFACT_SERVES, how: "it runs dist/muxd.js with these flags from another folder" },
  ],
  ["deno task compile", {
    test: COMPILED_VERSION,
    how: "compile_test.ts builds dist/muxd with it (its tests are ignored, with the reason, " +
      "where denort cannot be downloaded)",
  }],
  ["deno task compile:all", { reason: `${DENORT} for six targets; the release workflow runs it` }],
  ["deno task bundle", {
    test: "deno task bundle writes dist/muxd.js with every dependency inlined",
    how: "it runs the task",
  }],
  ["unzip denort-x86_64-unknown-linux-gnu.zip -d ~/denort-2.9.6", { reason: DENORT }],
  ["DENORT_BIN=~/denort-2.9.6/denort deno task compile", { reason: DENORT }],
  ["DENORT_BIN=~/denort-2.9.6/denort deno task test", { reason: DENORT }],
  ["deno task check", {
    reason: "it lints and type-checks the whole project; .ci/run runs it before the tests",
  }],
  ["deno task soak", { reason: "it loads the machine for minutes" }],
  ["bash .ci/run", { reason: `${INSTALLS}, then runs the checks and this test suite` }],
  ["MUXD_UPDATE_SCREENSHOT=1 deno task test", {
    test: "muxd serve --dashboard page opened after traffic lists the earlier arrivals at once",
    how: "that test serves the demo set on its own ports and writes docs/dashboard.png when " +
      "MUXD_UPDATE_SCREENSHOT=1",
  }],
  ["deno task bench:load", {
    test: QUICK_BENCH,
    how: "it runs the same program, each measure for about a second against muxd alone; the " +
      "full run takes 6 minutes and rewrites docs/BENCHMARKS.md",
  }],
  ["deno task bench:load --quick", {
    test: QUICK_BENCH,
    how: "it runs bench/load/main.ts --quick",
  }],
  [
    "deno task bench:load --pin --peers muxd,muxd-quiet,deno,node,fwd-muxd,fwd-deno,fwd-haproxy,fwd-nginx,fwd-socat,fwd-node",
    {
      reason: "it loads the machine for five minutes with ten servers, pinned to the two cores; " +
        "tests/bench/pin_test.ts checks the pinning",
    },
  ],
  ["deno task bench:load --peers muxd,deno,c --rounds 5 --no-write", {
    reason: "it loads the machine for minutes with three servers and needs a C compiler",
  }],
  ["deno task bench", { reason: "microbenchmarks measure for minutes and assert nothing" }],
  [
    "deno task serve:exec -l 'tcp://127.0.0.1:7300=exec?run=python3,docs/examples/connection_received.py' -l 'udp://127.0.0.1:7301=exec?run=python3,docs/examples/udp_size.py'",
    {
      test:
        "muxd serve runs docs/examples/connection_received.py per TCP connection, with both socket names in its environment",
      how: "it serves the same example with the serve:exec task's permissions, on a free port",
    },
  ],
  ["nc -d 127.0.0.1 7300", {
    test:
      "muxd serve runs docs/examples/connection_received.py per TCP connection, with both socket names in its environment",
    how: "it runs this netcat command against the example on a free port and checks its lines",
  }],
  ["echo hello | nc -u -w1 127.0.0.1 7301", {
    test: "muxd serve runs docs/examples/udp_size.py per datagram, its output the one reply",
    how: "it sends hello with netcat to the example on a free port and checks the reply",
  }],
  ["python3 docs/examples/udp_backoff.py 127.0.0.1 1060", {
    test:
      "docs/examples/udp_backoff.py against size?drop=0.5&seed=1 retries each dropped request and prints what docs/faults.md shows",
    how: "it runs the example with python3 against the same listener on a free port and " +
      "compares its output with the docs'",
  }],
  ...["7820", "7821"].map((port): [string, RunElsewhere] => [
    `python3 docs/examples/slow_reader.py 127.0.0.1 ${port}`,
    {
      test:
        "docs/examples/slow_reader.py reads all of a closed stream and loses what a reset throws away",
      how: "it runs the example with python3 against both listeners on free ports and checks " +
        "its lines (how much arrives before a reset varies, so it checks that some is lost)",
    },
  ]),
  ...NETCAT_FLAVOURS.flatMap(([test, commands]) =>
    commands.map((command): [string, RunElsewhere] => [command, {
      test,
      how: "it runs every form of its client in docs/netcat.md against the demo set, with " +
        "the real client where it is installed",
    }])
  ),
]);
