/**
 * findHolders() with a fake `ss` that prints output captured on this
 * project's test host (iproute2 6.1, kernel 6.18).
 */

import assert from "node:assert/strict";
import { findHolders, type FindHoldersOptions, type HolderQuery } from "../../lib/holder/mod.ts";
import { fakeSs } from "./_fake_ss.ts";

// `ss -H -n -a -p -e -t 'sport = :17410'` while one python3 process (pid
// 19282) held TCP port 17410 on six addresses at once (SO_REUSEPORT):
// 127.0.0.1, 127.0.0.2, 0.0.0.0, [::] dual-stack (`*`), [::] IPv6-only and
// [::1]; with a connection accepted from 127.0.0.1:17412, and one in
// TIME-WAIT that the server side closed first.
const SAME_PORT = `\
LISTEN    0      128    127.0.0.1:17410   0.0.0.0:*     users:(("python3",pid=19282,fd=3)) ino:131462 sk:1038 cgroup:/ <->         
LISTEN    0      128    127.0.0.2:17410   0.0.0.0:*     users:(("python3",pid=19282,fd=4)) ino:131463 sk:1039 cgroup:/ <->         
LISTEN    0      128      0.0.0.0:17410   0.0.0.0:*     users:(("python3",pid=19282,fd=5)) ino:131464 sk:103a cgroup:/ <->         
TIME-WAIT 0      0      127.0.0.1:17410 127.0.0.1:40806 timer:(timewait,58sec,0) ino:0 sk:103b                                     
ESTAB     0      0      127.0.0.1:17410 127.0.0.1:17412 users:(("python3",pid=19282,fd=13)) ino:131473 sk:103c cgroup:/ <->        
LISTEN    0      128            *:17410         *:*     users:(("python3",pid=19282,fd=7)) ino:131466 sk:103d cgroup:/ v6only:0 <->
LISTEN    0      128         [::]:17410      [::]:*     users:(("python3",pid=19282,fd=8)) ino:131467 sk:103e cgroup:/ v6only:1 <->
LISTEN    0      128        [::1]:17410      [::]:*     users:(("python3",pid=19282,fd=6)) ino:131465 sk:103f cgroup:/ v6only:1 <->
`;

// Two of the same sockets as `runuser -u nobody -- ss …` saw them: no processes.
const SAME_PORT_AS_NOBODY = `\
LISTEN    0      128    127.0.0.1:17410   0.0.0.0:*     ino:131462 sk:1038 cgroup:/ <->         
TIME-WAIT 0      0      127.0.0.1:17410 127.0.0.1:40806 timer:(timewait,58sec,0) ino:0 sk:103b  
`;

// `sport = :17412`: the client of that connection, on the port it was given.
const CLIENT = `\
ESTAB 0      0      127.0.0.1:17412 127.0.0.1:17410 users:(("python3",pid=19282,fd=11)) ino:131469 sk:1040 cgroup:/ <->
`;

const QUERY: HolderQuery = { transport: "tcp", address: "127.0.0.1", port: 17410 };

/** The local names of the holders found, as `address kind` pairs. */
async function found(query: HolderQuery, options: FindHoldersOptions): Promise<string[]> {
  const report = await findHolders(query, options);
  assert.equal(report.supported, true, report.reason);
  return report.holders.map((h) =>
    `${h.local.address}${h.v6Only === undefined ? "" : h.v6Only ? "/v6only" : "/dual"} ${h.kind}`
  );
}

Deno.test("findHolders() says where it cannot work off Linux, without running ss", async () => {
  const ss = fakeSs({ stdout: SAME_PORT });
  const cases = [
    ["darwin", QUERY, "holder lookup works on Linux only; on macOS run: lsof -nP -iTCP:17410"],
    [
      "darwin",
      { ...QUERY, transport: "udp" },
      "holder lookup works on Linux only; on macOS run: lsof -nP -iUDP:17410",
    ],
    [
      "windows",
      QUERY,
      "holder lookup works on Linux only; on Windows run: netstat -ano | findstr :17410",
    ],
  ] as const;
  for (const [os, query, reason] of cases) {
    assert.deepEqual(await findHolders(query, { ...ss.options, os }), {
      supported: false,
      reason,
      holders: [],
    });
  }
  assert.deepEqual(ss.calls, []);
});

