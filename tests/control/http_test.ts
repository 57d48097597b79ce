import assert from "node:assert/strict";
import { start } from "../../mod.ts";
import { ControlBindError, HttpBindError, serveControl } from "../../lib/control/mod.ts";
import { rawRequest } from "./_client.ts";

const request = (host: string, token: string, extra = "") =>
  `GET /v1/listeners HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\n${extra}` +
  `Connection: close\r\n\r\n`;

Deno.test("serveControl() answers its own address and localhost with its port, and 403 to any other Host", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
  const port = control.address.port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
    assert.match(await rawRequest(port, request(host, control.token)), /^HTTP\/1\.1 200 /, host);
  }
  for (
    const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, "127.0.0.1", `[::2]:${port}`]
  ) {
    const reply = await rawRequest(port, request(host, control.token));
    assert.match(reply, /^HTTP\/1\.1 403 /, host);
    assert.match(reply, /\{"error":"The control API answers only requests addressed to its own/);
  }
});

Deno.test("serveControl() answers a target in absolute form addressed to itself, and 403 to a foreign one", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
  const port = control.address.port;
  const own = `127.0.0.1:${port}`;
  const ask = (authority: string, host: string) =>
    rawRequest(
      port,
      `GET http://${authority}/v1/listeners HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ` +
        `Bearer ${control.token}\r\nConnection: close\r\n\r\n`,
    );
  assert.match(await ask(own, own), /^HTTP\/1\.1 200 [^]*"listeners":\[\]/);
  assert.match(await ask(`localhost:${port}`, own), /^HTTP\/1\.1 200 /);
  // The authority is what the request is for: it wins over Host, both ways.
  assert.match(await ask(own, `evil.example:${port}`), /^HTTP\/1\.1 200 /);
  const refused = await ask(`evil.example:${port}`, own);
  assert.match(refused, /^HTTP\/1\.1 403 /);
  assert.match(refused, /\{"error":"The control API answers only requests addressed to its own/);
});

Deno.test("serveControl() answers [::1] with its port when bound to ::1", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "::1", port: 0 });
  const port = control.address.port;
  using conn = await Deno.connect({ hostname: "::1", port });
  await conn.write(new TextEncoder().encode(request(`[::1]:${port}`, control.token)));
  const reply = new Uint8Array(64);
  const n = await conn.read(reply);
  assert.match(new TextDecoder().decode(reply.subarray(0, n!)), /^HTTP\/1\.1 200 /);
});

Deno.test("serveControl() closes a connection whose request head does not arrive in time (slowloris)", async () => {
  await using server = await start();
  await using control = serveControl(server, {
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: 200,
  });
  const reply = await rawRequest(control.address.port, "GET /v1/listeners HTTP/1.1\r\nHost: x");
  assert.equal(reply, "");
});

Deno.test("serveControl() closes a connection whose body does not arrive in time", async () => {
  await using server = await start();
  await using control = serveControl(server, {
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: 200,
  });
  const port = control.address.port;
  const reply = await rawRequest(
    port,
    `POST /v1/listeners HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ` +
      `${control.token}\r\nContent-Length: 100\r\n\r\n"tcp://`,
  );
  assert.equal(reply, "");
  assert.equal(server.sockets.length, 0);
});

Deno.test("serveControl() answers 503 past its connection cap and serves again once one closes", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0, maxClients: 2 });
  const port = control.address.port;
  // Event streams hold their slots (a connection that waits for a request would yield its own).
  const held = [
    await Deno.connect({ hostname: "127.0.0.1", port }),
    await Deno.connect({ hostname: "127.0.0.1", port }),
  ];
  for (const conn of held) {
    await conn.write(new TextEncoder().encode(
      `GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ` +
        `${control.token}\r\n\r\n`,
    ));
    await conn.read(new Uint8Array(1024));
  }
  try {
    // The acceptor takes each held connection before the next is counted.
    const reply = await rawRequest(port, request(`127.0.0.1:${port}`, control.token));
    assert.match(reply, /^HTTP\/1\.1 503 /);
  } finally {
    for (const conn of held) conn.close();
  }
  for (let i = 0;; i++) {
    const reply = await rawRequest(port, request(`127.0.0.1:${port}`, control.token));
    if (/^HTTP\/1\.1 200 /.test(reply)) break;
    assert.ok(i < 50, "serves again once the held connections closed");
    await new Promise((r) => setTimeout(r, 20));
  }
});

