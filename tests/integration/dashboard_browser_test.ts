/**
 * The dashboard in a real browser: muxd runs as a user runs it, headless
 * Chromium opens the page, real netcat sends the traffic (and one test
 * feeds the page events of its own, in process). Set
 * MUXD_UPDATE_SCREENSHOT=1 to also write the README's docs/dashboard.png,
 * from the demo set on its own ports.
 */

import assert from "node:assert/strict";
import { serveDashboard } from "../../lib/dashboard/mod.ts";
import { EventHub, type ServerEvent } from "../../lib/events/mod.ts";
import { formatSocketName } from "../../lib/spec/mod.ts";
import { chromiumProblem, launchChromium, type Page } from "./_browser.ts";
import { ipv6LoopbackProblem } from "../_support/host.ts";
import { MuxdNotReadyError, type MuxdProcess, startMuxd } from "../_support/process.ts";
import { freePort } from "../_support/socket.ts";
import { nc } from "../_support/netcat.ts";
import { DEMO_LISTENERS } from "../../lib/config/demo.ts";
import { docPorts, freeShift, type PortShift, shiftPorts } from "../docs/_runner.ts";

const browserProblem = chromiumProblem();
if (browserProblem !== null) {
  console.log(`dashboard browser tests ignored: ${browserProblem}`);
}

const SCREENSHOT = new URL("../../docs/dashboard.png", import.meta.url).pathname;
/** Whether this run rewrites docs/dashboard.png. */
const UPDATE_SCREENSHOT = Deno.env.get("MUXD_UPDATE_SCREENSHOT") === "1";

/** The cells of every row of the socket table, as the page shows them. */
function tableRows(page: Page): Promise<string[][]> {
  return page.$$eval(
    "#sockets tbody tr",
    (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent ?? "")),
  );
}

/** A row's cells by name, picked from the table's columns. */
interface RowView {
  readonly key: string;
  readonly service: string;
  readonly state: string;
  readonly arrivals: string;
}

async function rowViews(page: Page): Promise<RowView[]> {
  return (await tableRows(page)).map((cells) => {
    return {
      key: `${cells[0]} ${formatSocketName({ address: cells[1], port: Number(cells[2]) })}`,
      service: cells[3],
      state: cells[4],
      arrivals: cells[6],
    };
  });
}

/** Waits until the table shows `expected`, then asserts it (for a readable diff). */
async function waitForTable(page: Page, expected: RowView[], timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let seen = await rowViews(page);
  while (JSON.stringify(seen) !== JSON.stringify(expected) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = await rowViews(page);
  }
  assert.deepEqual(seen, expected);
}

/**
 * Sends one arrival with netcat and checks that the row of the socket that
 * received it lights up (for 1.2 s; muxd, its event stream and the browser
 * may take a while on a busy machine).
 */
async function arriveAndLightUp(
  page: Page,
  key: string,
  netcat: () => ReturnType<typeof nc>,
): Promise<void> {
  const lit = page.waitForSelector(`#sockets tbody tr[data-key="${key}"].hit`, {
    state: "attached",
    timeout: 5000,
  });
  const [sent] = await Promise.all([netcat(), lit]);
  assert.equal(sent.code, 0, sent.stderr);
}

/**
 * Starts muxd with listeners that share one port, plus one whose port is
 * already taken; tries another shared port when that one was not free.
 */
async function startWithSharedPort(
  args: (port: number) => string[],
  expectedFailure: string,
): Promise<{ muxd: MuxdProcess; port: number }> {
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    let muxd: MuxdProcess;
    try {
      muxd = await startMuxd(args(port));
    } catch (error) {
      if (!(error instanceof MuxdNotReadyError) || attempt >= 5) throw error;
      continue;
    }
    const failed = muxd.ready.failed.map((f) => f.spec);
    if (failed.length === 1 && failed[0] === expectedFailure) return { muxd, port };
    await muxd.stop("SIGKILL");
    if (attempt >= 5) assert.fail(`unexpected bind failures: ${failed.join(", ")}`);
  }
}

