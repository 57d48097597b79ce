/**
 * The dashboard's "Behind the ports now" section in a real browser: muxd
 * runs exec and forward listeners as a user runs them, real netcat clients
 * talk through them to real upstreams on loopback, and headless Chromium
 * shows each program's pid and running time and each relay's upstream
 * socket name and bytes each way, then lists them as ended.
 */

import assert from "node:assert/strict";
import { chromiumProblem, launchChromium, type Page } from "./_browser.ts";
import { MAIN, type MuxdLauncher, permissionFlags, startMuxd, task } from "../_support/process.ts";
import { nc } from "../_support/netcat.ts";
import { readExactly, writeAll } from "../_support/socket.ts";

const browserProblem = chromiumProblem();
if (browserProblem !== null) {
  console.log(`dashboard live browser tests ignored: ${browserProblem}`);
}

/** muxd from source as `deno task serve:exec` runs it: the right to run python3. */
const EXEC_LAUNCHER: MuxdLauncher = {
  program: "deno",
  args: ["run", ...permissionFlags(task("serve:exec")), MAIN],
};

/** A program that copies its standard input to its standard output: the JSON form, for its commas. */
const CAT = `run=${
  encodeURIComponent(JSON.stringify([
    "python3",
    "-c",
    "import shutil, sys; shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)",
  ]))
}`;

/** A netcat kept open: what it was sent stays its input until `end()`. */
class OpenNetcat {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #output: Promise<Deno.CommandOutput>;

  constructor(args: string[]) {
    this.#child = new Deno.Command("nc", {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#output = this.#child.output();
  }

  send(text: string): Promise<void> {
    return this.#stdin.write(new TextEncoder().encode(text));
  }

  /** Closes its input (with `-N`, a half-close) and waits for it to exit. */
  async end(): Promise<{ code: number; text: string; stderr: string }> {
    await this.#stdin.close().catch(() => {});
    const out = await this.#output;
    const decoder = new TextDecoder();
    return { code: out.code, text: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
  }
}

/** The cells of every row of a table in the "Behind the ports now" section. */
function cells(page: Page, table: "processes" | "relays"): Promise<string[][]> {
  return page.$$eval(
    `#${table} tbody tr`,
    (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent ?? "")),
  );
}

/** Waits until `check` holds for the rows of a table, then returns them. */
async function waitForRows(
  page: Page,
  table: "processes" | "relays",
  check: (rows: string[][]) => boolean,
  timeoutMs = 10_000,
): Promise<string[][]> {
  const deadline = performance.now() + timeoutMs;
  let rows = await cells(page, table);
  while (!check(rows) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    rows = await cells(page, table);
  }
  assert.ok(check(rows), `#${table} shows ${JSON.stringify(rows)}`);
  return rows;
}

/** The lines of the ended list, newest first. */
function endedLines(page: Page): Promise<string[]> {
  return page.$$eval("#ended li", (lis) => lis.map((li) => li.textContent ?? ""));
}