Deno.test("serveControl() streams /v1/events to a client that half-closed its side", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
  const port = control.address.port;
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  // As `printf 'GET /v1/events ...' | nc -N` does: the request, then FIN.
  await conn.write(
    new TextEncoder().encode(
      `GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ` +
        `${control.token}\r\n\r\n`,
    ),
  );
  await conn.closeWrite();
  let text = "";
  const buffer = new Uint8Array(65536);
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const n = await conn.read(buffer);
      assert.notEqual(n, null, `the stream ended before ${pattern}: ${text}`);
      text += new TextDecoder().decode(buffer.subarray(0, n!));
    }
  };
  await readUntil(/: muxd events\n\n/);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await server.add(["tcp://127.0.0.1:0=echo"]);
  await readUntil(/data: \{"type":"listening"/);
});

Deno.test("serveControl() gives a new connection the slot of the oldest one that sends no request", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0, maxClients: 2 });
  const port = control.address.port;
  const held = [
    await Deno.connect({ hostname: "127.0.0.1", port }),
    await Deno.connect({ hostname: "127.0.0.1", port }),
  ];
  try {
    for (let i = 0; i < 4; i++) {
      assert.match(
        await rawRequest(port, request(`127.0.0.1:${port}`, control.token)),
        /^HTTP\/1\.1 200 /,
        `request ${i}, with every slot held by a connection that sends nothing`,
      );
    }
  } finally {
    for (const conn of held) conn.close();
  }
});

Deno.test("serveControl() gives a new connection the slot of one that lingers after its answer without reading or closing", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0, maxClients: 2 });
  const port = control.address.port;
  const held: Deno.TcpConn[] = [];
  try {
    // Each got its answer and the end of its stream, and neither closes nor
    // sends more: the control API lingers 1 s for its close.
    for (let i = 0; i < 2; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      held.push(conn);
      await conn.write(new TextEncoder().encode(request(`127.0.0.1:${port}`, control.token)));
      let text = "";
      const buffer = new Uint8Array(65536);
      for (let n; (n = await conn.read(buffer)) !== null;) {
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
      assert.match(text, /^HTTP\/1\.1 200 /);
    }
    assert.match(
      await rawRequest(port, request(`127.0.0.1:${port}`, control.token)),
      /^HTTP\/1\.1 200 /,
      "with every slot held by a lingering connection",
    );
  } finally {
    for (const conn of held) conn.close();
  }
});

Deno.test("serveControl() refuses a chunked body with a 400 that says to send a Content-Length", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
  const port = control.address.port;
  const reply = await rawRequest(
    port,
    `POST /v1/listeners HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ` +
      `${control.token}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"tcp"\r\n0\r\n\r\n`,
  );
  assert.match(reply, /^HTTP\/1\.1 400 [^]*Content-Length, not chunked/);
});

Deno.test("serveControl() checks the token before it reads a body: 401 for a large body without one", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
  const port = control.address.port;
  const reply = await rawRequest(
    port,
    `POST /v1/listeners HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 99999999\r\n\r\n`,
  );
  assert.match(reply, /^HTTP\/1\.1 401 /);
});

Deno.test("serveControl() throws a ControlBindError naming the control API and its address when the address is in use", async () => {
  await using server = await start();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = taken.addr.port;
  assert.throws(
    () => serveControl(server, { hostname: "127.0.0.1", port }),
    (error: unknown) => {
      assert.ok(error instanceof ControlBindError);
      assert.ok(error instanceof HttpBindError);
      assert.equal(error.name, "ControlBindError");
      assert.equal(error.code, "EADDRINUSE");
      assert.match(
        error.message,
        new RegExp(
          `^Cannot bind the control API at http://127\\.0\\.0\\.1:${port}/: address already in use`,
        ),
      );
      // The fix it suggests is the control API's own option, not the dashboard's.
      assert.match(error.message, /choose another address with --control\./);
      assert.ok(error.cause instanceof Deno.errors.AddrInUse);
      return true;
    },
  );
});