Deno.test("findHolders() names a process that named itself with escape codes and line breaks, escaped, and finds the holders after it", async () => {
  // prctl(PR_SET_NAME) takes any 15 bytes, and ss prints them as they are:
  // such a name cleared the terminal of `muxd check`, or made ss's output
  // unreadable to muxd, so that no holder was found at all.
  const name = "\x1b[2J\rFAKE\n\u202e";
  const ss = fakeSs({
    stdout:
      `LISTEN 0 128 127.0.0.1:17410 0.0.0.0:* users:(("${name}",pid=4242,fd=3)) ino:7 sk:1 <->\n` +
      `LISTEN 0 128 0.0.0.0:17410 0.0.0.0:* users:(("python3",pid=19282,fd=5)) ino:8 sk:2 <->\n`,
  });
  const report = await findHolders(QUERY, ss.options);
  assert.equal(report.supported, true, report.reason);
  assert.deepEqual(report.holders.map((h) => h.process), [
    { pid: 4242, name: "\\x1b[2J\\x0dFAKE\\x0a\\u202e" },
    { pid: 19282, name: "python3" },
  ]);
});

Deno.test("findHolders() asks ss for every socket of the transport on the port", async () => {
  const ss = fakeSs({ stdout: "" });
  await findHolders(QUERY, ss.options);
  await findHolders({ ...QUERY, transport: "udp", port: 53 }, ss.options);
  assert.deepEqual(ss.calls, [
    ["-H", "-n", "-a", "-p", "-e", "-t", "sport = :17410"],
    ["-H", "-n", "-a", "-p", "-e", "-u", "sport = :53"],
  ]);
});

Deno.test("findHolders() reports unsupported, not an error, when ss cannot be run", async () => {
  const report = await findHolders(QUERY, { os: "linux", run: () => Promise.resolve(null) });
  assert.deepEqual(report, {
    supported: false,
    reason: "holder lookup needs the ss tool from iproute2 (apt-get install iproute2), " +
      "which Deno must be allowed to run (--allow-run=ss)",
    holders: [],
  });
});

Deno.test("findHolders() reports unsupported, not an error, when ss cannot even start", async () => {
  // What Deno throws when the process is out of file descriptors.
  const report = await findHolders(QUERY, {
    os: "linux",
    run: () =>
      Promise.reject(
        Object.assign(new Error("Failed to spawn 'ss': Too many open files (os error 24)"), {
          code: "EMFILE",
        }),
      ),
  });
  assert.equal(report.supported, false);
  assert.match(
    report.reason ?? "",
    /^holder lookup failed: cannot start ss: Failed to spawn 'ss': Too many open files/,
  );
});

Deno.test("findHolders() reports unsupported, with ss's message, when ss fails", async () => {
  // What an iproute2 older than 4.15 says to -H.
  const ss = fakeSs({
    stdout: "",
    code: 255,
    stderr: "ss: invalid option -- 'H'\nUsage: ss [ OPTIONS ]\n",
  });
  const report = await findHolders(QUERY, ss.options);
  assert.equal(report.supported, false);
  assert.equal(
    report.reason,
    "holder lookup failed: ss exited with code 255 (ss: invalid option -- 'H'; Usage: ss " +
      "[ OPTIONS ]); instead run: ss -tanp 'sport = :17410'",
  );
});

Deno.test("findHolders() reports unsupported when the output of ss does not parse", async () => {
  const report = await findHolders(QUERY, fakeSs({ stdout: "State Recv-Q Send-Q\n" }).options);
  assert.equal(report.supported, false);
  assert.match(report.reason ?? "", /^holder lookup failed: Cannot parse ss output line 1: /);
  assert.match(report.reason ?? "", /instead run: ss -tanp 'sport = :17410'$/);
});

