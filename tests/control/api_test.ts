import assert from "node:assert/strict";
import { start } from "../../mod.ts";
import { serveControl } from "../../lib/control/mod.ts";
import { caller, rawResponse } from "./_client.ts";
import { OpenApiChecker } from "./_openapi.ts";
import { MetricsCollector, metricsText } from "../../lib/metrics/mod.ts";
import { parseMetrics } from "../metrics/_prometheus.ts";

const V = "/v1/listeners";
const ONE = "/v1/listeners/{id}";
const FAULTS = "/v1/listeners/{id}/faults";

Deno.test("serveControl() answers every documented operation and status as docs/control.openapi.json describes", async () => {
  const api = new OpenApiChecker();
  const metrics = new MetricsCollector();
  await using server = await start({ listen: ["udp://127.0.0.1:0=echo"], sink: metrics.record });
  await using control = serveControl(server, {
    hostname: "127.0.0.1",
    port: 0,
    maxBodyBytes: 4096,
    metrics: () => metricsText(metrics),
  });
  let resets = 0;
  control.resets.add("example", () => resets++);
  const call = caller(control.url, control.token);
  const [udp] = server.sockets;

  // GET /v1/listeners: 200, 401 (no token, wrong token), 403 (foreign Host).
  const table = await api.check("GET", V, await call("GET", V)) as { listeners: { id: string }[] };
  assert.deepEqual(table.listeners.map((l) => l.id), [udp.id]);
  await api.check("GET", V, await fetch(new URL(V, control.url)));
  // The token with its last character changed (a "0" that was already one
  // would leave it right: one run in 16 of a hex token).
  const last = control.token.at(-1) === "0" ? "1" : "0";
  const wrong = await fetch(new URL(V, control.url), {
    headers: { authorization: `Bearer ${control.token.slice(0, -1)}${last}` },
  });
  assert.equal(wrong.status, 401);
  await api.check("GET", V, wrong);
  const foreign = await rawResponse(
    control.address.port,
    `GET ${V} HTTP/1.1\r\nHost: evil.example:${control.address.port}\r\n` +
      `Authorization: Bearer ${control.token}\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(foreign.status, 403);
  await api.check("GET", V, foreign);

  // POST /v1/listeners: 201, 400 (bad spec, bad JSON), 401, 409 (port held), 413.
  const added = await api.check(
    "POST",
    V,
    await call("POST", V, {
      listen: ["tcp://127.0.0.1:0=echo", { listen: "tcp://127.0.0.1:0=banner", text: "hi" }],
    }),
  ) as { listeners: { id: string; origin: string; local: { port: number } }[] };
  assert.equal(added.listeners.length, 2);
  assert.ok(added.listeners.every((l) => l.origin === "api" && l.local.port > 0));
  const bad = await api.check("POST", V, await call("POST", V, "udp://127.0.0.1:0=banner")) as {
    error: string;
  };
  assert.match(bad.error, /\(spec 1 of POST \/v1\/listeners\): banner is a TCP-only service/);
  // Two bad specs: `error` is still one line, `problems` has each.
  const twoBad = await api.check(
    "POST",
    V,
    await call("POST", V, ["udp://127.0.0.1:0=banner", "tcp://127.0.0.1:0=nosuch"]),
  ) as { error: string; problems: string[] };
  assert.equal(twoBad.problems.length, 2);
  assert.doesNotMatch(twoBad.error, /\n/);
  assert.match(twoBad.error, /banner is a TCP-only service.* \(and 1 more: see "problems"\)$/);
  const notJson = await fetch(new URL(V, control.url), {
    method: "POST",
    headers: { authorization: `Bearer ${control.token}` },
    body: "{tcp",
  });
  assert.equal(notJson.status, 400);
  assert.match(
    (await api.check("POST", V, notJson) as { error: string }).error,
    /not JSON .*: a spec or faults text goes in quotes, as a JSON string, such as "tcp:/,
  );
  await api.check("POST", V, await fetch(new URL(V, control.url), { method: "POST", body: '"x"' }));
  {
    using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const before = server.sockets.length;
    const conflict = await call("POST", V, [
      "tcp://127.0.0.1:0=echo",
      `tcp://127.0.0.1:${held.addr.port}=echo`,
    ]);
    assert.equal(conflict.status, 409);
    const body = await api.check("POST", V, conflict) as { error: string };
    assert.match(body.error, new RegExp(`127\\.0\\.0\\.1:${held.addr.port}`));
    assert.equal(server.sockets.length, before, "all or nothing: nothing stays bound");
  }
  const huge = await call("POST", V, "x".repeat(5000));
  assert.equal(huge.status, 413);
  await api.check("POST", V, huge);

  // GET /v1/listeners/{id}: 200, 404.
  const tcpId = added.listeners[0].id;
  await api.check("GET", ONE, await call("GET", `${V}/${tcpId}`));
  await api.check("GET", ONE, await call("GET", `${V}/tcp-127.0.0.1-1`));

  // PUT and DELETE /v1/listeners/{id}/faults: 200, 400, 404.
  const faulted = await api.check(
    "PUT",
    FAULTS,
    await call("PUT", `${V}/${udp.id}/faults`, "drop=1&seed=1"),
  ) as {
    faults: { text: string };
    faultsBy: string;
  };
  assert.equal(faulted.faults.text, "?drop=1&seed=1");
  assert.equal(faulted.faultsBy, "api");
  await api.check(
    "PUT",
    FAULTS,
    await call("PUT", `${V}/${tcpId}/faults`, { latency: 10, seed: 2 }),
  );
  const wrongKind = await call("PUT", `${V}/${udp.id}/faults`, { latency: 100 });
  assert.equal(wrongKind.status, 400);
  // The error names the faults and the request, not a spec or the library call behind it.
  const { error: wrongKindError } = await wrongKind.clone().json();
  assert.ok(
    wrongKindError.startsWith(
      `Cannot use faults "latency=100" on udp://127.0.0.1:0=echo ` +
        `(spec 1 of PUT /v1/listeners/${udp.id}/faults): `,
    ),
    wrongKindError,
  );
  await api.check("PUT", FAULTS, wrongKind);
  await api.check("PUT", FAULTS, await call("PUT", `${V}/tcp-127.0.0.1-1/faults`, "drop=1"));
  const cleared = await api.check(
    "DELETE",
    FAULTS,
    await call("DELETE", `${V}/${udp.id}/faults`),
  ) as {
    faults: null;
  };
  assert.equal(cleared.faults, null);
  await api.check("DELETE", FAULTS, await call("DELETE", `${V}/tcp-127.0.0.1-1/faults`));

  // POST /v1/reset: 200, 405.
  const reset = await api.check("POST", "/v1/reset", await call("POST", "/v1/reset")) as {
    reset: string[];
  };
  assert.deepEqual(reset.reset, ["example"]);
  assert.equal(resets, 1);
  await api.check("POST", "/v1/reset", await call("GET", "/v1/reset"));

  // GET /metrics: 200 (Prometheus text a real parser reads), 405; 404
  // where the API was given no metrics.
  const exposition = await api.check("GET", "/metrics", await call("GET", "/metrics")) as string;
  const families = await parseMetrics(exposition);
  assert.ok(families.has("muxd_listener_up"), exposition);
  await api.check("GET", "/metrics", await call("POST", "/metrics"));
  {
    await using bare = serveControl(server, { hostname: "127.0.0.1", port: 0 });
    const none = await caller(bare.url, bare.token)("GET", "/metrics");
    assert.equal(none.status, 404);
    await api.check("GET", "/metrics", none);
  }

  // GET /v1/events: 200, an event stream whose data are events.
  const events = await call("GET", "/v1/events");
  await api.check("GET", "/v1/events", events);
  const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes(": muxd events")) text += (await reader.read()).value ?? "";
  const removedId = added.listeners[1].id;
  // DELETE /v1/listeners/{id}: 200, 400 (bad drain), 404.
  await api.check("DELETE", ONE, await call("DELETE", `${V}/${removedId}?drain=-1`));
  const removed = await api.check(
    "DELETE",
    ONE,
    await call("DELETE", `${V}/${removedId}?drain=0.1`),
  ) as {
    closed: { id: string };
  };
  assert.equal(removed.closed.id, removedId);
  await api.check("DELETE", ONE, await call("DELETE", `${V}/${removedId}`));
  while (!/"type":"listener-closed"/.test(text)) text += (await reader.read()).value ?? "";
  const item = JSON.parse(text.split("\n").find((l) => l.includes('"listener-closed"'))!.slice(6));
  api.component("StreamItem", item);
  await reader.cancel();

  assert.deepEqual([...api.seen].sort(), api.documented());
});

Deno.test("serveControl() names the request, never a library call, in the 503 of each change while the server closes", async () => {
  await using server = await start({ listen: ["tcp://127.0.0.1:0=echo"] });
  await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
  const call = caller(control.url, control.token);
  const [echo] = server.sockets;
  // An open connection keeps the server in its grace period.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: echo.local.port });
  const closing = server.close({ graceMs: 10_000 });
  try {
    const one = `${V}/${echo.id}`;
    for (
      const [method, path, body] of [
        ["POST", V, "tcp://127.0.0.1:0=echo"],
        ["PUT", `${one}/faults`, "latency=5"],
        ["DELETE", one, undefined],
      ] as const
    ) {
      const answer = await call(method, path, body);
      assert.equal(answer.status, 503, `${method} ${path}`);
      const { error } = await answer.json() as { error: string };
      assert.equal(error, `${method} ${path}: the server is closing or closed`);
    }
  } finally {
    conn.close();
    await closing;
  }
});
