/**
 * The node-backed TCP listener (for listeners whose faults reset
 * connections) against real clients: `reset()` is a real RST that python's
 * socket and `Deno.connect` see as ECONNRESET, `close()` is a FIN, and it
 * binds, fails and throws like a `Deno.listen` listener.
 */

import assert from "node:assert/strict";
import { bindAll, bindOne, listenNodeTcp, NodeTcpListener } from "../../lib/bind/mod.ts";
import { planOf } from "../_support/plan.ts";
import { readExactly } from "../_support/socket.ts";
import { isPeerGone } from "../../lib/dispatch/context.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * A python client: connects to `port`, sends one byte, then reads until
 * the end and prints how the connection ended: `EOF` or `ECONNRESET`.
 */
function pythonClient(port: number): { ended: Promise<string> } {
  const script = [
    "import socket, sys",
    "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
    "s.sendall(b'x')",
    "try:",
    "    while s.recv(4096): pass",
    "    print('EOF')",
    "except ConnectionResetError:",
    "    print('ECONNRESET')",
  ].join("\n");
  const child = new Deno.Command("python3", {
    args: ["-c", script, String(port)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  return {
    ended: child.output().then((out) => new TextDecoder().decode(out.stdout).trim()),
  };
}

/** How a Deno client's connection ends: `EOF`, `ECONNRESET`, or the error's name. */
async function howItEnds(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(4096);
  try {
    while (await conn.read(buffer) !== null);
    return "EOF";
  } catch (error) {
    return error instanceof Deno.errors.ConnectionReset ? "ECONNRESET" : String(error);
  }
}

for (const [how, expected] of [["reset", "ECONNRESET"], ["close", "EOF"]] as const) {
  Deno.test(`NodeTcpConn.${how}() ends a python client's connection with ${expected}`, async () => {
    const listener = listenNodeTcp("127.0.0.1", 0, false);
    try {
      const client = pythonClient(listener.addr.port);
      const conn = await listener.accept();
      // The client's byte is read: what ends the connection is the call alone.
      assert.equal(await conn.read(new Uint8Array(1)), 1);
      conn[how]();
      assert.equal(await client.ended, expected);
    } finally {
      listener.close();
    }
  });

  Deno.test(`NodeTcpConn.${how}() ends a Deno client's connection with ${expected}, after what it wrote`, async () => {
    const listener = listenNodeTcp("127.0.0.1", 0, false);
    try {
      const accepted = listener.accept();
      using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      const conn = await accepted;
      await conn.write(bytes("hello"));
      assert.deepEqual(await readExactly(client, 5), bytes("hello"));
      conn[how]();
      assert.equal(await howItEnds(client), expected);
    } finally {
      listener.close();
    }
  });
}

/**
 * A python client that sends `hello`, waits for one byte (so that the
 * connection is accepted by then), then resets it (SO_LINGER 0, then close).
 */
function resettingClient(port: number): Promise<Deno.CommandOutput> {
  const script = [
    "import socket, struct, sys",
    "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
    "s.sendall(b'hello')",
    "s.recv(1)",
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
    "s.close()",
  ].join("\n");
  return new Deno.Command("python3", { args: ["-c", script, String(port)] }).output();
}

Deno.test("NodeTcpConn.read() throws ConnectionReset when the client resets, as a Deno.TcpConn does", async () => {
  for (const kind of ["deno", "node"]) {
    const listener = kind === "deno"
      ? Deno.listen({ hostname: "127.0.0.1", port: 0 })
      : listenNodeTcp("127.0.0.1", 0, false);
    try {
      const client = resettingClient(listener.addr.port);
      const conn = await listener.accept();
      await conn.write(bytes("!"));
      assert.equal((await client).code, 0);
      const buffer = new Uint8Array(16);
      const reads: (number | null | string)[] = [];
      try {
        for (let n; (n = await conn.read(buffer)) !== null;) reads.push(n);
        reads.push(null);
      } catch (error) {
        reads.push(error instanceof Error ? error.name : String(error));
      }
      assert.deepEqual(reads, [5, "ConnectionReset"], kind);
      await assert.rejects(conn.write(bytes("x")), Error);
      conn.close();
    } finally {
      listener.close();
    }
  }
});

Deno.test("NodeTcpConn.write() waiting when the client resets fails as a Deno.TcpConn's does, not with node's ECANCELED", async () => {
  for (const kind of ["deno", "node"]) {
    for (const reading of [false, true]) {
      const listener = kind === "deno"
        ? Deno.listen({ hostname: "127.0.0.1", port: 0 })
        : listenNodeTcp("127.0.0.1", 0, false);
      try {
        const script = [
          "import socket, sys",
          "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
          "sys.stdin.read()",
          "s.close()",
        ].join("\n");
        const client = new Deno.Command("python3", {
          args: ["-c", script, String(listener.addr.port)],
          stdin: "piped",
        }).spawn();
        const conn = await listener.accept();
        // A read waits too, as one does under a service that reads and writes.
        const read = reading ? conn.read(new Uint8Array(8)).catch((error) => error) : null;
        const chunk = new Uint8Array(64 * 1024);
        let written = 0;
        const failed = (async () => {
          for (;;) written += await conn.write(chunk);
        })().catch((error) => error);
        // Once a write waits (the client's buffers are full), the client closes.
        for (let before = -1; before !== written;) {
          before = written;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await client.stdin.close();
        assert.equal((await client.status).code, 0);
        const error = await failed;
        assert.ok(isPeerGone(error), `${kind}, reading ${reading}: ${error}`);
        await read;
        conn.close();
      } finally {
        listener.close();
      }
    }
  }
});

Deno.test("NodeTcpConn keeps what does not fit the reader's buffer, half-closes both ways, and fails like a Deno.TcpConn after", async () => {
  const listener = listenNodeTcp("127.0.0.1", 0, false);
  try {
    const accepted = listener.accept();
    using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const conn = await accepted;
    await client.write(bytes("abcdef"));
    await client.closeWrite();
    const small = new Uint8Array(4);
    let got = "";
    for (let n; (n = await conn.read(small)) !== null;) {
      got += new TextDecoder().decode(small.subarray(0, n));
    }
    assert.equal(got, "abcdef");
    assert.equal(await conn.read(small), null);
    // Its side still writes after the client's end, then ends too.
    await conn.write(bytes("back"));
    await conn.closeWrite();
    await conn.closeWrite();
    await assert.rejects(conn.write(bytes("late")), Deno.errors.BrokenPipe);
    assert.deepEqual(await readExactly(client, 4), bytes("back"));
    assert.equal(await client.read(small), null);
    // A read waiting when the connection is closed fails as Deno's does.
    conn.close();
    await assert.rejects(conn.read(small), Deno.errors.BadResource);
    await assert.rejects(conn.write(small), Deno.errors.BadResource);
    assert.throws(() => conn.close(), Deno.errors.BadResource);
  } finally {
    listener.close();
  }
});

Deno.test("NodeTcpConn.read() waiting when the connection is closed fails with Interrupted", async () => {
  const listener = listenNodeTcp("127.0.0.1", 0, false);
  try {
    const accepted = listener.accept();
    using _client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const conn = await accepted;
    const pending = conn.read(new Uint8Array(8));
    conn.close();
    await assert.rejects(pending, Deno.errors.Interrupted);
  } finally {
    listener.close();
  }
});

Deno.test("NodeTcpListener.close() fails a waiting accept() with BadResource and frees the port at once", async () => {
  const listener = listenNodeTcp("127.0.0.1", 0, false);
  const pending = listener.accept();
  listener.close();
  await assert.rejects(pending, Deno.errors.BadResource);
  using again = Deno.listen({ hostname: "127.0.0.1", port: listener.addr.port });
  assert.equal(again.addr.port, listener.addr.port);
  assert.throws(() => listener.close(), Deno.errors.BadResource);
});

Deno.test("bindOne() binds a listener with reset-after on node:net, on IPv4, [::1] and port 0", async () => {
  for (const [host, address] of [["127.0.0.2", "127.0.0.2"], ["[::1]", "::1"]]) {
    const [listener] = planOf(`tcp://${host}:0=echo?reset-after=1GiB`).listeners;
    const bound = bindOne(listener);
    assert.ok(bound.transport === "tcp");
    try {
      assert.ok(bound.socket instanceof NodeTcpListener);
      assert.equal(bound.local.address, address);
      assert.notEqual(bound.local.port, 0);
      const accepted = bound.socket.accept();
      using client = await Deno.connect({ hostname: address, port: bound.local.port });
      const conn = await accepted;
      assert.deepEqual(conn.localAddr, { ...client.remoteAddr });
      assert.deepEqual(conn.remoteAddr, { ...client.localAddr });
      conn.close();
    } finally {
      bound.socket.close();
    }
  }
  // Without the fault, Deno's listener as ever.
  const [plain] = planOf("tcp://127.0.0.1:0=echo?close-after=1GiB").listeners;
  const bound = bindOne(plain);
  bound.socket.close();
  assert.ok(!(bound.socket instanceof NodeTcpListener));
});

Deno.test("bindOne() fails a node-backed listener with the very error Deno.listen throws", () => {
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = held.addr.port;
  const fails = (spec: string) => {
    try {
      bindOne(planOf(spec).listeners[0]).socket.close();
    } catch (error) {
      return error as Error;
    }
    throw new Error(`${spec} bound`);
  };
  for (
    const [where, errorClass] of [
      [`127.0.0.1:${port}`, Deno.errors.AddrInUse],
      // 192.0.2.1 is TEST-NET-1 (RFC 5737): on no host's interfaces. Binding sends nothing.
      ["192.0.2.1:0", Deno.errors.AddrNotAvailable],
    ] as const
  ) {
    const deno = fails(`tcp://${where}=echo`);
    const node = fails(`tcp://${where}=echo?reset-after=1GiB`);
    assert.ok(node instanceof errorClass, String(node));
    assert.equal(node.constructor, deno.constructor);
    assert.equal(node.message, deno.message);
  }
});

Deno.test("bindAll() binds the wildcard with reset-after and fails the address it covers, in one call", () => {
  // 0.0.0.0:P and 127.0.0.1:P conflict: the node-backed one must hold its
  // port by the time the next bind runs, in the same synchronous call.
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = held.addr.port;
  held.close();
  const { bound, failures } = bindAll(
    planOf(`tcp://0.0.0.0:${port}=echo?reset-after=1GiB`, `tcp://127.0.0.1:${port}=whoami`)
      .listeners,
  );
  for (const b of bound) b.socket.close();
  assert.equal(bound.length, 1);
  assert.equal(failures.length, 1);
  assert.ok(failures[0].cause instanceof Deno.errors.AddrInUse, String(failures[0].cause));
});

Deno.test("NodeTcpConn.write() at once reaches a client that half-closed before muxd took the connection", async () => {
  // Deno 2.9's node:net fails with EPIPE a write made in the turn of the
  // event loop that accepted a connection whose client had half-closed.
  const listener = listenNodeTcp("127.0.0.1", 0, false);
  try {
    for (let i = 0; i < 20; i++) {
      using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      await client.closeWrite();
      const conn = await listener.accept();
      try {
        assert.equal(await conn.write(new TextEncoder().encode("hello\n")), 6);
      } finally {
        conn.close();
      }
      assert.equal(new TextDecoder().decode(await readExactly(client, 6)), "hello\n");
    }
  } finally {
    listener.close();
  }
});