Deno.test({
  name: "muxd serve --dashboard lights up the row of the socket that each netcat arrival reached",
  ignore: browserProblem !== null,
  fn: async () => {
    using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const busySpec = `tcp://127.0.0.1:${busy.addr.port}=echo`;
    const ipv6 = ipv6LoopbackProblem() === null;
    const { muxd, port } = await startWithSharedPort((p) => [
      "serve",
      ...[
        `tcp://127.0.0.1:${p}=echo`,
        `tcp://127.0.0.2:${p}=whoami`,
        ...(ipv6 ? [`tcp://[::1]:${p}=whoami`] : []),
        `udp://127.0.0.1:${p}=size`,
        `udp://127.0.0.2:${p}=echo`,
        busySpec,
      ].flatMap((spec) => ["-l", spec]),
      "--keep-going",
      "--dashboard",
      "127.0.0.1:0",
    ], busySpec);
    await using _muxd = muxd;
    const url = muxd.ready.dashboard;
    assert.ok(url, "the ready record names the dashboard");
    assert.match(muxd.stderr(), new RegExp(`Dashboard: ${url.replaceAll(".", "\\.")}`));

    await using browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(url);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 5000 });

    const P = String(port);
    const row = (key: string, service: string, state: string, arrivals: number) => ({
      key,
      service,
      state,
      arrivals: String(arrivals),
    });
    const expected = (arrivals: number[]) => [
      row(`tcp 127.0.0.1:${P}`, "echo", "listening", arrivals[0]),
      row(`tcp 127.0.0.2:${P}`, "whoami", "listening", arrivals[1]),
      ...(ipv6 ? [row(`tcp [::1]:${P}`, "whoami", "listening", 0)] : []),
      row(`udp 127.0.0.1:${P}`, "size", "listening", arrivals[2]),
      row(`udp 127.0.0.2:${P}`, "echo", "listening", arrivals[3]),
      row(`tcp 127.0.0.1:${busy.addr.port}`, "echo", "failed", 0),
    ];
    await waitForTable(page, expected([0, 0, 0, 0]));

    // The bind failure, with muxd's explanation.
    const failures = await page.$$eval("#failures li", (lis) => lis.map((li) => li.textContent));
    assert.equal(failures.length, 1);
    assert.ok(failures[0]?.startsWith(`${busySpec}: `), failures[0] ?? "");
    assert.match(failures[0] ?? "", /in use/);

    // Two UDP listeners share the port on different addresses; so do two TCP ones.
    await arriveAndLightUp(
      page,
      `udp 127.0.0.1:${P}`,
      () => nc(["-u", "-w1", "127.0.0.1", P], "hello\n"),
    );
    await waitForTable(page, expected([0, 0, 1, 0]));
    await arriveAndLightUp(
      page,
      `udp 127.0.0.2:${P}`,
      () => nc(["-u", "-w1", "127.0.0.2", P], "hello\n"),
    );
    await waitForTable(page, expected([0, 0, 1, 1]));
    await arriveAndLightUp(page, `tcp 127.0.0.1:${P}`, () => nc(["-N", "127.0.0.1", P], "hi\n"));
    await arriveAndLightUp(page, `tcp 127.0.0.2:${P}`, () => nc(["-N", "127.0.0.2", P]));
    await waitForTable(page, expected([1, 1, 1, 1]));

    // The feed names both socket names of each arrival, newest first.
    const lines = await page.$$eval("#feed li .line", (codes) => codes.map((c) => c.textContent));
    const remote = String.raw`127\.0\.0\.\d+:\d+`;
    const arrivals = [
      `tcp 127\\.0\\.0\\.2:${P} <- ${remote} -> whoami`,
      `tcp 127\\.0\\.0\\.1:${P} <- ${remote} -> echo`,
      `udp 127\\.0\\.0\\.2:${P} <- ${remote} -> echo`,
      `udp 127\\.0\\.0\\.1:${P} <- ${remote} -> size`,
    ];
    assert.equal(lines.length, arrivals.length, lines.join("\n"));
    arrivals.forEach((pattern, i) => assert.match(lines[i] ?? "", new RegExp(`^${pattern}$`)));

    // muxd exits promptly although the tab keeps its event stream open.
    const started = performance.now();
    const { code, stderr } = await muxd.stop("SIGTERM");
    const elapsed = performance.now() - started;
    assert.equal(code, 0, stderr);
    assert.ok(elapsed < 2500, `muxd took ${Math.round(elapsed)} ms to exit with a tab open`);
    await page.waitForSelector('#status[data-state="offline"]', { timeout: 5000 });
  },
});

