import assert from "node:assert/strict";
import { ConnectionTable } from "../../lib/dispatch/connections.ts";

/** `count` real connections on loopback: the accepted (server) sides, and the client sides. */
async function pairs(
  count: number,
): Promise<{ accepted: Deno.TcpConn[]; clients: Deno.TcpConn[] }> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.TcpConn[] = [];
  const clients: Deno.TcpConn[] = [];
  for (let i = 0; i < count; i++) {
    clients.push(await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }));
    accepted.push(await listener.accept());
  }
  return { accepted, clients };
}

/** Whether the peer of `client` was closed: its read ends. */
async function peerClosed(client: Deno.TcpConn): Promise<boolean> {
  return await client.read(new Uint8Array(1)) === null;
}

Deno.test("connection table: releases in any order, each once, and tells when it is empty", async () => {
  const { accepted, clients } = await pairs(6);
  const table = new ConnectionTable();
  const entries = accepted.map((conn) => table.add(conn));
  assert.equal(table.size, 6);
  const drained = table.drain(5_000);
  // Out of order, and one twice: the second release of an entry changes nothing.
  for (const i of [3, 0, 5, 5, 1, 4]) table.release(entries[i]);
  assert.equal(table.size, 1);
  table.release(entries[2]);
  assert.equal(table.size, 0);
  assert.equal(await drained, true);
  for (const client of clients) {
    assert.ok(await peerClosed(client));
    client.close();
  }
});

Deno.test("connection table: closeAll() closes every open connection and marks it forced", async () => {
  const { accepted, clients } = await pairs(4);
  const table = new ConnectionTable();
  const entries = accepted.map((conn) => table.add(conn));
  table.release(entries[1]);
  table.closeAll();
  assert.deepEqual(entries.map((e) => e.forced), [true, false, true, true]);
  for (const client of clients) {
    assert.ok(await peerClosed(client));
    client.close();
  }
  // Released after being closed: the socket is not closed twice.
  for (const e of entries) table.release(e);
  assert.equal(table.size, 0);
});

Deno.test("connection table: sweep() closes only connections idle for their idle time", async () => {
  const { accepted, clients } = await pairs(3);
  const table = new ConnectionTable();
  const traffic = accepted.map(() => ({ bytesIn: 0, bytesOut: 0 }));
  const entries = accepted.map((conn, i) => table.add(conn, traffic[i], 1_000, 0));
  traffic[1].bytesIn = 10; // this one moved a byte
  assert.equal(table.sweep(500), 0);
  assert.equal(table.sweep(1_200), 2);
  assert.deepEqual(entries.map((e) => e.idle), [true, false, true]);
  assert.ok(await peerClosed(clients[0]));
  assert.ok(await peerClosed(clients[2]));
  assert.equal(table.sweep(1_600), 1, "the busy one, quiet since 500 ms, after 1,000 ms more");
  for (const e of entries) table.release(e);
  for (const client of clients) client.close();
});
