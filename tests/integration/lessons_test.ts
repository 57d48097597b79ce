/**
 * The lessons of docs/lessons.md that run on loopback, with real processes,
 * netcat and `ss`: one process holds many ports, and the kernel names it as
 * muxd's header does; two processes share one socket name with
 * `?reuse=true`, and whoami tells which of them answered. (Lesson 3 needs
 * network namespaces: netns_test.ts.)
 */

import assert from "node:assert/strict";
import { runMuxdExpectingFailure, startMuxd, startMuxdOnFreePort } from "../_support/process.ts";
import { nc } from "../_support/netcat.ts";

/** `ss ARGS` with no header line (`-H`): one line per socket. */
async function ss(...args: string[]): Promise<string[]> {
  const out = await new Deno.Command("ss", { args: ["-H", ...args], stderr: "inherit" }).output();
  assert.ok(out.success, `ss ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim() !== "");
}

/** The line of `ss` output that lists `address:port`, or `undefined`. */
function row(lines: readonly string[], name: string): string | undefined {
  return lines.find((l) => l.split(/\s+/).includes(name));
}

Deno.test("ss -tlnp and ss -ulnp list each socket of muxd's table under the process id its header names", async () => {
  const { muxd, port } = await startMuxdOnFreePort((p) => [
    "serve",
    "-l",
    `tcp://127.0.0.1:${p}=echo`,
    "-l",
    `tcp://127.0.0.2:${p}=whoami`,
    "-l",
    `udp://127.0.0.1:${p}=whoami`,
    "-l",
    "tcp://127.0.0.1:0=daytime",
  ]);
  await using _muxd = muxd;
  const pid = muxd.ready.pid;
  const [tcp, udp] = await Promise.all([ss("-tlnp"), ss("-ulnp")]);
  for (const s of muxd.ready.sockets) {
    const name = `${s.address}:${s.port}`;
    const line = row(s.transport === "tcp" ? tcp : udp, name);
    assert.ok(line, `ss -${s.transport[0]}lnp does not list ${name}`);
    assert.ok(line.includes(`("deno",pid=${pid},`), line);
  }
  // One port, as the kernel lists it: two TCP sockets and one UDP socket, one process.
  const [tcpOnPort, udpOnPort] = await Promise.all([
    ss("-tlnp", `sport = :${port}`),
    ss("-ulnp", `sport = :${port}`),
  ]);
  assert.deepEqual(
    tcpOnPort.map((l) => l.split(/\s+/)[3]).sort(),
    [`127.0.0.1:${port}`, `127.0.0.2:${port}`],
  );
  assert.deepEqual(udpOnPort.map((l) => l.split(/\s+/)[3]), [`127.0.0.1:${port}`]);
  for (const l of [...tcpOnPort, ...udpOnPort]) assert.ok(l.includes(`pid=${pid},`), l);
  // whoami names the same process.
  const who = await nc(["-d", "127.0.0.2", String(port)]);
  assert.match(who.text, new RegExp(`^process: ${pid}$`, "m"));
  const { stderr } = await muxd.stop("SIGTERM");
  assert.match(stderr, new RegExp(`^muxd \\(process ${pid}\\) is serving 4 sockets:$`, "m"));
});

Deno.test("two muxd processes serving one socket name with ?reuse=true both answer netcat, whoami's process line tells which, and a third without it is refused naming both", async () => {
  const spec = (p: number) => `tcp://127.0.0.1:${p}=whoami?reuse=true`;
  const { muxd: first, port } = await startMuxdOnFreePort((p) => ["serve", "-l", spec(p)]);
  await using _first = first;
  await using second = await startMuxd(["serve", "-l", spec(port)]);
  const pids = [first.ready.pid, second.ready.pid];

  const lines = await ss("-tlnp", `sport = :${port}`);
  assert.equal(lines.length, 2, lines.join("\n"));
  for (const pid of pids) assert.ok(lines.some((l) => l.includes(`pid=${pid},`)), lines.join("\n"));

  // The kernel picks by a hash of the client's name: 40 connections reach both, but for 1 in 2^39.
  const answered = new Set<number>();
  for (let i = 0; i < 40 && answered.size < 2; i++) {
    const who = await nc(["-d", "127.0.0.1", String(port)]);
    assert.equal(who.code, 0, who.stderr);
    const match = who.text.match(/^process: (\d+)$/m);
    assert.ok(match, who.text);
    answered.add(Number(match[1]));
  }
  assert.deepEqual([...answered].sort(), [...pids].sort());

  const third = await runMuxdExpectingFailure([
    "serve",
    "-l",
    `tcp://127.0.0.1:${port}=echo`,
  ]);
  assert.equal(third.code, 1, third.stderr);
  for (const pid of pids) {
    assert.ok(third.stderr.includes(`of process ${pid} (muxd, run by deno)`), third.stderr);
  }

  // With one stopped, the other takes every connection.
  await first.stop("SIGTERM");
  for (let i = 0; i < 6; i++) {
    const who = await nc(["-d", "127.0.0.1", String(port)]);
    assert.match(who.text, new RegExp(`^process: ${second.ready.pid}$`, "m"));
  }
});
