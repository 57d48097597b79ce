import assert from "node:assert/strict";
import { Acceptor } from "../../lib/dashboard/acceptor.ts";
import type { Link } from "../../lib/dashboard/link.ts";

const encoder = new TextEncoder();

/**
 * An acceptor whose connections say what they are with their first byte:
 * `s` an event stream, anything else a request being answered; each gets
 * `ok` (or `full` when refused) and is held until its client closes.
 */
function holdingAcceptor(listener: Deno.TcpListener, maxClients: number, streamsPerSource: number) {
  const hold = async (link: Link, answer: string) => {
    const buffer = new Uint8Array(16);
    const n = await link.read(buffer);
    if (n !== null && buffer[0] === 0x73) link.beginStream();
    await link.write(encoder.encode(answer));
    while (await link.read(buffer) !== null);
    link.close();
  };
  return new Acceptor(listener, {
    maxClients,
    streamsPerSource,
    pauseMs: 100,
    warnIntervalMs: 10_000,
    name: "the test",
    warn: (message) => assert.fail(message),
    serve: (link) => hold(link, "ok"),
    refuse: (link) => hold(link, "full"),
  });
}

/** Connects, says `what`, and reads the answer (`""` when closed). */
async function open(port: number, what: string): Promise<{ conn: Deno.TcpConn; answer: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(what));
  const buffer = new Uint8Array(16);
  const n = await conn.read(buffer);
  return { conn, answer: new TextDecoder().decode(buffer.subarray(0, n ?? 0)) };
}

Deno.test("Acceptor refuses a new connection when every slot is a request being answered or a source's streams within its share", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const acceptor = holdingAcceptor(listener, 3, 2);
  const held: Deno.TcpConn[] = [];
  try {
    for (const what of ["s", "s", "b"]) {
      const { conn, answer } = await open(listener.addr.port, what);
      held.push(conn);
      assert.equal(answer, "ok");
    }
    const over = await open(listener.addr.port, "b");
    held.push(over.conn);
    assert.equal(over.answer, "full");
  } finally {
    for (const conn of held) conn.close();
    await acceptor.close();
  }
});

Deno.test("Acceptor gives a new connection the slot of the oldest stream of a source past its share", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const acceptor = holdingAcceptor(listener, 3, 2);
  const held: Deno.TcpConn[] = [];
  try {
    for (const what of ["b", "s", "s"]) {
      const { conn, answer } = await open(listener.addr.port, what);
      held.push(conn);
      assert.equal(answer, "ok");
    }
    // 2 streams, the share: refused.
    const refused = await open(listener.addr.port, "s");
    assert.equal(refused.answer, "full");
    refused.conn.close();
    // Make it 3 streams, past the share: the busy one goes, and its slot is a stream's now.
    held.shift()!.close();
    let answer = "";
    for (let tries = 0; tries < 50 && answer !== "ok"; tries++) {
      const next = await open(listener.addr.port, "s");
      held.push(next.conn);
      answer = next.answer;
    }
    assert.equal(answer, "ok");
    // 3 streams from 127.0.0.1: a newcomer takes the oldest one's slot.
    const newcomer = await open(listener.addr.port, "b");
    held.push(newcomer.conn);
    assert.equal(newcomer.answer, "ok");
    assert.equal(await held[0].read(new Uint8Array(16)), null, "the oldest stream was closed");
  } finally {
    for (const conn of held) conn.close();
    await acceptor.close();
  }
});
