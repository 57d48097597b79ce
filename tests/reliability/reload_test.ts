/**
 * SIGHUP with a config that cannot be used changes nothing; one that can
 * changes only what it must. muxd serves `--config FILE`; the file is
 * overwritten with broken JSONC, then with a bad listen spec, then with a
 * listener whose port is taken, each followed by SIGHUP. Checks that each is
 * logged as rejected and every old listener still answers netcat. Then a
 * valid config removes one listener and adds another: the removed one stops
 * answering, the added one answers, and a connection opened on a kept
 * listener before all this stays open and still echoes.
 */

import assert from "node:assert/strict";
import type { ReadyRecord } from "../../lib/cli/report.ts";
import { startMuxd } from "../_support/process.ts";
import { waitUntil } from "../_support/wait.ts";
import { echoRoundTrip, freePort, freeRange, udpRoundTrip } from "../_support/socket.ts";
import { nc } from "../_support/netcat.ts";

const KEPT_TCP = "tcp://127.0.0.1:0=echo";
const KEPT_UDP = "udp://127.0.0.1:0=echo";
const REMOVED = "tcp://127.0.0.1:0=whoami";
const ADDED = "tcp://127.0.0.1:0=daytime";

const config = (...listen: string[]) => JSON.stringify({ listen }, null, 2);

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

