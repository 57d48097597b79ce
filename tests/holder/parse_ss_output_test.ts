import assert from "node:assert/strict";
import { parseSsOutput, type SsSocket } from "../../lib/holder/parse_ss_output.ts";

// Every line below was printed by `ss -H -n -a -p -e -t` (or `-u`; iproute2
// 6.1, kernel 6.18, x86_64) on this project's test host while the sockets
// named in its comment were open: Deno 2.9 sockets (pids 6295, 14653) and
// python3 ones for what Deno cannot do (IPV6_V6ONLY, SO_BINDTODEVICE, a
// scoped link-local bind, a connected UDP socket, another user, a process
// name set with prctl to `my prog,x")`). Trailing spaces are ss's own.

/** The fields most lines share; each case gives the rest. */
const NONE = { interface: null, v6Only: null, remote: null, uid: 0, users: [] } as const;

/** One captured line and what it must parse to. */
type Case = readonly [what: string, line: string, expected: SsSocket];

const CASES: readonly Case[] = [
  [
    "Deno.listen 127.0.0.1:17000",
    `LISTEN     0      511                    127.0.0.1:17000            0.0.0.0:*     users:(("deno",pid=14653,fd=21)) ino:121181 sk:52 cgroup:/ <->                                                        `,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "127.0.0.1", port: 17000 },
      inode: 121181,
      users: [{ name: "deno", pid: 14653, fd: 21 }],
    },
  ],
  [
    "Deno.listen 0.0.0.0:17010 (the IPv4 wildcard stays 0.0.0.0)",
    `LISTEN     0      511                      0.0.0.0:17010            0.0.0.0:*     users:(("deno",pid=14653,fd=22)) ino:121182 sk:53 cgroup:/ <->`,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "0.0.0.0", port: 17010 },
      inode: 121182,
      users: [{ name: "deno", pid: 14653, fd: 22 }],
    },
  ],
  [
    "Deno.listen [::1]:17011 (Deno sets v6only on a specific IPv6 address)",
    `LISTEN     0      511                        [::1]:17011               [::]:*     users:(("deno",pid=14653,fd=23)) ino:121183 sk:5c cgroup:/ v6only:1 <->`,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "::1", port: 17011 },
      v6Only: true,
      inode: 121183,
      users: [{ name: "deno", pid: 14653, fd: 23 }],
    },
  ],
  [
    "Deno.listen [::]:17012, dual-stack: ss prints *:17012",
    `LISTEN     0      511                            *:17012                  *:*     users:(("deno",pid=14653,fd=24)) ino:121184 sk:5a cgroup:/ v6only:0 <->`,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "::", port: 17012 },
      v6Only: false,
      inode: 121184,
      users: [{ name: "deno", pid: 14653, fd: 24 }],
    },
  ],
  [
    "python3 on [::]:17100 with IPV6_V6ONLY: ss prints [::]:17100",
    `LISTEN     0      128                         [::]:17100               [::]:*     users:(("my prog,x"",pid=14655,fd=3)) ino:121226 sk:5b cgroup:/ v6only:1 <->`,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "::", port: 17100 },
      v6Only: true,
      inode: 121226,
      users: [{ name: 'my prog,x"', pid: 14655, fd: 3 }],
    },
  ],
  [
    "Deno.listen ::ffff:127.0.0.1:17013 (IPv4-mapped, kept as printed)",
    `LISTEN     0      511           [::ffff:127.0.0.1]:17013                  *:*     users:(("deno",pid=14653,fd=25)) ino:121185 sk:59 cgroup:/ v6only:0 <->`,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "::ffff:127.0.0.1", port: 17013 },
      v6Only: false,
      inode: 121185,
      users: [{ name: "deno", pid: 14653, fd: 25 }],
    },
  ],
  [
    "python3 on 127.0.0.1:17101 with SO_BINDTODEVICE lo",
    `LISTEN     0      128                 127.0.0.1%lo:17101            0.0.0.0:*     users:(("my prog,x"",pid=14655,fd=4)) ino:121227 sk:51 cgroup:/ <->`,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "127.0.0.1", port: 17101 },
      interface: "lo",
      inode: 121227,
      users: [{ name: 'my prog,x"', pid: 14655, fd: 4 }],
    },
  ],
  [
    "python3 on link-local fe80::fc:ff:fe00:1 with scope eth0",
    `LISTEN     0      128    [fe80::fc:ff:fe00:1]%eth0:17102               [::]:*     users:(("my prog,x"",pid=14655,fd=5)) ino:121229 sk:57 cgroup:/ v6only:1 <->`,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "fe80::fc:ff:fe00:1", port: 17102 },
      interface: "eth0",
      v6Only: true,
      inode: 121229,
      users: [{ name: 'my prog,x"', pid: 14655, fd: 5 }],
    },
  ],
  [
    "a socket shared by three python3 processes (a parent and two forks)",
    `LISTEN     0      128                    127.0.0.1:17300            0.0.0.0:*     users:(("python3",pid=14761,fd=3),("python3",pid=14760,fd=3),("python3",pid=14662,fd=3)) ino:120326 sk:4f cgroup:/ <->`,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "127.0.0.1", port: 17300 },
      inode: 120326,
      users: [
        { name: "python3", pid: 14761, fd: 3 },
        { name: "python3", pid: 14760, fd: 3 },
        { name: "python3", pid: 14662, fd: 3 },
      ],
    },
  ],
  [
    "python3 as nobody: ss -e prints uid only when it is not 0",
    `LISTEN     0      128                    127.0.0.1:17200            0.0.0.0:*     users:(("python3",pid=14661,fd=3)) uid:65534 ino:120285 sk:50 cgroup:/ <->                                            `,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "127.0.0.1", port: 17200 },
      uid: 65534,
      inode: 120285,
      users: [{ name: "python3", pid: 14661, fd: 3 }],
    },
  ],
  [
    "root's listener as nobody sees it: no users",
    `LISTEN     0      511                    127.0.0.1:17000            0.0.0.0:*     ino:121181 sk:52 cgroup:/ <->                                             `,
    { ...NONE, state: "LISTEN", local: { address: "127.0.0.1", port: 17000 }, inode: 121181 },
  ],
  [
    "a Deno.connect client on ephemeral port 43778",
    `ESTAB      0      0                      127.0.0.1:43778          127.0.0.1:17000 users:(("deno",pid=6295,fd=28)) ino:91031 sk:9 cgroup:/ <->                    `,
    {
      ...NONE,
      state: "ESTAB",
      local: { address: "127.0.0.1", port: 43778 },
      remote: { address: "127.0.0.1", port: 17000 },
      inode: 91031,
      users: [{ name: "deno", pid: 6295, fd: 28 }],
    },
  ],
  [
    "a connection from 127.0.0.1 accepted on the dual-stack [::]:17012",
    `ESTAB      0      0             [::ffff:127.0.0.1]:17012 [::ffff:127.0.0.1]:42794 users:(("deno",pid=14653,fd=31)) ino:121191 sk:5e cgroup:/ <->`,
    {
      ...NONE,
      state: "ESTAB",
      local: { address: "::ffff:127.0.0.1", port: 17012 },
      remote: { address: "::ffff:127.0.0.1", port: 42794 },
      inode: 121191,
      users: [{ name: "deno", pid: 14653, fd: 31 }],
    },
  ],
  [
    "the server side of a connection it closed first: TIME-WAIT, ino 0",
    `TIME-WAIT  0      0                      127.0.0.1:17010          127.0.0.1:40792 timer:(timewait,58sec,0) ino:0 sk:55                                                                                  `,
    {
      ...NONE,
      state: "TIME-WAIT",
      local: { address: "127.0.0.1", port: 17010 },
      remote: { address: "127.0.0.1", port: 40792 },
      inode: 0,
    },
  ],
  [
    "a server socket closed while the client keeps its side open: FIN-WAIT-2, orphaned",
    `FIN-WAIT-2 0      0                          [::1]:17011              [::1]:47370 timer:(timewait,58sec,0) ino:0 sk:5d`,
    {
      ...NONE,
      state: "FIN-WAIT-2",
      local: { address: "::1", port: 17011 },
      remote: { address: "::1", port: 47370 },
      inode: 0,
    },
  ],
  [
    "that client, which has not closed: CLOSE-WAIT",
    `CLOSE-WAIT 1      0                          [::1]:60222              [::1]:17011 users:(("deno",pid=6295,fd=32)) ino:91037 sk:45 cgroup:/ -->                   `,
    {
      ...NONE,
      state: "CLOSE-WAIT",
      local: { address: "::1", port: 60222 },
      remote: { address: "::1", port: 17011 },
      inode: 91037,
      users: [{ name: "deno", pid: 6295, fd: 32 }],
    },
  ],
  [
    "python3 connecting from 0.0.0.0:17301 to an address that does not answer: SYN-SENT",
    `SYN-SENT   0      1                      192.0.2.2:17301         192.0.2.99:9     users:(("python3",pid=14662,fd=4)) timer:(on,268ms,1) ino:120327 sk:54 cgroup:/ <->`,
    {
      ...NONE,
      state: "SYN-SENT",
      local: { address: "192.0.2.2", port: 17301 },
      remote: { address: "192.0.2.99", port: 9 },
      inode: 120327,
      users: [{ name: "python3", pid: 14662, fd: 4 }],
    },
  ],
  [
    "udp: Deno.listenDatagram 127.0.0.1:17014",
    `UNCONN 0      0                      127.0.0.1:17014   0.0.0.0:*    users:(("deno",pid=14653,fd=26)) ino:121186 sk:5f cgroup:/ <->              `,
    {
      ...NONE,
      state: "UNCONN",
      local: { address: "127.0.0.1", port: 17014 },
      inode: 121186,
      users: [{ name: "deno", pid: 14653, fd: 26 }],
    },
  ],
  [
    "udp: Deno.listenDatagram [::]:17015, dual-stack",
    `UNCONN 0      0                              *:17015         *:*    users:(("deno",pid=14653,fd=27)) ino:121187 sk:61 cgroup:/ v6only:0 <->     `,
    {
      ...NONE,
      state: "UNCONN",
      local: { address: "::", port: 17015 },
      v6Only: false,
      inode: 121187,
      users: [{ name: "deno", pid: 14653, fd: 27 }],
    },
  ],
  [
    "udp: python3 on 127.0.0.2:17105 connected to 127.0.0.1:53",
    `ESTAB  0      0                      127.0.0.2:17105 127.0.0.1:53   users:(("my prog,x"",pid=14655,fd=11)) ino:121234 sk:60 cgroup:/ <->        `,
    {
      ...NONE,
      state: "ESTAB",
      local: { address: "127.0.0.2", port: 17105 },
      remote: { address: "127.0.0.1", port: 53 },
      inode: 121234,
      users: [{ name: 'my prog,x"', pid: 14655, fd: 11 }],
    },
  ],
  [
    "udp: python3 on [::1]:17106 connected to [::1]:7007",
    `ESTAB  0      0                          [::1]:17106     [::1]:7007 users:(("my prog,x"",pid=14655,fd=12)) ino:121235 sk:65 cgroup:/ <->        `,
    {
      ...NONE,
      state: "ESTAB",
      local: { address: "::1", port: 17106 },
      remote: { address: "::1", port: 7007 },
      inode: 121235,
      users: [{ name: 'my prog,x"', pid: 14655, fd: 12 }],
    },
  ],
  [
    "udp: python3 as nobody on [::1]:17200",
    `UNCONN 0      0                          [::1]:17200      [::]:*    users:(("python3",pid=14661,fd=4)) uid:65534 ino:120286 sk:66 cgroup:/ v6only:1 <->`,
    {
      ...NONE,
      state: "UNCONN",
      local: { address: "::1", port: 17200 },
      v6Only: true,
      uid: 65534,
      inode: 120286,
      users: [{ name: "python3", pid: 14661, fd: 4 }],
    },
  ],
  [
    "without -e: no uid or inode, and v6only only from the address form (*)",
    `LISTEN     0      511                            *:17012                  *:*     users:(("deno",pid=14653,fd=24))                                                        `,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "::", port: 17012 },
      v6Only: false,
      inode: 0,
      users: [{ name: "deno", pid: 14653, fd: 24 }],
    },
  ],
  [
    "without -e: [::] means IPv6-only",
    `LISTEN     0      128                         [::]:17100               [::]:*     users:(("my prog,x"",pid=14655,fd=3))                                                   `,
    {
      ...NONE,
      state: "LISTEN",
      local: { address: "::", port: 17100 },
      v6Only: true,
      inode: 0,
      users: [{ name: 'my prog,x"', pid: 14655, fd: 3 }],
    },
  ],
];

