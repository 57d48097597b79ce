import assert from "node:assert/strict";
import { assertNoStackTrace, runMuxdExpectingFailure, startMuxd } from "../_support/process.ts";
import { caller } from "../control/_client.ts";
import { waitUntil } from "../_support/wait.ts";
import { freeRange } from "../_support/socket.ts";

interface Listener {
  readonly id: string;
  readonly origin: string;
  readonly local: { readonly port: number };
  readonly faults: { readonly text: string } | null;
  readonly faultsBy: string;
}

/** `muxd serve` with a UDP echo listener, the control API and `readyFile`. */
function udpEchoControlled(readyFile: string): string[] {
  return [
    "serve",
    "-l",
    "udp://127.0.0.1:0=echo",
    "--control",
    "127.0.0.1:0",
    "--ready-file",
    readyFile,
  ];
}

/** What the ready file records of a listener. */
type Recorded = { id: string; faults: { text: string } | null };

/** The listeners the ready file at `path` records now. */
async function recordedSockets(path: string): Promise<Recorded[]> {
  return JSON.parse(await Deno.readTextFile(path)).sockets;
}

Deno.test("muxd serve --control: a listener added and faults set through the API survive a SIGHUP that changes other listeners", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-control-" });
  try {
    const config = `${dir}/muxd.jsonc`;
    const readyFile = `${dir}/ready.json`;
    await Deno.writeTextFile(config, JSON.stringify({ listen: ["udp://127.0.0.1:0=echo"] }));
    await using muxd = await startMuxd([
      "serve",
      "-c",
      config,
      "--control",
      "127.0.0.1:0",
      "--ready-file",
      readyFile,
    ]);
    const { control } = muxd.ready;
    assert.ok(control !== null && control.token.length >= 32);
    const call = caller(control.url, control.token);
    const [udp] = muxd.ready.sockets;

    const added = await call("POST", "/v1/listeners", "tcp://127.0.0.1:0=echo");
    assert.equal(added.status, 201);
    const [tcp] = (await added.json()).listeners as Listener[];
    const faulted = await call("PUT", `/v1/listeners/${udp.id}/faults`, "drop=1&seed=1");
    assert.equal(faulted.status, 200);
    await faulted.body?.cancel();

    // A reload that adds another listener and leaves the UDP one as it was.
    await Deno.writeTextFile(
      config,
      JSON.stringify({ listen: ["udp://127.0.0.1:0=echo", "tcp://127.0.0.1:0=daytime"] }),
    );
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: reloaded/);

    const after = await call("GET", "/v1/listeners");
    const listeners = (await after.json()).listeners as Listener[];
    const byId = new Map(listeners.map((l) => [l.id, l]));
    assert.equal(byId.get(tcp.id)?.origin, "api", "the API's listener is kept");
    assert.equal(byId.get(udp.id)?.faults?.text, "?drop=1&seed=1", "the API's faults are kept");
    assert.equal(byId.get(udp.id)?.faultsBy, "api");
    assert.ok(
      listeners.some((l) => l.origin === "config" && l.id !== udp.id),
      "the reload added one",
    );
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: tcp.local.port });
    await conn.write(new TextEncoder().encode("hi"));
    const reply = new Uint8Array(2);
    assert.equal(await conn.read(reply), 2);
    assert.match(muxd.stderr(), /faults set through the API kept on 1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve --control rewrites its ready file after each API change: a listener added, its faults, its removal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-control-" });
  try {
    const readyFile = `${dir}/ready.json`;
    await using muxd = await startMuxd(udpEchoControlled(readyFile));
    const { control } = muxd.ready;
    const call = caller(control!.url, control!.token);
    const recorded = () => recordedSockets(readyFile);
    const until = (what: string, ok: (sockets: Recorded[]) => boolean) => {
      let last: Recorded[] = [];
      return waitUntil(
        async () => ok(last = await recorded()),
        5000,
        `the ready file to show ${what}`,
        () => `it holds ${JSON.stringify(last)}`,
      );
    };

    const added = await call("POST", "/v1/listeners", "tcp://127.0.0.1:0=echo");
    const [tcp] = (await added.json()).listeners as Listener[];
    await until("the added listener", (s) => s.some((l) => l.id === tcp.id));
    const faulted = await call("PUT", `/v1/listeners/${tcp.id}/faults`, "latency=5");
    await faulted.body?.cancel();
    await until("its faults", (s) => s.find((l) => l.id === tcp.id)?.faults?.text === "?latency=5");
    const removed = await call("DELETE", `/v1/listeners/${tcp.id}`);
    await removed.body?.cancel();
    await until("it removed", (s) => s.length === 1 && s[0].id !== tcp.id);
    // The log says each change, as it says a reload's.
    const name = `tcp 127.0.0.1:${tcp.local.port} echo`;
    await muxd.waitForStderr(`control API: DELETE /v1/listeners/${tcp.id} removed ${name} `);
    const log = muxd.stderr();
    assert.match(log, new RegExp(`INF control API: POST /v1/listeners added ${name}\n`));
    // A change of faults has the line every change of faults has.
    assert.match(
      log,
      new RegExp(`faults of tcp 127\\.0\\.0\\.1:${tcp.local.port} -> echo changed through the API`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve --control answers a change only once the ready file shows it: a reader of the file right after the answer never sees the record from before", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-control-" });
  try {
    const readyFile = `${dir}/ready.json`;
    await using muxd = await startMuxd(udpEchoControlled(readyFile));
    const { control } = muxd.ready;
    const call = caller(control!.url, control!.token);
    // One read, at once: a test fixture reads the file after the answer, and does not poll.
    const recorded = () => recordedSockets(readyFile);
    for (let round = 0; round < 10; round++) {
      const added = await call("POST", "/v1/listeners", "tcp://127.0.0.1:0=echo");
      assert.equal(added.status, 201);
      const [tcp] = (await added.json()).listeners as Listener[];
      assert.ok((await recorded()).some((l) => l.id === tcp.id), `round ${round}: added`);
      const faulted = await call("PUT", `/v1/listeners/${tcp.id}/faults`, "latency=5");
      await faulted.body?.cancel();
      const faults = (await recorded()).find((l) => l.id === tcp.id)?.faults?.text;
      assert.equal(faults, "?latency=5", `round ${round}: its faults`);
      const removed = await call("DELETE", `/v1/listeners/${tcp.id}`);
      await removed.body?.cancel();
      assert.ok(!(await recorded()).some((l) => l.id === tcp.id), `round ${round}: removed`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve --control-token-file uses the file's token, and a bad file stops muxd with one line and exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-control-" });
  try {
    const good = `${dir}/token`;
    const token = "t".repeat(40);
    await Deno.writeTextFile(good, token + "\n");
    {
      await using muxd = await startMuxd([
        "serve",
        "-l",
        "tcp://127.0.0.1:0=echo",
        "--control",
        "127.0.0.1:0",
        "--control-token-file",
        good,
      ]);
      assert.equal(muxd.ready.control?.token, token);
      const response = await caller(muxd.ready.control!.url, token)("GET", "/v1/listeners");
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    const bad = `${dir}/short`;
    await Deno.writeTextFile(bad, "abc\n");
    for (
      const [path, reason] of [[bad, /the token has 3 characters; it needs at least 32/], [
        `${dir}/none`,
        /no such file/,
      ]] as const
    ) {
      const finished = await runMuxdExpectingFailure([
        "serve",
        "-l",
        "tcp://127.0.0.1:0=echo",
        "--control",
        "127.0.0.1:0",
        "--control-token-file",
        path,
      ]);
      assert.equal(finished.code, 2);
      assertNoStackTrace(finished);
      const lines = finished.stderr.trim().split("\n").filter((l) => l.startsWith("muxd:"));
      assert.equal(lines.length, 1, finished.stderr);
      assert.match(
        lines[0],
        /^muxd: Cannot (use|read) the control token file .* \(--control-token-file\): /,
      );
      assert.match(lines[0], reason);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve --control on an address in use exits 1 with one line that names the address and --control", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${taken.addr.port}`;
  const finished = await runMuxdExpectingFailure([
    "serve",
    "-l",
    "tcp://127.0.0.1:0=echo",
    "--control",
    address,
  ]);
  assert.equal(finished.code, 1, finished.stderr);
  assertNoStackTrace(finished);
  const lines = finished.stderr.split("\n").filter((l) => / ERR /.test(l));
  assert.equal(lines.length, 1, finished.stderr);
  assert.match(
    lines[0],
    new RegExp(
      `ERR Cannot bind the control API at http://${address.replaceAll(".", "\\.")}/: ` +
        "address already in use: .*choose another address with --control\\. " +
        `It is held by a listening socket tcp ${address.replaceAll(".", "\\.")} of process ` +
        `${Deno.pid} \\(deno\\)\\. Nothing is being served\\.$`,
    ),
  );
});

Deno.test("muxd serve --control 0.0.0.0:0 without --public is refused in one line, exit 2", async () => {
  const finished = await runMuxdExpectingFailure([
    "serve",
    "-l",
    "tcp://127.0.0.1:0=echo",
    "--control",
    "0.0.0.0:0",
  ]);
  assert.equal(finished.code, 2);
  assertNoStackTrace(finished);
  assert.match(
    finished.stderr,
    /Cannot use control address "0\.0\.0\.0:0" \(--control\): 0\.0\.0\.0 is the wildcard.*--public/,
  );
});

Deno.test("muxd serve --control --dashboard: POST /v1/reset sets the dashboard's and the /metrics counters back to zero", async () => {
  await using muxd = await startMuxd([
    "serve",
    "-l",
    "tcp://127.0.0.1:0=echo",
    "--dashboard",
    "127.0.0.1:0",
    "--control",
    "127.0.0.1:0",
  ]);
  const { control, dashboard } = muxd.ready;
  assert.ok(control !== null && dashboard !== null);
  const port = muxd.ready.sockets[0].port;
  const opened = async () => {
    const text = await (await fetch(`${dashboard}metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("muxd_connections_opened_total{"));
    return Number(line?.split(" ").at(-1));
  };
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.close();
  for (let i = 0; i < 100 && await opened() !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await opened(), 1);
  const reset = await caller(control.url, control.token)("POST", "/v1/reset");
  assert.deepEqual((await reset.json()).reset, ["dashboard", "metrics"]);
  assert.equal(await opened(), 0);
});

Deno.test("muxd serve --control: a port range added through the API is one socket per port, and the log names it as one range", async () => {
  const first = freeRange(500);
  const last = first + 499;
  await using muxd = await startMuxd(["serve", "--control", "127.0.0.1:0"]);
  const { control } = muxd.ready;
  const call = caller(control!.url, control!.token);
  const added = await call("POST", "/v1/listeners", [
    `tcp://127.0.0.1:${first}-${last}=echo`,
    `udp://127.0.0.1:${first}-${first + 1}=echo`,
  ]);
  assert.equal(added.status, 201);
  const listeners = (await added.json()).listeners as Listener[];
  assert.equal(listeners.length, 502);
  // It named each of the 502 sockets in one line of 13 KB.
  await muxd.waitForStderr(
    `INF control API: POST /v1/listeners added tcp 127.0.0.1:${first}-${last} echo, ` +
      `udp 127.0.0.1:${first}-${first + 1} echo\n`,
  );
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: last });
  await conn.write(new TextEncoder().encode("x"));
  const back = new Uint8Array(1);
  assert.equal(await conn.read(back), 1);
  const removed = await call("DELETE", `/v1/listeners/${listeners[499].id}`);
  assert.equal(removed.status, 200);
  await removed.body?.cancel();
  await muxd.waitForStderr(
    `control API: DELETE /v1/listeners/${listeners[499].id} removed tcp 127.0.0.1:${last} echo ` +
      `(1 connection(s) open, 1 closed by muxd)`,
  );
});