Deno.test({
  name: "muxd serve --dashboard page reconnects by itself when muxd restarts",
  ignore: browserProblem !== null,
  fn: async () => {
    const dashboardPort = freePort();
    const args = [
      "serve",
      "-l",
      "tcp://127.0.0.1:0=echo",
      "--dashboard",
      `127.0.0.1:${dashboardPort}`,
    ];
    const first = await startMuxd(args);
    await using browser = await launchChromium();
    const page = await browser.newPage();
    try {
      await page.goto(first.ready.dashboard ?? "");
      await page.waitForSelector('#status[data-state="live"]', { timeout: 5000 });
      const echo = await nc(["-N", "127.0.0.1", String(first.port(0))], "before\n");
      assert.equal(echo.text, "before\n", echo.stderr);
      await waitForTable(page, [{
        key: `tcp 127.0.0.1:${first.port(0)}`,
        service: "echo",
        state: "listening",
        arrivals: "1",
      }]);
    } finally {
      const { code, stderr } = await first.stop("SIGTERM");
      assert.equal(code, 0, stderr);
    }
    await page.waitForSelector('#status[data-state="offline"]', { timeout: 5000 });

    await using second = await startMuxd(args);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    await waitForTable(page, [{
      key: `tcp 127.0.0.1:${second.port(0)}`,
      service: "echo",
      state: "listening",
      arrivals: "0",
    }]);
    const notes = await page.$$eval("#feed li.note", (lis) => lis.map((li) => li.textContent));
    assert.ok(notes.some((n) => n?.includes("muxd restarted")), notes.join("\n"));
  },
});

Deno.test({
  name: "serveDashboard() page explains suppressed replies and shows event types it does not know",
  ignore: browserProblem !== null,
  fn: async () => {
    const hub = new EventHub();
    await using dashboard = serveDashboard(hub, { hostname: "127.0.0.1", port: 0 });
    const socket = {
      time: Date.now(),
      transport: "udp",
      listener: "udp://127.0.0.1:7007=whoami",
      service: "whoami",
      local: { address: "127.0.0.1", port: 7007 },
    } as const;
    hub.emit({ ...socket, type: "listening" });
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 5000 });
    const remote = { address: "127.0.0.1", port: 7 };
    hub.emit({
      ...socket,
      type: "reply-suppressed",
      remote,
      reason: "server-port",
      detail: "the source port is below 1024",
      bytesIn: 6,
      bytesOut: 0,
    });
    // A type a later muxd may add: the page needs no change to show it.
    hub.emit({
      ...socket,
      type: "from-the-future",
      remote,
      reason: "why-not",
      detail: "said in plain words",
    } as unknown as ServerEvent);
    await page.waitForSelector("#feed li:nth-child(2) .line", { timeout: 10_000 });
    const lines = await page.$$eval("#feed li .line", (codes) => codes.map((c) => c.textContent));
    assert.deepEqual(lines, [
      "from-the-future: udp 127.0.0.1:7007 <-> 127.0.0.1:7 (whoami): why-not: said in plain words",
      "udp 127.0.0.1:7007 <- 127.0.0.1:7 no reply from whoami (server-port): " +
      "the source port is below 1024",
    ]);
    await page.waitForSelector('#summary:has-text("1 reply suppressed")', { timeout: 10_000 });
  },
});

