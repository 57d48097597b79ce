import assert from "node:assert/strict";
import { start } from "../../mod.ts";
import { serveControl } from "../../lib/control/mod.ts";
import { caller } from "./_client.ts";

// The full run (1,000 listeners, RSS and latency figures) is `deno task bench:control`.
Deno.test("serveControl() adds and removes 100 listeners one call at a time, and every socket closes", async () => {
  await using server = await start();
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
  const call = caller(control.url, control.token);
  const added: { id: string; transport: string; local: { port: number } }[] = [];
  for (let i = 0; i < 100; i++) {
    const response = await call(
      "POST",
      "/v1/listeners",
      `${i % 2 ? "udp" : "tcp"}://127.0.0.1:0=echo`,
    );
    assert.equal(response.status, 201);
    added.push(...(await response.json()).listeners);
  }
  assert.equal(server.sockets.length, 100);
  for (const listener of added) {
    const response = await call("DELETE", `/v1/listeners/${listener.id}`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  }
  assert.equal(server.sockets.length, 0);
  // Every TCP port refuses now; the resource sanitizer checks that nothing else stayed open.
  for (const l of added.filter((l) => l.transport === "tcp")) {
    await assert.rejects(
      Deno.connect({ hostname: "127.0.0.1", port: l.local.port }),
      Deno.errors.ConnectionRefused,
    );
  }
});