Deno.test("findHolders() names a listening socket and its process", async () => {
  const report = await findHolders(QUERY, fakeSs({ stdout: SAME_PORT }).options);
  assert.equal(report.supported, true);
  assert.deepEqual(report.holders[0], {
    transport: "tcp",
    local: { address: "127.0.0.1", port: 17410 },
    remote: null,
    state: "LISTEN",
    kind: "listening",
    uid: 0,
    inode: 131462,
    process: { pid: 19282, name: "python3" },
  });
});

Deno.test("findHolders() keeps the sockets whose address conflicts with 127.0.0.1", async () => {
  assert.deepEqual(await found(QUERY, fakeSs({ stdout: SAME_PORT }).options), [
    "127.0.0.1 listening",
    "0.0.0.0 listening",
    "::/dual listening",
    "127.0.0.1 connection",
    "127.0.0.1 time-wait",
  ]);
});

Deno.test("findHolders() keeps the sockets whose address conflicts with 127.0.0.2", async () => {
  const query = { ...QUERY, address: "127.0.0.2" };
  assert.deepEqual(await found(query, fakeSs({ stdout: SAME_PORT }).options), [
    "127.0.0.2 listening",
    "0.0.0.0 listening",
    "::/dual listening",
  ]);
});

Deno.test("findHolders() keeps the IPv6 sockets, and no IPv4 one, for ::1", async () => {
  const query = { ...QUERY, address: "::1" };
  assert.deepEqual(await found(query, fakeSs({ stdout: SAME_PORT }).options), [
    "::/dual listening",
    "::/v6only listening",
    "::1/v6only listening",
  ]);
});

Deno.test("findHolders() keeps IPv4 sockets for :: only when :: is dual-stack", async () => {
  const query = { ...QUERY, address: "::" };
  const { options } = fakeSs({ stdout: SAME_PORT });
  assert.deepEqual(await found(query, options), [
    "127.0.0.1 listening",
    "127.0.0.2 listening",
    "0.0.0.0 listening",
    "::/dual listening",
    "::/v6only listening",
    "::1/v6only listening",
    "127.0.0.1 connection",
    "127.0.0.1 time-wait",
  ]);
  assert.deepEqual(await found(query, { ...options, bindV6Only: true }), [
    "::/dual listening",
    "::/v6only listening",
    "::1/v6only listening",
  ]);
});

Deno.test("findHolders() leaves out sockets on other ports", async () => {
  const { options } = fakeSs({ stdout: SAME_PORT + CLIENT });
  assert.equal((await found(QUERY, options)).length, 5);
  const [client] = (await findHolders({ ...QUERY, port: 17412 }, options)).holders;
  assert.equal(client.kind, "connection");
  assert.equal(client.state, "ESTAB");
  assert.deepEqual(client.remote, { address: "127.0.0.1", port: 17410 });
  assert.deepEqual(client.process, { pid: 19282, name: "python3" });
});

// The lines below are captured too, from sockets on other ports; each was
// moved to port 17410 so that one query finds them.

Deno.test("findHolders() tells bound from connected UDP sockets", async () => {
  const udp = [
    `UNCONN 0      0      127.0.0.1:17410 0.0.0.0:* users:(("python3",pid=19282,fd=12)) ino:131482 sk:6e cgroup:/ <->`,
    `ESTAB  0      0      127.0.0.2:17410 127.0.0.1:53   users:(("my prog,x"",pid=14655,fd=11)) ino:121234 sk:60 cgroup:/ <->        `,
  ].join("\n");
  const query = { transport: "udp", address: "0.0.0.0", port: 17410 } as const;
  const report = await findHolders(query, fakeSs({ stdout: udp }).options);
  assert.deepEqual(
    report.holders.map((h) => [h.transport, h.kind, h.state, h.process?.name]),
    [["udp", "bound", "UNCONN", "python3"], ["udp", "connection", "ESTAB", 'my prog,x"']],
  );
});

