/**
 * A port range part of which another program holds, with `--keep-going`: a
 * real muxd serves the free ports, and its text log tells the held ones in
 * one line per range, at start-up and at a reload, as it tells ports that
 * met the open-files limit. Each port's reason names its own port, and
 * nothing else tells them apart.
 */

import assert from "node:assert/strict";
import { startMuxd } from "../_support/process.ts";
import { closeQuietly, echoRoundTrip, freeRange } from "../_support/socket.ts";

/** The log's lines that tell a failed bind. */
function cannotBindLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => / ERR cannot bind /.test(line));
}

Deno.test("muxd serve --keep-going tells the ports of a range that another program holds in one line, at start-up and at a reload", async () => {
  const first = freeRange(10, { udp: true });
  const last = first + 9;
  const dir = await Deno.makeTempDir({ prefix: "muxd-held-range-" });
  const tcpHeld = Array.from(
    { length: 6 },
    (_, i) => Deno.listen({ hostname: "127.0.0.1", port: first + 2 + i }),
  );
  const udpHeld = Array.from(
    { length: 4 },
    (_, i) => Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: first + i }),
  );
  try {
    const path = `${dir}/muxd.jsonc`;
    const tcp = `tcp://127.0.0.1:${first}-${last}=echo`;
    const udp = `udp://127.0.0.1:${first}-${last}=echo`;
    await Deno.writeTextFile(path, JSON.stringify({ listen: [tcp], keepGoing: true }));
    await using muxd = await startMuxd(["serve", "--config", path]);
    assert.equal(muxd.ready.sockets.length, 4);
    assert.equal(muxd.ready.failed.length, 6);

    // Start-up: one line in the log, one under Not bound, for the 6 held ports.
    const tcpPorts = `${first + 2}-${first + 7}`;
    const held = (transport: string, ports: string, kind: string) =>
      new RegExp(
        `cannot bind ${transport} 127\\.0\\.0\\.1 on \\d ports, ${ports} \\(of ${transport}://` +
          `127\\.0\\.0\\.1:${first}-${last}=echo\\): address already in use: another socket ` +
          `holds ${transport} 127\\.0\\.0\\.1:${ports}, or a wildcard that covers it; held by ` +
          `a ${kind} socket ${transport} 127\\.0\\.0\\.1:${ports} of process ${Deno.pid} `,
      );
    await muxd.waitForStderr(/ ERR cannot bind /);
    const atStart = cannotBindLines(muxd.stderr());
    assert.equal(atStart.length, 1, muxd.stderr());
    assert.match(atStart[0], held("tcp", tcpPorts, "listening"));
    const notBound = muxd.stderr().split("Not bound:\n")[1].split("\n\n")[0].split("\n");
    assert.equal(notBound.length, 1, notBound.join("\n"));
    assert.match(notBound[0], new RegExp(`^ {2}tcp 127\\.0\\.0\\.1 on 6 ports, ${tcpPorts} `));

    // A reload that adds a UDP range, 4 ports of which are held: it tries
    // the held TCP ports again too, and tells each range in one line.
    await Deno.writeTextFile(path, JSON.stringify({ listen: [tcp, udp], keepGoing: true }));
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: reloaded .* 10 could not be bound/, 10_000);
    const afterReload = cannotBindLines(muxd.stderr()).slice(1);
    assert.equal(afterReload.length, 2, muxd.stderr());
    assert.match(afterReload[0], held("tcp", tcpPorts, "listening"));
    assert.match(afterReload[1], held("udp", `${first}-${first + 3}`, "bound"));

    // The free ports serve.
    using client = await Deno.connect({ hostname: "127.0.0.1", port: first });
    assert.ok(await echoRoundTrip(client, new TextEncoder().encode("ping\n")));
  } finally {
    for (const l of tcpHeld) l.close();
    for (const u of udpHeld) closeQuietly(u);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve --control logs a port range that this muxd already serves, added again through the API, in one line", async () => {
  // Each port's fix proposed its own next port ('another port (9001)'), so
  // no two lines were alike: 10 lines for a 10-port range.
  const first = freeRange(10, { udp: true });
  const range = `tcp://127.0.0.1:${first}-${first + 9}=echo`;
  await using muxd = await startMuxd(["serve", "--control", "127.0.0.1:0", "-l", range]);
  const { url, token } = muxd.ready.control!;
  const response = await fetch(new URL("/v1/listeners", url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify(range),
  });
  assert.equal(response.status, 409);
  const { problems } = await response.json();
  assert.equal(problems.length, 10);
  await muxd.waitForStderr(/ERR cannot bind /);
  // What one request emits is told at the end of its task.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const lines = cannotBindLines(muxd.stderr());
  assert.equal(lines.length, 1, muxd.stderr());
  const ports = `${first}-${first + 9}`;
  assert.match(
    lines[0],
    new RegExp(
      `cannot bind tcp 127\\.0\\.0\\.1 on 10 ports, ${ports} \\(of ${range}\\): address already ` +
        `in use: this muxd already holds tcp://127\\.0\\.0\\.1:${ports}=echo \\(argument 4 after ` +
        `serve\\)\\. Both ask for tcp 127\\.0\\.0\\.1:${ports}\\. .* give one of them other ports;`,
    ),
  );
});