Deno.test("muxd serve keeps serving after a SIGHUP with a bad config, then reloads a good one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-" });
  const path = `${dir}/muxd.jsonc`;
  const readyFile = `${dir}/ready.json`;
  using holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await Deno.writeTextFile(path, config(KEPT_TCP, REMOVED, KEPT_UDP));
    await using muxd = await startMuxd(["serve", "--config", path, "--ready-file", readyFile]);
    const [echoPort, whoamiPort, udpPort] = [0, 1, 2].map((i) => `${muxd.port(i)}`);
    using kept = await Deno.connect({ hostname: "127.0.0.1", port: Number(echoPort) });
    const hello = new TextEncoder().encode("before\n");
    assert.ok(await echoRoundTrip(kept, hello));

    const oldSetAnswers = async (when: string) => {
      const [echo, whoami, udp] = await Promise.all([
        nc(["-N", "127.0.0.1", echoPort], "still there?\n"),
        nc(["-d", "127.0.0.1", whoamiPort]),
        // Netcat waits a whole second for UDP; the final check below uses it.
        udpRoundTrip(Number(udpPort), new TextEncoder().encode("udp too?\n")),
      ]);
      assert.equal(echo.text, "still there?\n", `tcp echo ${when}`);
      assert.match(whoami.text, /^service: whoami$/m, `whoami ${when}`);
      assert.equal(udp && new TextDecoder().decode(udp), "udp too?\n", `udp echo ${when}`);
      assert.ok(await echoRoundTrip(kept, hello), `the open connection ${when}`);
    };

    const taken = (holder.addr as Deno.NetAddr).port;
    const bad: [what: string, text: string, says: RegExp][] = [
      ["broken JSONC", `{ "listen": ["${KEPT_TCP}", `, /invalid JSONC/],
      [
        "a bad listen spec",
        config(KEPT_TCP, "udp://127.0.0.1:70000=echo"),
        /port must be <= 65535/,
      ],
      [
        "a port in use",
        config(KEPT_TCP, `tcp://127.0.0.1:${taken}=echo`),
        /address already in use/,
      ],
    ];
    for (const [i, [what, text, says]] of bad.entries()) {
      await Deno.writeTextFile(path, text);
      muxd.signal("SIGHUP");
      await waitUntil(
        () => occurrences(muxd.stderr(), "the new config is rejected") > i,
        5000,
        `muxd to reject ${what}`,
        () => muxd.stderr(),
      );
      assert.match(muxd.stderr(), says, what);
      await oldSetAnswers(`after ${what}`);
    }

    await Deno.writeTextFile(path, config(KEPT_TCP, KEPT_UDP, ADDED));
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(
      /SIGHUP: reloaded .*: 2 listener\(s\) kept .*, 1 closed \(.*\), 1 added \(.*\)$/m,
    );
    let ready: ReadyRecord | undefined;
    await waitUntil(
      () => {
        ready = JSON.parse(Deno.readTextFileSync(readyFile)) as ReadyRecord;
        return ready.sockets.some((s) => s.service === "daytime");
      },
      2000,
      "the ready file to list daytime",
    );
    const sockets = ready!.sockets.map((s) => [s.transport, s.service, s.port]);
    const daytime = ready!.sockets.find((s) => s.service === "daytime")!;
    assert.deepEqual(sockets, [
      ["tcp", "echo", Number(echoPort)],
      ["udp", "echo", Number(udpPort)],
      ["tcp", "daytime", daytime.port],
    ]);

    const [echo, udp, added, removed] = await Promise.all([
      nc(["-N", "127.0.0.1", echoPort], "kept\n"),
      nc(["-u", "-w1", "127.0.0.1", udpPort], "kept udp\n"),
      nc(["-d", "127.0.0.1", `${daytime.port}`]),
      nc(["-z", "127.0.0.1", whoamiPort]),
    ]);
    assert.equal(echo.text, "kept\n");
    assert.equal(udp.text, "kept udp\n");
    assert.match(added.text, /\d\d:\d\d:\d\d/);
    assert.notEqual(removed.code, 0, "the removed whoami listener still accepts");
    assert.ok(
      await echoRoundTrip(kept, new TextEncoder().encode("after\n")),
      "the open connection",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a SIGHUP whose new entries clash explains each clash with the entries it is between, by file and line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-" });
  const path = `${dir}/muxd.jsonc`;
  const [kept, fresh] = [freePort(), freePort()];
  try {
    await Deno.writeTextFile(path, config(`tcp://127.0.0.1:${kept}=echo?latency=5`));
    await using muxd = await startMuxd(["serve", "--config", path]);
    // One line per entry, from line 3 on (after `{` and `"listen": [`).
    await Deno.writeTextFile(
      path,
      config(
        `tcp://127.0.0.1:${kept}=echo`,
        `tcp://127.0.0.1:${kept}=whoami`,
        `tcp://127.0.0.1:${fresh}=discard`,
        `tcp://127.0.0.1:${fresh}=whoami`,
      ),
    );
    muxd.signal("SIGHUP");
    await muxd.waitForStderr("the new config is rejected");
    const log = muxd.stderr();
    // The kept listener by its new entry; the other new entry, which bound, as muxd's own.
    assert.match(
      log,
      new RegExp(
        `SIGHUP: Cannot bind tcp 127\\.0\\.0\\.1:${kept} \\(tcp://127\\.0\\.0\\.1:${kept}=whoami, ${path}:4:\\d+\\): address ` +
          `already in use: this muxd already holds tcp://127\\.0\\.0\\.1:${kept}=echo \\(${path}:3:`,
      ),
    );
    assert.match(
      log,
      new RegExp(
        `SIGHUP: Cannot bind tcp 127\\.0\\.0\\.1:${fresh} \\(tcp://127\\.0\\.0\\.1:${fresh}=whoami, ${path}:6:\\d+\\): address ` +
          `already in use: this muxd already holds tcp://127\\.0\\.0\\.1:${fresh}=discard \\(${path}:5:`,
      ),
    );
    assert.doesNotMatch(log, /another socket holds/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve reloads a shifted port range: connections on the ports it keeps stay open, and its line names the ports closed and added as ranges", async () => {
  const first = freeRange(150);
  const range = (from: number, to: number) => `tcp://127.0.0.1:${first + from}-${first + to}=echo`;
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-" });
  const path = `${dir}/muxd.jsonc`;
  try {
    await Deno.writeTextFile(path, config(range(0, 99)));
    await using muxd = await startMuxd(["serve", "--config", path]);
    const open = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) => Deno.connect({ hostname: "127.0.0.1", port: first + 50 + i }),
      ),
    );
    try {
      await Deno.writeTextFile(path, config(range(50, 149)));
      muxd.signal("SIGHUP");
      await muxd.waitForStderr(/SIGHUP: reloaded /);
      // It named each of the 100 sockets: 4 KB in one line (40 KB for 1,000).
      assert.match(
        muxd.stderr(),
        new RegExp(
          `SIGHUP: reloaded .*: 50 listener\\(s\\) kept with their connections, ` +
            `50 closed \\(tcp 127\\.0\\.0\\.1:${first}-${first + 49} echo\\), ` +
            `50 added \\(tcp 127\\.0\\.0\\.1:${first + 100}-${first + 149} echo\\)$`,
          "m",
        ),
      );
      const hello = new TextEncoder().encode("kept\n");
      for (const conn of open) assert.ok(await echoRoundTrip(conn, hello), "a kept connection");
      const [added, closed] = await Promise.all([
        nc(["-N", "127.0.0.1", `${first + 149}`], "added\n"),
        nc(["-z", "127.0.0.1", `${first}`]),
      ]);
      assert.equal(added.text, "added\n");
      assert.notEqual(closed.code, 0, "a closed port still accepts");
    } finally {
      for (const conn of open) conn.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve names at most 20 of the listeners a reload adds and counts the rest, so that 10,000 port-0 listeners are not one 260 KB line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-reload-" });
  const path = `${dir}/muxd.jsonc`;
  try {
    await Deno.writeTextFile(path, config(KEPT_TCP));
    await using muxd = await startMuxd(["serve", "--config", path]);
    // Port-0 listeners get ports that are not consecutive: no range names them together.
    await Deno.writeTextFile(path, config(KEPT_TCP, ...Array(30).fill(ADDED)));
    muxd.signal("SIGHUP");
    await muxd.waitForStderr(/SIGHUP: reloaded /);
    const line = muxd.stderr().split("\n").find((l) => l.includes("SIGHUP: reloaded "))!;
    assert.match(line, /: 1 listener\(s\) kept with their connections, 0 closed, 30 added \(/);
    assert.equal(occurrences(line, " daytime"), 20, line);
    assert.match(line, / daytime and 10 more\)$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
