/**
 * The dashboard of a muxd with a thousand sockets, in a real browser, while
 * arrivals come faster than the page's event stream carries them: the
 * stream then sends a snapshot of the whole table every frame, and the page
 * must take it without rebuilding the table, or it never catches up.
 */

import assert from "node:assert/strict";
import { chromiumProblem, launchChromium } from "./_browser.ts";
import { startMuxd } from "../_support/process.ts";
import { freeRange } from "../_support/socket.ts";

const browserProblem = chromiumProblem();
if (browserProblem !== null) {
  console.log(`dashboard browser tests ignored: ${browserProblem}`);
}

const SOCKETS = 1000;
const ROUNDS = 6;
const BURST = 500;
const ARRIVALS = ROUNDS * BURST;

/**
 * Opens `burst` connections over the range at once, then closes them all,
 * `rounds` times: each round is twice `burst` events within a moment, more
 * than one frame of the event stream carries (256).
 */
async function arrive(first: number, rounds: number, burst: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const conns = await Promise.all(
      Array.from(
        { length: burst },
        (_, i) =>
          Deno.connect({ hostname: "127.0.0.1", port: first + (round * burst + i) % SOCKETS }),
      ),
    );
    for (const conn of conns) conn.close();
  }
}

Deno.test({
  name:
    "muxd serve --dashboard with 1,000 sockets keeps the table's rows through the snapshots a flood of arrivals brings, and sums the summary at most every 100 ms",
  ignore: browserProblem !== null,
  fn: async () => {
    const first = freeRange(SOCKETS);
    const spec = `tcp://127.0.0.1:${first}-${first + SOCKETS - 1}=echo`;
    await using muxd = await startMuxd(["serve", "-l", spec, "--dashboard", "127.0.0.1:0"]);
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(muxd.ready.dashboard!);
    await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    // A selector, not waitForFunction: the dashboard's CSP forbids eval, which
    // waitForFunction uses to poll a string whenever it is not true at once.
    await page.waitForSelector(`#sockets tbody tr:nth-child(${SOCKETS})`, { timeout: 20_000 });
    assert.equal(
      await page.evaluate(`document.querySelectorAll("#sockets tbody tr").length`),
      SOCKETS,
    );
    // Marks every row, and counts the rows taken out of the table and the
    // summary's rewrites from now on (in the page: a string, as the browser runs it).
    await page.evaluate(`(() => {
      window.removedRows = 0;
      window.summaries = 0;
      window.since = performance.now();
      for (const tr of document.querySelectorAll("#sockets tbody tr")) tr.setAttribute("data-mark", "");
      new MutationObserver((records) => {
        for (const r of records) window.removedRows += r.removedNodes.length;
      }).observe(document.querySelector("#sockets tbody"), { childList: true });
      new MutationObserver((records) => window.summaries += records.length).observe(
        document.getElementById("summary"),
        { childList: true, characterData: true, subtree: true },
      );
    })()`);

    await arrive(first, ROUNDS, BURST);
    // The stream fell behind (more than 256 events in a frame): the page
    // got snapshots instead of the events, and says so.
    await page.waitForSelector('#feed li:has-text("this page fell behind")', { timeout: 20_000 });
    await page.waitForSelector(`#summary:has-text("${ARRIVALS} TCP connections")`, {
      timeout: 20_000,
    });

    const seen = await page.evaluate(`({
      removedRows: window.removedRows,
      summaries: window.summaries,
      elapsedMs: performance.now() - window.since,
      marked: document.querySelectorAll("#sockets tbody tr[data-mark]").length,
    })`) as { removedRows: number; summaries: number; elapsedMs: number; marked: number };
    // Each snapshot rebuilt the table: every row out, a new one in.
    assert.equal(seen.removedRows, 0, JSON.stringify(seen));
    assert.equal(seen.marked, SOCKETS);
    // Once per 100 ms, and once per snapshot (at most one a frame of 100 ms):
    // it was once per row of every snapshot and once per arrival.
    assert.ok(seen.summaries <= 2 * seen.elapsedMs / 100 + 10, JSON.stringify(seen));
    const { code, stderr } = await muxd.stop("SIGTERM");
    assert.equal(code, 0, stderr.slice(-500));
  },
});
