import assert from "node:assert/strict";
import { start } from "../../mod.ts";
import { serveControl } from "../../lib/control/mod.ts";
import { caller } from "./_client.ts";
import { sleep } from "../_support/wait.ts";

/** Sends datagrams 0..count-1 one after another; returns which came back, as "1" and "0". */
async function dropPattern(port: number, count: number): Promise<string> {
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const back = new Set<number>();
  const receiving = (async () => {
    for (;;) {
      const [data] = await client.receive();
      back.add(Number(new TextDecoder().decode(data)));
    }
  })().catch(() => {});
  for (let i = 0; i < count; i++) {
    await client.send(new TextEncoder().encode(String(i)), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    await sleep(2);
  }
  await sleep(300);
  client.close();
  await receiving;
  return Array.from({ length: count }, (_, i) => back.has(i) ? "1" : "0").join("");
}

Deno.test("PUT /v1/listeners/{id}/faults of the faults a listener has already goes on with their random choices; after a DELETE the same seed starts them over", async () => {
  await using server = await start({ listen: ["udp://127.0.0.1:0=echo"] });
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
  const call = caller(control.url, control.token);
  const [udp] = server.sockets;
  const path = `/v1/listeners/${udp.id}/faults`;
  const put = async () => {
    const answer = await call("PUT", path, "drop=0.5&seed=5");
    assert.equal(answer.status, 200);
    await answer.body?.cancel();
  };

  await put();
  const first = await dropPattern(udp.local.port, 30);
  assert.match(first, /0/);
  assert.match(first, /1/);
  await put();
  const again = await dropPattern(udp.local.port, 30);
  assert.notEqual(again, first, "the same faults again go on where they were");

  const cleared = await call("DELETE", path);
  await cleared.body?.cancel();
  await put();
  assert.equal(await dropPattern(udp.local.port, 30), first, "set anew: the seed's choices again");
});
