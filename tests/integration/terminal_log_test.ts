/**
 * The log on a terminal: muxd runs with its standard error on a
 * pseudo-terminal (`tests/_support/pty_stderr.py`, 100 columns wide), and
 * what the terminal shows must be what a pipe receives, line for line, with
 * colour the only addition.
 */

import assert from "node:assert/strict";
import {
  type Finished,
  MAIN,
  type MuxdLauncher,
  runMuxdExpectingFailure,
  SERVE_PERMISSIONS,
  SOURCE_LAUNCHER,
  startMuxd,
} from "../_support/process.ts";
import { freePort, readToEnd, sendAndHalfClose } from "../_support/socket.ts";
import { asPipeText, coloredPieces, ESC, withoutColor } from "../_support/ansi.ts";

const PTY_STDERR = new URL("../_support/pty_stderr.py", import.meta.url).pathname;

/**
 * muxd from source with its standard error on a terminal 100 columns wide,
 * as a user's terminal has it: TERM set, NO_COLOR and FORCE_COLOR unset.
 */
const ON_TERMINAL: MuxdLauncher = {
  program: "python3",
  args: [
    PTY_STDERR,
    "--columns",
    "100",
    "--set",
    "TERM=xterm-256color",
    "--unset",
    "NO_COLOR",
    "--unset",
    "FORCE_COLOR",
    "--",
    SOURCE_LAUNCHER.program,
    ...SOURCE_LAUNCHER.args,
  ],
};

/** Times, the client's ephemeral port, durations and muxd's pid, which differ from run to run, made equal. */
function normalised(text: string): string[] {
  return text
    .replace(/^\d\d:\d\d:\d\d\.\d{3} /gm, "HH:MM:SS.mmm ")
    .replace(/\(process \d+\)/g, "(process N)")
    .replace(/<- 127\.0\.0\.1:\d+/g, "<- 127.0.0.1:REMOTE")
    .replace(/after \d+ ms/g, "after N ms")
    .split("\n");
}

/** Serves one echo connection on `port`, stops muxd with SIGTERM, and returns its stderr. */
async function oneEchoConnection(port: number, launcher: MuxdLauncher): Promise<Finished> {
  await using muxd = await startMuxd(["serve", "-l", `tcp://127.0.0.1:${port}=echo`], launcher);
  {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await sendAndHalfClose(conn, new TextEncoder().encode("hello\n"));
    await readToEnd(conn);
  }
  await muxd.waitForStderr("closed after");
  return await muxd.stop("SIGTERM");
}

/** Asserts that a terminal showed the pipe's lines with colour added and nothing else. */
function assertColourOnlyAdded(terminal: Finished, pipe: Finished): void {
  assert.equal(terminal.code, pipe.code);
  const shown = asPipeText(terminal.stderr);
  assert.notEqual(coloredPieces(shown).length, 0, "colour on a terminal with NO_COLOR unset");
  const plain = withoutColor(shown);
  assert.ok(!plain.includes(ESC), `only colour codes, no other escape:\n${JSON.stringify(shown)}`);
  assert.deepEqual(normalised(plain), normalised(pipe.stderr));
}

Deno.test("muxd serve writes on a terminal the lines it writes into a pipe, colour added", async () => {
  const port = freePort();
  const pipe = await oneEchoConnection(port, SOURCE_LAUNCHER);
  // Time, level, the line: the docs' format, opened, closed, then shutdown.
  assert.match(
    pipe.stderr,
    /^\d\d:\d\d:\d\d\.\d{3} INF tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ -> echo$/m,
  );
  assert.match(pipe.stderr, /^\d\d:\d\d:\d\d\.\d{3} INF SIGTERM: stopped accepting; .{40,}$/m);
  const terminal = await oneEchoConnection(port, ON_TERMINAL);
  assertColourOnlyAdded(terminal, pipe);
  // The level and the arrows are what is coloured.
  assert.deepEqual(new Set(coloredPieces(terminal.stderr)), new Set(["INF", "<-", "->"]));
});

Deno.test("muxd serve writes a bind error of 300 characters on a terminal as one line", async () => {
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const args = ["serve", "-l", `tcp://127.0.0.1:${held.addr.port}=echo`];
  const pipe = await runMuxdExpectingFailure(args);
  assert.equal(pipe.code, 1);
  const error = pipe.stderr.split("\n").find((line) => line.includes(" ERR cannot bind "));
  assert.ok(error !== undefined && error.length > 200, `a long ERR line:\n${pipe.stderr}`);
  const terminal = await runMuxdExpectingFailure(args, ON_TERMINAL);
  assertColourOnlyAdded(terminal, pipe);
});

/** Runs muxd on a port that is held, in a pipe, with the environment given (NO_COLOR unset unless given). */
async function failedBindInPipe(port: number, env: Record<string, string>): Promise<string> {
  const vars = Deno.env.toObject();
  delete vars.NO_COLOR;
  delete vars.FORCE_COLOR;
  const out = await new Deno.Command("deno", {
    args: ["run", ...SERVE_PERMISSIONS, MAIN, "serve", "-l", `tcp://127.0.0.1:${port}=echo`],
    stdin: "null",
    clearEnv: true,
    env: { ...vars, ...env },
  }).output();
  assert.equal(out.code, 1);
  return new TextDecoder().decode(out.stderr);
}

Deno.test("muxd serve colours a pipe under FORCE_COLOR, never under NO_COLOR", async () => {
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = held.addr.port;
  const plain = await failedBindInPipe(port, {});
  assert.ok(!plain.includes(ESC), `no colour in a pipe:\n${plain}`);
  const forced = await failedBindInPipe(port, { FORCE_COLOR: "1" });
  assert.deepEqual(coloredPieces(forced), ["ERR", "ERR"]);
  assert.deepEqual(normalised(withoutColor(forced)), normalised(plain));
  const both = await failedBindInPipe(port, { FORCE_COLOR: "1", NO_COLOR: "1" });
  assert.deepEqual(normalised(both), normalised(plain));
});