Deno.test({
  name: "serveDashboard() page shows each socket's faults and how many of each kind hit it",
  ignore: browserProblem !== null,
  fn: async () => {
    const hub = new EventHub();
    await using dashboard = serveDashboard(hub, { hostname: "127.0.0.1", port: 0 });
    const udp = {
      time: Date.now(),
      transport: "udp",
      listener: "udp://127.0.0.1:1060=size?drop=0.5&seed=1",
      service: "size",
      local: { address: "127.0.0.1", port: 1060 },
    } as const;
    const tcp = {
      time: Date.now(),
      transport: "tcp",
      listener: "tcp://127.0.0.1:7007=echo",
      service: "echo",
      local: { address: "127.0.0.1", port: 7007 },
    } as const;
    hub.emit({ ...udp, type: "listening", faults: { text: "?drop=0.5&seed=1", seed: 1 } });
    hub.emit({ ...tcp, type: "listening" });
    await using browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(dashboard.url);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 5000 });
    const headers = await page.$$eval(
      "#sockets thead th",
      (ths) => ths.map((th) => th.textContent),
    );
    const column = headers.indexOf("Faults");
    assert.notEqual(column, -1, headers.join(", "));
    const faultsOf = async (key: string) =>
      (await page.$$eval(
        `#sockets tbody tr[data-key="${key}"] td`,
        (tds) => tds.map((td) => td.textContent),
      ))[column];
    assert.equal(await faultsOf("udp 127.0.0.1:1060"), "drop=0.5&seed=1");
    assert.equal(await faultsOf("tcp 127.0.0.1:7007"), "–");

    const remote = { address: "127.0.0.1", port: 40000 };
    for (let i = 0; i < 1234; i++) {
      hub.emit({
        ...udp,
        type: "fault",
        fault: "drop",
        remote,
        id: null,
        on: "request",
        detail: "",
      });
    }
    hub.emit({
      ...udp,
      type: "fault",
      fault: "duplicate",
      remote,
      id: null,
      on: "request",
      detail: "",
    });
    // More than a frame holds: the page gets the state after the last one.
    await page.waitForSelector(
      '#sockets tbody tr[data-key="udp 127.0.0.1:1060"] td:has-text("1,234 drop")',
      { timeout: 10_000 },
    );
    assert.equal(await faultsOf("udp 127.0.0.1:1060"), "drop=0.5&seed=1; 1,234 drop, 1 duplicate");
    hub.emit({
      ...tcp,
      listener: "tcp://127.0.0.1:7007=echo?latency=50",
      type: "faults-changed",
      before: "",
      after: "?latency=50",
      seed: 42,
      by: "config",
      was: "config",
    });
    await page.waitForSelector(
      '#sockets tbody tr[data-key="tcp 127.0.0.1:7007"] td:has-text("latency=50")',
      { timeout: 10_000 },
    );
    assert.equal(await faultsOf("tcp 127.0.0.1:7007"), "latency=50 (seed 42, picked by muxd)");
    await page.waitForSelector('#summary:has-text("1235 faults hit on purpose")', {
      timeout: 10_000,
    });
    // The feed says that the faults changed, and lists no fault one by one.
    const lines = await feedLines(page);
    assert.equal(
      lines[0],
      "faults of tcp 127.0.0.1:7007 -> echo changed from none to latency=50 (seed 42, picked by " +
        "muxd); they apply to connections from now on",
    );
    assert.deepEqual(lines.slice(1).filter((l) => !l.startsWith("skipped ")), [], lines.join("\n"));
  },
});

/** The lines of the feed, newest first. */
function feedLines(page: Page): Promise<string[]> {
  return page.$$eval("#feed li .line", (codes) => codes.map((c) => c.textContent ?? ""));
}

/** The demo set, served with a dashboard, and where its ports went. */
interface ServedDemo {
  readonly muxd: MuxdProcess;
  /** The demo's port as served: the same port, or one moved to a free one. */
  readonly port: (demoPort: number) => string;
}

/**
 * Serves the demo set with a dashboard on a port the OS picks. To rewrite
 * the screenshot it is the demo set itself (`muxd serve` with no listener),
 * on the ports a reader sees, and every one of them must bind; otherwise
 * its listen specs move to free ports, as the docs test moves them, so the
 * test runs beside a demo set already serving.
 */
