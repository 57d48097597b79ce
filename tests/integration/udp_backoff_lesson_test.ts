/**
 * The UDP lesson of docs/faults.md: the book's client with exponential
 * backoff (docs/examples/udp_backoff.py), run with the system's python3
 * against size with `drop=0.5&seed=1`, prints what the docs show; against a
 * server that drops everything it gives up within its bound.
 *
 * @module
 */

import assert from "node:assert/strict";
import { serveDebug, startMuxd } from "../_support/process.ts";
import { eventsOf, logEvents } from "../_support/log.ts";
import { docCommands } from "../docs/_markdown.ts";
import { outputAgrees } from "../docs/_runner.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const EXAMPLE = `${ROOT}docs/examples/udp_backoff.py`;
const COMMAND = "python3 docs/examples/udp_backoff.py 127.0.0.1 1060";

/** Runs the example against 127.0.0.1:`port`. */
async function backoff(port: number) {
  const out = await new Deno.Command("python3", {
    args: [EXAMPLE, "127.0.0.1", `${port}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** What docs/faults.md shows the example print. */
function shown(): readonly string[] {
  const text = Deno.readTextFileSync(`${ROOT}docs/faults.md`);
  const command = docCommands("docs/faults.md", text).find((c) => c.text === COMMAND);
  assert.ok(command?.output, `docs/faults.md shows no output of ${COMMAND}`);
  return command.output;
}

/**
 * The example's output as the docs show it: the docs' port for muxd's, and
 * the docs' client port for this run's (the client's socket name changes).
 */
function asInDocs(stdout: string, port: number, docs: readonly string[]): string {
  const docClient = docs.join("\n").match(/Client socket name is \('127\.0\.0\.1', (\d+)\)/)![1];
  return stdout
    .replace(/(Client socket name is \('127\.0\.0\.1', )\d+\)/, `$1${docClient})`)
    .replaceAll(`('127.0.0.1', ${port})`, "('127.0.0.1', 1060)");
}

Deno.test("docs/examples/udp_backoff.py against size?drop=0.5&seed=1 retries each dropped request and prints what docs/faults.md shows", async () => {
  const docs = shown();
  // The same seed drops the same requests, so the output is the docs' every
  // time, unless a loaded machine holds a reply past the client's 0.1 s:
  // then the client sends once more, as the lesson teaches. One fresh try
  // tells the two apart.
  let last = "";
  for (let attempt = 0; attempt < 2; attempt++) {
    await using muxd = await startMuxd(serveDebug("udp://127.0.0.1:0=size?drop=0.5&seed=1"));
    const port = muxd.port(0);
    const { code, stdout, stderr } = await backoff(port);
    assert.equal(code, 0, stderr);
    last = asInDocs(stdout, port, docs);
    const tries = stdout.split("\n").filter((l) => l.startsWith("  sent ")).length;
    const { stderr: log } = await muxd.stop();
    const drops = eventsOf(logEvents(log), "fault").filter((e) => e.fault === "drop").length;
    // Every try reached muxd; those it did not answer it dropped, and said so.
    assert.equal(eventsOf(logEvents(log), "datagram").length, tries);
    assert.ok(drops >= 1 && drops <= tries - 5, `${drops} drops in ${tries} tries`);
    if (outputAgrees(last, docs)) return;
  }
  assert.fail(
    `the example printed:\n${last}\ninstead of what docs/faults.md shows:\n${docs.join("\n")}`,
  );
});

Deno.test("docs/examples/udp_backoff.py against size?drop=1 gives up after five tries, waiting 3.1 s in all", async () => {
  await using muxd = await startMuxd(serveDebug("udp://127.0.0.1:0=size?drop=1"));
  const start = performance.now();
  const { code, stdout, stderr } = await backoff(muxd.port(0));
  const seconds = (performance.now() - start) / 1000;
  assert.equal(code, 1);
  assert.equal(stderr, "no reply: I think the server is down\n");
  const waits = [...stdout.matchAll(/waiting up to ([\d.]+) seconds/g)].map((m) => Number(m[1]));
  assert.deepEqual(waits, [0.1, 0.2, 0.4, 0.8, 1.6]);
  assert.ok(seconds >= 3.1 && seconds < 30, `gave up after ${seconds} s`);
});
