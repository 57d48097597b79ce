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

/** docs/lessons.md, lesson 1 and 2: the kernel's view of the demo set. */
const LESSON_SS =
  "ss -tlnp and ss -ulnp list each socket of muxd's table under the process id its header names";
/** docs/lessons.md, lesson 3: root and two network namespaces. */
const LESSON_NETNS =
  "docs/lessons.md lesson 3: loopback, a veth address and the wildcard each answer where their names say, and a UDP reply to another host waits for amplification=30";
/** docs/lessons.md, lesson 4 and 5: two processes on one socket name. */
const LESSON_REUSE =
  "two muxd processes serving one socket name with ?reuse=true both answer netcat, whoami's process line tells which, and a third without it is refused naming both";

/** docs/lessons.md's serve commands in the namespace `lab-server`, before and after `?amplification=30`. */
const LESSON_SERVE =
  "ip netns exec lab-server deno task serve -l tcp://127.0.0.1:30001=whoami -l tcp://198.51.100.1:30002=whoami -l tcp://0.0.0.0:30003=whoami";

/**
 * The commands of docs/lessons.md that the docs test cannot run: lesson 1
 * and 2 ask `ss` for a pid of the page's run; lesson 3 needs root and
 * network namespaces (tests that make their own run it, where root can, and
 * are ignored elsewhere); lesson 4 and 5 run two muxd processes of their
 * own on port 30007, which no offset of the docs test keeps below 32768.
 */
const LESSONS: readonly (readonly [command: string, test: string, how: string])[] = [
  [
    "ss -tlnp | grep pid=14206",
    LESSON_SS,
    "it runs ss -tlnp and finds each TCP socket with muxd's pid",
  ],
  [
    "ss -ulnp | grep pid=14206",
    LESSON_SS,
    "it runs ss -ulnp and finds each UDP socket with muxd's pid",
  ],
  ["ss -tlnp 'sport = :7007'", LESSON_SS, "it runs ss -tlnp over the sockets of one port, TCP"],
  ["ss -ulnp 'sport = :7007'", LESSON_SS, "it runs ss -ulnp over the sockets of one port, UDP"],
  ...[
    "ip netns add lab-server",
    "ip netns add lab-client",
    "ip link add lab-s netns lab-server type veth peer name lab-c netns lab-client",
    "ip -n lab-server addr add 198.51.100.1/24 dev lab-s",
    "ip -n lab-client addr add 198.51.100.2/24 dev lab-c",
    "ip -n lab-server link set lab-s up",
    "ip -n lab-client link set lab-c up",
    "ip -n lab-server link set lo up",
    "ip netns del lab-server",
    "ip netns del lab-client",
  ].map((command): [string, string, string] => [
    command,
    LESSON_NETNS,
    "TwoHosts (tests/integration/_two_hosts.ts) makes and deletes the same two namespaces, " +
    "veth pair and addresses, under names of its own",
  ]),
  [
    `${LESSON_SERVE} -l udp://0.0.0.0:30003=whoami`,
    LESSON_NETNS,
    "it serves the same listeners in the server's namespace: without --public it exits 2",
  ],
  [
    `${LESSON_SERVE.replace("task serve", "task serve --public")} -l udp://0.0.0.0:30003=whoami`,
    LESSON_NETNS,
    "it serves the same listeners with --public (with lo down, the namespace test " +
    '"muxd check and serve in a new network namespace…" checks the error)',
  ],
  [
    `${
      LESSON_SERVE.replace("task serve", "task serve --public")
    } -l 'udp://0.0.0.0:30003=whoami?amplification=30'`,
    LESSON_NETNS,
    "it serves the same listeners again with amplification=30, and the reply comes",
  ],
  ...[
    "ip netns exec lab-client nc -d 198.51.100.1 30002",
    "ip netns exec lab-client nc -d 198.51.100.1 30003",
    "ip netns exec lab-client nc -dv 198.51.100.1 30001",
    "ip netns exec lab-server nc -d 127.0.0.1 30001",
    "ip netns exec lab-server nc -dv 127.0.0.1 30002",
    "ip netns exec lab-server nc -d 127.0.0.1 30003",
    "ip netns exec lab-server ss -tlnp",
    "ip netns exec lab-server ss -ulnp",
    "echo hello | ip netns exec lab-client nc -u -w1 198.51.100.1 30003",
    "echo hello | ip netns exec lab-server nc -u -w1 127.0.0.1 30003",
  ].map((command): [string, string, string] => [
    command,
    LESSON_NETNS,
    "it runs the same netcat or ss in the same namespace and checks the socket names it shows",
  ]),
  [
    "deno task serve -l 'tcp://127.0.0.1:30007=whoami?reuse=true'",
    LESSON_REUSE,
    "it serves the same spec twice, on a free port",
  ],
  ["nc -d 127.0.0.1 30007", LESSON_REUSE, "it connects until both processes have answered"],
  ["ss -tlnp 'sport = :30007'", LESSON_REUSE, "it finds both pids on the port with ss"],
  [
    "deno task serve -l tcp://127.0.0.1:30007=echo",
    LESSON_REUSE,
    "a third muxd on the port without reuse=true exits 1 naming both processes",
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
  ...LESSONS.map(([command, test, how]): [string, RunElsewhere] => [command, { test, how }]),
  // docs/lessons.md, lesson 5, beside the demo set.
  ["deno task serve -l tcp://127.0.0.1:7007=echo", {
    test:
      "muxd serve says in one line that muxd is already running when another muxd holds every listener",
    how: "a second muxd on the listener of a first one, on a free port, and the one line it says",
  }],
  ...NETCAT_FLAVOURS.flatMap(([test, commands]) =>
    commands.map((command): [string, RunElsewhere] => [command, {
      test,
      how: "it runs every form of its client in docs/netcat.md against the demo set, with " +
        "the real client where it is installed",
    }])
  ),
]);
