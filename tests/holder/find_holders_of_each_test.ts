/**
 * findHoldersOfEach() with a fake `ss`: one run per transport for a whole
 * plan, no run for port 0, and the same holders findHolders() finds.
 */

import assert from "node:assert/strict";
import { findHolders, findHoldersOfEach, type HolderQuery } from "../../lib/holder/mod.ts";
import { fakeSs } from "./_fake_ss.ts";

// Captured with `ss -H -n -a -p -e -t` and `-u` (iproute2 6.1): a python3
// listener on 0.0.0.0:7778, nc on udp 127.0.0.1:7777, and a connection that
// its server closed first, in TIME-WAIT on 7780.
const TCP = `\
LISTEN    0      5        0.0.0.0:7778      0.0.0.0:*    users:(("python3",pid=13148,fd=3)) ino:92318 sk:21 cgroup:/ <->
TIME-WAIT 0      0      127.0.0.1:7780    127.0.0.1:50986 timer:(timewait,58sec,0) ino:0 sk:24
`;
const UDP = `\
UNCONN 0      0      127.0.0.1:7777      0.0.0.0:*    users:(("nc",pid=13117,fd=3)) ino:92251 sk:1f cgroup:/ <->
`;

const QUERIES: readonly HolderQuery[] = [
  { transport: "tcp", address: "127.0.0.1", port: 7778 },
  { transport: "udp", address: "127.0.0.1", port: 7777 },
  { transport: "tcp", address: "127.0.0.1", port: 7780 },
  { transport: "tcp", address: "127.0.0.1", port: 0 },
  { transport: "tcp", address: "::1", port: 7778 },
];

Deno.test("findHoldersOfEach() runs ss once per transport, over the span of ports asked", async () => {
  const ss = fakeSs({ tcp: { stdout: TCP }, udp: { stdout: UDP } });
  await findHoldersOfEach(QUERIES, ss.options);
  assert.deepEqual(ss.calls, [
    ["-H", "-n", "-a", "-p", "-e", "-t", "sport >= :7778 and sport <= :7780"],
    ["-H", "-n", "-a", "-p", "-e", "-u", "sport = :7777"],
  ]);
});

Deno.test("findHoldersOfEach() finds for each query what findHolders() finds for it", async () => {
  const ss = fakeSs({ tcp: { stdout: TCP }, udp: { stdout: UDP } });
  const reports = await findHoldersOfEach(QUERIES, ss.options);
  assert.equal(reports.length, QUERIES.length);
  for (const [i, query] of QUERIES.entries()) {
    if (query.port === 0) continue;
    assert.deepEqual(reports[i], await findHolders(query, ss.options), JSON.stringify(query));
  }
  assert.deepEqual(
    reports.map((r) => r.holders.map((h) => `${h.local.address}:${h.local.port} ${h.state}`)),
    [["0.0.0.0:7778 LISTEN"], ["127.0.0.1:7777 UNCONN"], ["127.0.0.1:7780 TIME-WAIT"], [], []],
  );
});

Deno.test("findHoldersOfEach() needs no ss for port 0, which has no holders", async () => {
  const ss = fakeSs({ tcp: null, udp: null });
  const reports = await findHoldersOfEach([QUERIES[3], { ...QUERIES[1], port: 0 }], ss.options);
  assert.deepEqual(reports, [{ supported: true, holders: [] }, { supported: true, holders: [] }]);
  assert.deepEqual(ss.calls, []);
});

Deno.test("findHoldersOfEach() reports unsupported for the queries of a transport ss failed for", async () => {
  const ss = fakeSs({
    tcp: { stdout: TCP },
    udp: { code: 1, stderr: "Cannot open netlink socket" },
  });
  const [tcp, udp] = await findHoldersOfEach(QUERIES.slice(0, 2), ss.options);
  assert.equal(tcp.supported, true);
  assert.deepEqual(udp, {
    supported: false,
    reason: "holder lookup failed: ss exited with code 1 (Cannot open netlink socket); " +
      "instead run: ss -uanp 'sport = :7777'",
    holders: [],
  });
});

Deno.test("findHoldersOfEach() says where it cannot work off Linux, naming the span of ports", async () => {
  const ss = fakeSs({ tcp: { stdout: TCP }, udp: { stdout: UDP } });
  const reports = await findHoldersOfEach(QUERIES, { ...ss.options, os: "darwin" });
  assert.equal(
    reports[0].reason,
    "holder lookup works on Linux only; on macOS run: lsof -nP -iTCP:7778-7780",
  );
  assert.equal(
    reports[1].reason,
    "holder lookup works on Linux only; on macOS run: lsof -nP -iUDP:7777",
  );
  assert.deepEqual(ss.calls, []);
});