for (const [what, line, expected] of CASES) {
  Deno.test(`parseSsOutput() reads a line: ${what}`, () => {
    assert.deepEqual(parseSsOutput(`${line}\n`), [expected]);
  });
}

Deno.test("parseSsOutput() reads a whole output in order, skipping blank lines", () => {
  const text = ["", ...CASES.map(([, line]) => line), ""].join("\n");
  assert.deepEqual(parseSsOutput(text), CASES.map(([, , expected]) => expected));
});

Deno.test("parseSsOutput() reads a process name with a carriage return, a line break or a separator in it, and the lines after", () => {
  // comm is any 15 bytes (prctl PR_SET_NAME), and ss prints it as it is: a
  // local program named so made every lookup fail ("expected state ...").
  const names = [
    "\x1b[2J\rFAKE",
    "two\nlines",
    "LISTEN\nLISTEN",
    "x\nLISTEN 0 0 a b",
    "\n",
    "sep\u2028x",
  ];
  for (const name of names) {
    const text =
      `LISTEN 0 128 127.0.0.1:24090 0.0.0.0:* users:(("${name}",pid=12913,fd=3)) ino:7\n` +
      `LISTEN 0 511 127.0.0.1:17000 0.0.0.0:* users:(("deno",pid=14653,fd=21)) ino:8\n`;
    const sockets = parseSsOutput(text);
    assert.deepEqual(
      sockets.map((s) => [s.local.port, s.inode, s.users]),
      [
        [24090, 7, [{ name, pid: 12913, fd: 3 }]],
        [17000, 8, [{ name: "deno", pid: 14653, fd: 21 }]],
      ],
      JSON.stringify(name),
    );
  }
});