Deno.test({
  name:
    "muxd serve --dashboard shows exec's running program and forward's relays with bytes each way",
  ignore: browserProblem !== null,
  fn: async () => {
    // The upstreams, on loopback: TCP answers 9 bytes to the 6 it gets, UDP 5 to 3.
    using tcpUpstream = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const udpUpstream = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const udpUp = (udpUpstream.addr as Deno.NetAddr).port;
    const tcpUp = tcpUpstream.addr.port;
    const answerOnce = async () => {
      const [request, from] = await udpUpstream.receive();
      assert.equal(request.length, 3);
      await udpUpstream.send(new TextEncoder().encode("pong\n"), from);
    };
    await using muxd = await startMuxd([
      "serve",
      "-l",
      `tcp://127.0.0.1:0=exec?${CAT}`,
      "-l",
      `tcp://127.0.0.1:0=forward?to=127.0.0.1:${tcpUp}`,
      "-l",
      `udp://127.0.0.1:0=forward?to=127.0.0.1:${udpUp}`,
      "--dashboard",
      "127.0.0.1:0",
      "--log-level",
      "debug",
    ], EXEC_LAUNCHER);
    const [execPort, forwardPort, udpPort] = [0, 1, 2].map((i) => String(muxd.port(i)));

    await using browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      await page.goto(muxd.ready.dashboard ?? "");
      await page.waitForSelector('#status[data-state="live"]', { timeout: 5000 });
      assert.equal(await page.isVisible("#no-processes"), true);
      assert.equal(await page.isVisible("#no-relays"), true);

      // exec: a program runs for as long as its connection is open.
      const execClient = new OpenNetcat(["-N", "127.0.0.1", execPort]);
      await execClient.send("hi\n");
      await muxd.waitForStderr(/started python3 \(pid \d+\)/, 10_000);
      const pid = muxd.stderr().match(/started python3 \(pid (\d+)\)/)![1];
      const [program] = await waitForRows(page, "processes", (rows) => rows.length === 1);
      assert.equal(program[0], `tcp 127.0.0.1:${execPort}`);
      assert.match(program[1], /^127\.0\.0\.1:\d+ #\d+$/);
      assert.deepEqual(program.slice(2, 4), [pid, "python3"]);
      // Its running time ticks in the page, from its start.
      await waitForRows(page, "processes", (rows) => /^[1-9]\d* s$/.test(rows[0]?.[4] ?? ""));

      // forward over TCP: the relay's upstream socket name, and its bytes
      // each way while it is open.
      const relayClient = new OpenNetcat(["-N", "127.0.0.1", forwardPort]);
      await relayClient.send("hello\n");
      using upstreamSide = await tcpUpstream.accept();
      assert.equal(new TextDecoder().decode(await readExactly(upstreamSide, 6)), "hello\n");
      await writeAll(upstreamSide, new TextEncoder().encode("answered\n"));
      const tcpRelay = (rows: string[][]) =>
        rows.find((r) => r[0] === `tcp 127.0.0.1:${forwardPort}`);
      await waitForRows(page, "relays", (rows) => tcpRelay(rows)?.[5] === "9 B");
      const relay = tcpRelay(await cells(page, "relays"))!;
      assert.equal(relay[2], `127.0.0.1:${tcpUp}`);
      assert.match(relay[3], /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(relay.slice(4, 6), ["6 B", "9 B"]);

      // forward over UDP: a session per client, with datagrams each way.
      const [sent] = await Promise.all([
        nc(["-u", "-w1", "127.0.0.1", udpPort], "hi\n"),
        answerOnce(),
      ]);
      assert.equal(sent.text, "pong\n", sent.stderr);
      const session = (await waitForRows(
        page,
        "relays",
        (rows) =>
          rows.find((r) => r[0] === `udp 127.0.0.1:${udpPort}`)?.[5] === "5 B in 1 datagram",
      )).find((r) => r[0] === `udp 127.0.0.1:${udpPort}`)!;
      assert.deepEqual(
        [session[2], session[4], session[5]],
        [`127.0.0.1:${udpUp}`, "3 B in 1 datagram", "5 B in 1 datagram"],
      );

      // Ended: each leaves its table for the ended list, with how it ended.
      const execDone = await execClient.end();
      assert.equal(execDone.text, "hi\n", execDone.stderr);
      await waitForRows(page, "processes", (rows) => rows.length === 0);
      upstreamSide.close();
      const relayDone = await relayClient.end();
      assert.equal(relayDone.text, "answered\n", relayDone.stderr);
      await waitForRows(page, "relays", (rows) => !tcpRelay(rows));
      const ended = await endedLines(page);
      assert.equal(ended.length, 2, ended.join("\n"));
      assert.match(
        ended[0],
        new RegExp(
          `tcp 127\\.0\\.0\\.1:${forwardPort} <- 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${tcpUp}: ` +
            `6 B to upstream, 9 B back, closed after \\d+ ms$`,
        ),
      );
      assert.match(
        ended[1],
        new RegExp(`-> python3 \\(pid ${pid}\\), exited with status 0 after \\d+ ms$`),
      );
      assert.equal(await page.isVisible("#no-processes"), true);
    } finally {
      const { code, stderr } = await muxd.stop("SIGTERM");
      assert.equal(code, 0, stderr);
      udpUpstream.close();
    }
  },
});
