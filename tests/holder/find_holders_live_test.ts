/**
 * findHolders() running the real `ss` against sockets these tests open
 * themselves. They need Linux, iproute2's `ss` and `--allow-run=ss` (the
 * `test` task has it); without them they are ignored, and the reason printed.
 */

import assert from "node:assert/strict";
import {
  describeHolders,
  findHolders,
  type Holder,
  type HolderQuery,
} from "../../lib/holder/mod.ts";
import { ssProblem } from "../_support/host.ts";

const NO_SS = await ssProblem();
if (NO_SS !== null) console.log(`find_holders_live_test.ts: ignored: ${NO_SS}`);

/** Finds the holders and checks that the lookup was supported. */
async function holdersOf(query: HolderQuery): Promise<readonly Holder[]> {
  const report = await findHolders(query);
  assert.equal(report.supported, true, report.reason);
  return report.holders;
}

/** Polls until `found` picks a holder, for states the kernel reaches on its own time. */
async function waitForHolder(
  query: HolderQuery,
  found: (holder: Holder) => boolean,
): Promise<Holder> {
  // Generous: each look runs ss, which a busy machine may hold up.
  const deadline = Date.now() + 10_000;
  while (true) {
    const holders = await holdersOf(query);
    const holder = holders.find(found);
    if (holder !== undefined) return holder;
    if (Date.now() > deadline) {
      assert.fail(
        `no matching holder of ${JSON.stringify(query)} among ${JSON.stringify(holders)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test({
  name: "findHolders() finds a Deno.listen socket as listening, owned by this process",
  ignore: NO_SS !== null,
  async fn() {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr;
    const holders = await holdersOf({ transport: "tcp", address: "127.0.0.1", port });
    assert.equal(holders.length, 1);
    const [holder] = holders;
    assert.equal(holder.kind, "listening");
    assert.equal(holder.state, "LISTEN");
    assert.deepEqual(holder.local, { address: "127.0.0.1", port });
    assert.equal(holder.remote, null);
    assert.notEqual(holder.inode, 0);
    // A deno process whose command line ps read: this test runner, not muxd.
    assert.deepEqual(holder.process, { pid: Deno.pid, name: "deno", muxd: false });
  },
});

Deno.test({
  name: "findHolders() finds a Deno.listenDatagram socket as bound",
  ignore: NO_SS !== null,
  async fn() {
    // DatagramConn has no [Symbol.dispose] in Deno 2.9: close it in finally.
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      const { port } = socket.addr as Deno.NetAddr;
      const holders = await holdersOf({ transport: "udp", address: "127.0.0.1", port });
      assert.deepEqual(
        holders.map((h) => [h.kind, h.state, h.local, h.process?.pid]),
        [["bound", "UNCONN", { address: "127.0.0.1", port }, Deno.pid]],
      );
    } finally {
      socket.close();
    }
  },
});

Deno.test({
  name: "findHolders() finds a 0.0.0.0 listener when asked about 127.0.0.1",
  ignore: NO_SS !== null,
  async fn() {
    using listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
    const { port } = listener.addr;
    const [holder] = await holdersOf({ transport: "tcp", address: "127.0.0.1", port });
    assert.equal(holder.kind, "listening");
    assert.deepEqual(holder.local, { address: "0.0.0.0", port });
    assert.equal(holder.process?.pid, Deno.pid);
  },
});

Deno.test({
  name: "findHolders() finds a [::] listener when asked about 127.0.0.1 only if it is dual-stack",
  ignore: NO_SS !== null,
  async fn() {
    using listener = Deno.listen({ hostname: "::", port: 0 });
    const { port } = listener.addr;
    const [v6] = await holdersOf({ transport: "tcp", address: "::1", port });
    assert.deepEqual(v6.local, { address: "::", port });
    assert.equal(v6.process?.pid, Deno.pid);
    // Deno sets no IPV6_V6ONLY: `::` is dual-stack unless net.ipv6.bindv6only is 1.
    assert.equal(typeof v6.v6Only, "boolean");
    const v4 = await holdersOf({ transport: "tcp", address: "127.0.0.1", port });
    assert.deepEqual(v4, v6.v6Only ? [] : [v6]);
  },
});

Deno.test({
  name: "findHolders() finds a client's ephemeral port as a connection",
  ignore: NO_SS !== null,
  async fn() {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    using _server = await listener.accept();
    const { port } = client.localAddr;
    const holders = await holdersOf({ transport: "tcp", address: "127.0.0.1", port });
    // Linux may give the same ephemeral port to other connections with other
    // peers (other programs' tests, say): pick ours by its peer.
    const ours = holders.filter((h) => h.remote?.port === listener.addr.port);
    assert.deepEqual(
      ours.map((h) => [h.kind, h.state, h.local, h.remote, h.process?.pid]),
      [[
        "connection",
        "ESTAB",
        { address: "127.0.0.1", port },
        { address: "127.0.0.1", port: listener.addr.port },
        Deno.pid,
      ]],
    );
  },
});

Deno.test({
  name: "findHolders() finds a connection the server closed first in TIME-WAIT, with no process",
  ignore: NO_SS !== null,
  async fn() {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const query: HolderQuery = { transport: "tcp", address: "127.0.0.1", port: listener.addr.port };
    const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const clientPort = client.localAddr.port;
    const server = await listener.accept();
    server.close(); // the side that closes first keeps TIME-WAIT: here, the listener's port
    assert.equal(await client.read(new Uint8Array(1)), null);
    client.close();
    // The last ACK crosses loopback on the kernel's time, not ours: poll briefly.
    const holder = await waitForHolder(query, (h) => h.remote?.port === clientPort);
    assert.equal(holder.kind, "time-wait");
    assert.equal(holder.state, "TIME-WAIT");
    assert.equal(holder.inode, 0);
    assert.equal(holder.process, null);
    assert.match(holder.processUnknownReason ?? "", /no process owns it/);
    const [first] = await holdersOf(query);
    assert.equal(first.kind, "listening");
  },
});

Deno.test({
  name: "describeHolders() names this process as the holder of a port it listens on",
  ignore: NO_SS !== null,
  async fn() {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const query = { transport: "tcp", address: "127.0.0.1", port: listener.addr.port } as const;
    assert.equal(
      describeHolders(await findHolders(query), query),
      `held by a listening socket tcp 127.0.0.1:${query.port} of process ${Deno.pid} (deno)`,
    );
  },
});