Deno.test("parseSsOutput() gives no sockets for empty output", () => {
  assert.deepEqual(parseSsOutput(""), []);
  assert.deepEqual(parseSsOutput("\n"), []);
});

const MALFORMED: readonly [what: string, line: string, message: RegExp][] = [
  ["a truncated line", "LISTEN 0 511 127.0.0.1:17000", /line 1: expected state, Recv-Q/],
  [
    "a header line (ss without -H)",
    "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
    /expected state, Recv-Q/,
  ],
  [
    "a Netid column (ss with both -t and -u)",
    "tcp   LISTEN 0      511        127.0.0.1:17000      0.0.0.0:*",
    /expected state, Recv-Q/,
  ],
  ["an unknown state", "LISTENING 0 511 127.0.0.1:17000 0.0.0.0:*", /unknown state "LISTENING"/],
  [
    "a local address that is not an IP address",
    "LISTEN 0 511 localhost:17000 0.0.0.0:*",
    /bad local address "localhost:17000"/,
  ],
  ["a port above 65535", "LISTEN 0 511 127.0.0.1:70000 0.0.0.0:*", /bad local address/],
  ["a local port of *", "LISTEN 0 511 127.0.0.1:* 0.0.0.0:*", /bad local address/],
  ["a bad peer", "ESTAB 0 0 127.0.0.1:17000 [::1:17011", /bad peer address "\[::1:17011"/],
];

for (const [what, line, message] of MALFORMED) {
  Deno.test(`parseSsOutput() rejects ${what} with a SyntaxError`, () => {
    assert.throws(() => parseSsOutput(line), (error) => {
      assert.ok(error instanceof SyntaxError);
      assert.match(error.message, /^Cannot parse ss output line \d+: /);
      assert.match(error.message, message);
      return true;
    });
  });
}