Deno.test("findHolders() names the lowest pid of a shared socket and lists the others", async () => {
  // A fourth entry, the same process's second descriptor, added by hand.
  const line =
    `LISTEN     0      128                    127.0.0.1:17410            0.0.0.0:*     users:(("python3",pid=14761,fd=3),("python3",pid=14760,fd=3),("python3",pid=14662,fd=3),("python3",pid=14662,fd=9)) ino:120326 sk:4f cgroup:/ <->`;
  const [holder] = (await findHolders(QUERY, fakeSs({ stdout: line }).options)).holders;
  assert.deepEqual(holder.process, { pid: 14662, name: "python3" });
  assert.deepEqual(holder.otherPids, [14760, 14761]);
});

Deno.test("findHolders() keeps the interface and v6only that ss shows", async () => {
  const lines = [
    `LISTEN     0      128                 127.0.0.1%lo:17410            0.0.0.0:*     users:(("my prog,x"",pid=14655,fd=4)) ino:121227 sk:51 cgroup:/ <->`,
    `LISTEN     0      128    [fe80::fc:ff:fe00:1]%eth0:17410               [::]:*     users:(("my prog,x"",pid=14655,fd=5)) ino:121229 sk:57 cgroup:/ v6only:1 <->`,
  ].join("\n");
  const { options } = fakeSs({ stdout: lines });
  const [v4] = (await findHolders(QUERY, options)).holders;
  assert.equal(v4.interface, "lo");
  assert.equal("v6Only" in v4, false);
  const [v6] = (await findHolders({ ...QUERY, address: "fe80::fc:ff:fe00:1" }, options)).holders;
  assert.deepEqual([v6.local.address, v6.interface, v6.v6Only], [
    "fe80::fc:ff:fe00:1",
    "eth0",
    true,
  ]);
});

Deno.test("findHolders() says why no process owns a connection in TIME-WAIT or FIN-WAIT-2", async () => {
  const lines = [
    `TIME-WAIT  0      0                      127.0.0.1:17410          127.0.0.1:40792 timer:(timewait,58sec,0) ino:0 sk:55`,
    `FIN-WAIT-2 0      0                          [::1]:17410              [::1]:47370 timer:(timewait,58sec,0) ino:0 sk:5d`,
  ].join("\n");
  const report = await findHolders({ ...QUERY, address: "::" }, fakeSs({ stdout: lines }).options);
  assert.deepEqual(report.holders.map((h) => [h.state, h.process, h.processUnknownReason]), [
    [
      "FIN-WAIT-2",
      null,
      "no process owns it; it was closed and the kernel is finishing the TCP shutdown",
    ],
    ["TIME-WAIT", null, "no process owns it; the kernel keeps it for about 60 s after close"],
  ]);
});

Deno.test("findHolders() says to run ss as root when another user's process is hidden", async () => {
  const { options } = fakeSs({ stdout: SAME_PORT_AS_NOBODY });
  for (const uid of [65534, null]) {
    const [holder] = (await findHolders(QUERY, { ...options, uid })).holders;
    assert.equal(holder.process, null);
    assert.equal(
      holder.processUnknownReason,
      "owner not visible: the socket belongs to uid 0; run as root to see other users' " +
        "processes: sudo ss -tanp 'sport = :17410'",
    );
  }
});

Deno.test("findHolders() says the process may be gone when ss should have seen it", async () => {
  const asNobody = SAME_PORT_AS_NOBODY.replace("ino:131462", "uid:65534 ino:131462");
  const cases = [
    ["root", SAME_PORT_AS_NOBODY, 0],
    ["the socket's own user", asNobody, 65534],
  ] as const;
  for (const [who, output, uid] of cases) {
    const [holder] =
      (await findHolders(QUERY, { ...fakeSs({ stdout: output }).options, uid })).holders;
    assert.equal(
      holder.processUnknownReason,
      "no process has it open any more (it may have closed since, or its process is in " +
        "another PID namespace)",
      who,
    );
  }
});