async function serveDemo(): Promise<ServedDemo> {
  if (UPDATE_SCREENSHOT) {
    const muxd = await startMuxd(["serve", "--dashboard", "127.0.0.1:0"]);
    const failed = muxd.ready.failed.map((f) => f.spec);
    if (failed.length > 0) {
      await muxd.stop("SIGKILL");
      assert.fail(
        `docs/dashboard.png shows the demo set on its own ports, and ${failed.join(", ")} ` +
          `could not be bound here: stop what holds them (a running demo set?) and try again`,
      );
    }
    return { muxd, port: String };
  }
  const ipv6 = ipv6LoopbackProblem() === null;
  if (!ipv6) console.log(`the demo set is served without [::1]: ${ipv6LoopbackProblem()}`);
  const ports = docPorts(DEMO_LISTENERS.map((d) => d.spec));
  const tried = new Set<number>();
  for (;;) {
    const shift: PortShift = freeShift(ports, tried);
    tried.add(shift.offset);
    const specs = DEMO_LISTENERS.map((d) => shiftPorts(d.spec, shift))
      .filter((spec) => ipv6 || !spec.includes("[::1]"));
    try {
      const muxd = await startMuxd([
        "serve",
        ...specs.flatMap((spec) => ["-l", spec]),
        "--dashboard",
        "127.0.0.1:0",
      ]);
      return { muxd, port: (p) => String(p + shift.offset) };
    } catch (error) {
      const taken = error instanceof MuxdNotReadyError && error.finished.code === 1;
      if (!taken || tried.size >= 3) throw error;
    }
  }
}

Deno.test({
  name: "muxd serve --dashboard page opened after traffic lists the earlier arrivals at once",
  ignore: browserProblem !== null,
  fn: async () => {
    const { muxd, port } = await serveDemo();
    await using _muxd = muxd;
    // Arrivals before any page is open, one after the other, in the feed's order.
    const before: [args: string[], input: string, line: string][] = [
      [["-N", "127.0.0.1", port(7007)], "hello\n", `tcp 127.0.0.1:${port(7007)} <- R -> echo`],
      [["-d", "127.0.0.2", port(7007)], "", `tcp 127.0.0.2:${port(7007)} <- R -> whoami`],
      [
        ["-u", "-w1", "127.0.0.1", port(1060)],
        "hello\n",
        `udp 127.0.0.1:${port(1060)} <- R -> size`,
      ],
      [
        ["-u", "-w1", "127.0.0.2", port(1060)],
        "hello\n",
        `udp 127.0.0.2:${port(1060)} <- R -> echo`,
      ],
      [["-d", "127.0.0.1", port(7013)], "", `tcp 127.0.0.1:${port(7013)} <- R -> daytime`],
    ];
    for (const [args, input] of before) {
      const sent = await nc(args, input);
      assert.equal(sent.code, 0, sent.stderr);
    }
    const lineOf = (shown: string) =>
      new RegExp(`^${shown.replaceAll(".", "\\.").replace("R", String.raw`127\.0\.0\.1:\d+`)}$`);

    await using browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(muxd.ready.dashboard ?? "");
    await page.waitForSelector('#status[data-state="live"]', { timeout: 5000 });
    // The first snapshot brought them: nothing arrived since the page opened.
    await page.waitForSelector(`#feed li:nth-child(${before.length})`, { timeout: 5000 });
    const lines = await feedLines(page);
    assert.equal(lines.length, before.length, lines.join("\n"));
    before.toReversed().forEach(([, , shown], i) => assert.match(lines[i], lineOf(shown)));
    assert.equal(await page.isHidden("#feed-empty"), true, "the feed says it waits for arrivals");

    // New arrivals light up their rows, above the earlier ones.
    const lit: [key: string, args: string[], input: string][] = [
      [`tcp 127.0.0.1:${port(7017)}`, ["-d", "127.0.0.1", port(7017)], ""],
      [`udp 127.0.0.1:${port(7007)}`, ["-u", "-w1", "127.0.0.1", port(7007)], "hello\n"],
      [`tcp 127.0.0.1:${port(7037)}`, ["-d", "127.0.0.1", port(7037)], ""],
    ];
    const sent = await Promise.all([
      ...lit.map(([key]) =>
        page.waitForSelector(`#sockets tbody tr[data-key="${key}"].hit`, {
          state: "attached",
          timeout: 5000,
        }).then(() => null)
      ),
      ...lit.map(([, args, input]) => nc(args, input)),
    ]);
    for (const result of sent) if (result !== null) assert.equal(result.code, 0, result.stderr);
    if (UPDATE_SCREENSHOT) {
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`updated ${SCREENSHOT}`);
    }
    const after = await feedLines(page);
    assert.equal(after.length, before.length + lit.length, after.join("\n"));
    before.toReversed().forEach(([, , shown], i) =>
      assert.match(after[lit.length + i], lineOf(shown))
    );
  },
});
