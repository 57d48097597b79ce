/**
 * End-to-end tests of muxd's command line: exit codes and what it prints
 * for bad input, bind failures, `services`, `--version` and `--help`.
 */

import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import {
  assertNoStackTrace,
  runMuxd,
  runMuxdExpectingFailure,
  startMuxd,
} from "../_support/process.ts";
import { freePort } from "../_support/socket.ts";
import { DEMO_LISTENERS } from "../../lib/config/demo.ts";

/** The lines of `text`, without the empty line after the last newline. */
function lines(text: string): string[] {
  return text.split("\n").filter((line, i, all) => !(line === "" && i === all.length - 1));
}

Deno.test("muxd serve exits with 1 and names the spec when its port is already in use", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = blocker.addr.port;
  const spec = `tcp://127.0.0.1:${port}=echo`;
  const result = await runMuxdExpectingFailure(["serve", "-l", spec]);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, "", "no ready record");
  const failed = lines(result.stderr).filter((line) => line.includes(spec));
  assert.equal(failed.length, 1, result.stderr);
  assert.match(failed[0], /address already in use/);
  assertNoStackTrace(result);
});

Deno.test("muxd serve counts one port once when a spec given twice fails on it twice", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const spec = `tcp://127.0.0.1:${blocker.addr.port}=echo`;
  const result = await runMuxdExpectingFailure(["serve", "-l", spec, "-l", spec]);
  assert.equal(result.code, 1, result.stderr);
  const failed = lines(result.stderr).filter((line) => line.includes("cannot bind"));
  assert.equal(failed.length, 1, result.stderr);
  assert.ok(
    failed[0].includes(
      `cannot bind tcp 127.0.0.1:${blocker.addr.port}, for 2 listeners (of ${spec})`,
    ),
    failed[0],
  );
  assert.doesNotMatch(failed[0], /on 2 ports/);
});

Deno.test("muxd serve leaves nothing bound when one of its listeners cannot bind", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = blocker.addr.port;
  for (let attempt = 1;; attempt++) {
    const free = freePort("127.0.0.1");
    const result = await runMuxdExpectingFailure([
      "serve",
      "-l",
      `tcp://127.0.0.1:${free}=echo`,
      "-l",
      `udp://127.0.0.1:${free}=size`,
      "-l",
      `tcp://127.0.0.1:${taken}=whoami`,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, "", "no ready record");
    const cannotBind = lines(result.stderr).filter((line) => line.includes("cannot bind"));
    if (cannotBind.length > 1 && attempt < 5) continue; // another program took `free`
    assert.equal(cannotBind.length, 1, result.stderr);
    assert.match(cannotBind[0], new RegExp(`\\(tcp://127\\.0\\.0\\.1:${taken}=whoami\\)`));
    assert.match(
      result.stderr,
      /nothing is being served: 1 of 3 listeners could not be bound, so muxd closed the rest/,
    );
    // Both socket names muxd did bind are free again.
    using tcp = Deno.listen({ hostname: "127.0.0.1", port: free });
    const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: free });
    try {
      assert.equal(tcp.addr.port, free);
      assert.equal((udp.addr as Deno.NetAddr).port, free);
    } finally {
      udp.close();
    }
    return;
  }
});

Deno.test("muxd serve exits with 2 and quotes a bad spec with its argument position", async () => {
  const spec = "tcp://127.0.0.1:99999=echo";
  const result = await runMuxdExpectingFailure(["serve", "--grace", "1", "-l", spec]);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.deepEqual(lines(result.stderr), [
    `muxd: Cannot parse listen spec "${spec}" (argument 4 after serve): port must be <= 65535`,
  ]);
});

Deno.test("muxd serve reports every bad spec, each with its argument position", async () => {
  const result = await runMuxdExpectingFailure([
    "serve",
    "--log-format",
    "json",
    "-l",
    "sctp://127.0.0.1:7=echo",
    "-l",
    "tcp://127.0.0.1:0=echo",
    "--listen=udp://127.0.0.1:0=banner",
    "--listen",
    "udp://127.0.0.1:0=nope",
  ]);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.deepEqual(lines(result.stderr), [
    'muxd: Cannot parse listen spec "sctp://127.0.0.1:7=echo" (argument 4 after serve): ' +
    'unknown transport "sctp"; use tcp or udp',
    'muxd: Cannot use listen spec "udp://127.0.0.1:0=banner" (argument 7 after serve): ' +
    "banner is a TCP-only service",
    'muxd: Cannot parse listen spec "udp://127.0.0.1:0=nope" (argument 9 after serve): ' +
    'unknown service "nope"; known services: echo, discard, chargen, qotd, daytime, time, ' +
    "whoami, size, banner, exec, forward",
  ]);
});

Deno.test('muxd serve counts argument positions right when another option\'s value is "-l"', async () => {
  // `--ready-file -l` names a file called "-l"; the spec is argument 4 after serve.
  const result = await runMuxdExpectingFailure([
    "serve",
    "--ready-file",
    "-l",
    "-l",
    "tcp://127.0.0.1:0=nope",
  ]);
  assert.equal(result.code, 2, result.stderr);
  assert.deepEqual(lines(result.stderr), [
    'muxd: Cannot parse listen spec "tcp://127.0.0.1:0=nope" (argument 4 after serve): ' +
    'unknown service "nope"; known services: echo, discard, chargen, qotd, daytime, time, ' +
    "whoami, size, banner, exec, forward",
  ]);
});

Deno.test("muxd cuts a huge argument it quotes in an error to 200 characters, keeping the line's end", async () => {
  const huge = "a".repeat(20_000);
  for (const args of [["serve", "--grace", huge], ["serve", `--${huge}`], [huge]]) {
    const result = await runMuxdExpectingFailure(args);
    assert.equal(result.code, 2, result.stderr.slice(0, 200));
    const [line, ...more] = lines(result.stderr);
    assert.deepEqual(more, []);
    assert.ok(line.length < 400, `${line.length} characters: ${line.slice(0, 100)}...`);
    assert.match(line, /^muxd: .*a{190,}\.\.\.["`]\.$/);
  }
});

Deno.test("muxd exits with 2 and one error line, without a stack trace, for an unknown flag", async () => {
  const result = await runMuxdExpectingFailure([
    "serve",
    "--bogus",
    "-l",
    "tcp://127.0.0.1:0=echo",
  ]);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.deepEqual(lines(result.stderr), ["muxd: Unexpected option or subcommand: `--bogus`."]);
  assertNoStackTrace(result);
});

Deno.test("muxd escapes an escape code it was given, in an error line and in check's report, so that it cannot clear the terminal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd_config_" });
  try {
    const path = `${dir}/a\x1b[2J\rb.jsonc`;
    const shown = `${dir}/a\\x1b[2J\\x0db.jsonc`;
    const missing = await runMuxdExpectingFailure(["check", "-c", path]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.deepEqual(lines(missing.stderr), [
      `muxd: ${shown}: cannot read config file: no such file`,
    ]);

    await Deno.writeTextFile(path, '{ "listen": [ "tcp://127.0.0.1:0=echo", 5 ] }');
    const bad = await runMuxdExpectingFailure(["serve", "-c", path]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(lines(bad.stderr)[0], new RegExp(`^muxd: ${RegExp.escape(shown)}:1:41: each`));

    await Deno.writeTextFile(
      path,
      '{ "listen": [ "tcp://127.0.0.1:7400=echo", "tcp://127.0.0.1:7400=echo" ] }',
    );
    const check = await runMuxd(["check", "-c", path]);
    assert.equal(check.code, 1, check.stderr);
    assert.ok(!check.stdout.includes("\x1b") && !check.stdout.includes("\r"), check.stdout);
    assert.match(
      check.stdout,
      new RegExp(`^  tcp://127\\.0\\.0\\.1:7400=echo \\(${RegExp.escape(shown)}:1:44\\)$`, "m"),
    );

    const token = await runMuxdExpectingFailure([
      "serve",
      "--control",
      "127.0.0.1:0",
      "--control-token-file",
      path.replace(".jsonc", ".token"),
      "-l",
      "tcp://127.0.0.1:0=echo",
    ]);
    assert.equal(token.code, 2, token.stderr);
    assert.ok(!token.stderr.includes("\x1b"), token.stderr);
    assert.match(token.stderr, /\\x1b\[2J\\x0db\.token \(--control-token-file\)/);

    // JSON escapes what JSON.stringify leaves raw: a right-to-left override, a C1 control.
    const other = `${dir}/r\u202ex\u009b.jsonc`;
    await Deno.rename(path, other);
    const json = await runMuxd(["check", "--format", "json", "-c", other]);
    assert.equal(json.code, 1, json.stderr);
    assert.doesNotMatch(json.stdout, /[\u202e\u009b]/);
    const findings = JSON.parse(json.stdout).findings;
    assert.equal(findings[0].specs[0].source, `${other}:1:44`);

    const flag = await runMuxdExpectingFailure(["serve", "--x\x1b[2Jy"]);
    assert.equal(flag.code, 2, flag.stderr);
    assert.deepEqual(lines(flag.stderr), [
      "muxd: Unexpected option or subcommand: `--x\\x1b[2Jy`.",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve escapes an escape code in the control token file's path where the lines after the socket table name it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd_token_" });
  try {
    const path = `${dir}/t\x1b[2Jok`;
    await Deno.writeTextFile(path, "abcdefghijklmnopqrstuvwxyz0123456789\n");
    await using muxd = await startMuxd([
      "serve",
      "--control",
      "127.0.0.1:0",
      "--control-token-file",
      path,
      "-l",
      "tcp://127.0.0.1:0=echo",
    ]);
    await muxd.waitForStderr("Press Ctrl-C to stop.");
    assert.ok(muxd.stderr().includes(`(token from ${dir}/t\\x1b[2Jok;`), muxd.stderr());
    assert.ok(!muxd.stderr().includes("\x1b"), muxd.stderr());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve exits with 2 and names file:line:column for a bad config file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd_config_" });
  try {
    const path = `${dir}/muxd.jsonc`;
    await Deno.writeTextFile(
      path,
      [
        "{",
        "  // one good listener, one bad, and two bad settings",
        '  "listen": [',
        '    "tcp://127.0.0.1:0=echo",',
        '    "udp://127.0.0.1:0=bogus",',
        "  ],",
        '  "grace": -1,',
        '  "colour": true,',
        "}",
        "",
      ].join("\n"),
    );
    const result = await runMuxdExpectingFailure(["serve", "--config", path]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, "");
    assert.deepEqual(lines(result.stderr), [
      `muxd: ${path}:7:12: "grace" must be a number of seconds from 0 to 3600`,
      `muxd: ${path}:8:3: unknown setting "colour"; known settings: listen, grace, logFormat, ` +
      "logLines, readyFile, keepGoing, public, maxConnections",
      `muxd: Cannot parse listen spec "udp://127.0.0.1:0=bogus" (${path}:5:5): unknown service ` +
      '"bogus"; known services: echo, discard, chargen, qotd, daytime, time, whoami, size, banner, exec, forward',
    ]);

    await Deno.writeTextFile(path, '{ "listen": [ "tcp://127.0.0.1:0=echo"\n');
    const broken = await runMuxdExpectingFailure(["serve", "-c", path]);
    assert.equal(broken.code, 2, broken.stderr);
    const first = lines(broken.stderr)[0];
    assert.ok(first.startsWith(`muxd: ${path}:2:1: invalid JSONC: `), broken.stderr);
    assertNoStackTrace(broken);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve exits with 2 and one error line, without a stack trace, when --ready-file cannot be written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd_ready_" });
  try {
    const path = `${dir}/no/such/dir/ready.json`;
    const result = await runMuxdExpectingFailure([
      "serve",
      "-l",
      "tcp://127.0.0.1:0=echo",
      "--ready-file",
      path,
    ]);
    assertNoStackTrace(result);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, "", "no ready record");
    const errors = lines(result.stderr).filter((line) => line.includes(path));
    assert.equal(errors.length, 1, result.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd services lists all ten services", async () => {
  const result = await runMuxd(["services"]);
  assert.equal(result.code, 0, result.stderr);
  const rows = lines(result.stdout);
  assert.match(rows[0], /^SERVICE\s+TRANSPORT\s+DEFINED BY\s+WHAT IT DOES$/);
  assert.deepEqual(
    rows.slice(1).map((row) => row.split(/\s+/).slice(0, 3).join(" ")),
    [
      "echo tcp+udp RFC",
      "discard tcp+udp RFC",
      "chargen tcp+udp RFC",
      "qotd tcp+udp RFC",
      "daytime tcp+udp RFC",
      "time tcp+udp RFC",
      "whoami tcp+udp muxd",
      "size tcp+udp muxd",
      "banner tcp muxd",
      "exec tcp+udp muxd",
      "forward tcp+udp muxd",
    ],
  );
  // An option the spec must set says so, rather than show an empty default.
  assert.match(result.stdout, /\(option run, required\)/);
  assert.match(result.stdout, /\(option to, required\)/);
  assert.match(result.stdout, /\(option text, default "Connection received"\)/);
});

Deno.test("muxd --version prints the version from deno.json", async () => {
  const result = await runMuxd(["--version"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `${denoJson.version}\n`);
});

Deno.test("muxd --help exits with 0 and shows the usage of both commands", async () => {
  const result = await runMuxd(["--help"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Usage: muxd serve /m);
  assert.match(result.stdout, /^\s+muxd services$/m);
  assertNoStackTrace(result);
});

Deno.test("muxd serve -- --help shows serve's help, as deno task serve -- --help passes it", async () => {
  const result = await runMuxd(["serve", "--", "--help"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Usage: muxd serve /m);
  assertNoStackTrace(result);
});

Deno.test("muxd -- check runs check, as deno task muxd -- check passes it", async () => {
  const result = await runMuxdExpectingFailure(["--", "check", "-l", "tcp://127.0.0.1:99999=echo"]);
  assert.equal(result.code, 2, result.stderr);
  assert.deepEqual(lines(result.stderr), [
    'muxd: Cannot parse listen spec "tcp://127.0.0.1:99999=echo" (argument 2 after check): ' +
    "port must be <= 65535",
  ]);
});

Deno.test("muxd serve -- -l counts a bad spec's position as typed, the -- included", async () => {
  const result = await runMuxdExpectingFailure(["serve", "--", "-l", "tcp://127.0.0.1:0=nope"]);
  assert.equal(result.code, 2, result.stderr);
  assert.deepEqual(lines(result.stderr), [
    'muxd: Cannot parse listen spec "tcp://127.0.0.1:0=nope" (argument 3 after serve): ' +
    'unknown service "nope"; known services: echo, discard, chargen, qotd, daytime, time, ' +
    "whoami, size, banner, exec, forward",
  ]);
});

Deno.test("muxd with no arguments serves the built-in demo set", async () => {
  await using muxd = await startMuxd([]);
  const specs = muxd.ready.sockets.map((s) => s.spec);
  const failed = muxd.ready.failed.map((f) => f.spec);
  // Every demo listener is either served or listed with its reason (the demo keeps going).
  assert.deepEqual(
    [...specs, ...failed].sort(),
    DEMO_LISTENERS.map((d) => d.spec).sort(),
  );
  assert.ok(specs.length > 0, `nothing of the demo set was bound: ${muxd.ready.failed}`);
  const { code } = await muxd.stop("SIGTERM");
  assert.equal(code, 0);
});

Deno.test("muxd serve says in one line that muxd is already running when another muxd holds every listener", async () => {
  await using first = await startMuxd([
    "serve",
    "-l",
    "tcp://127.0.0.1:0=echo",
    "-l",
    "udp://127.0.0.1:0=whoami",
  ]);
  const [tcp, udp] = first.ready.sockets.map((s) => s.port);
  const result = await runMuxdExpectingFailure([
    "serve",
    "-l",
    `tcp://127.0.0.1:${tcp}=echo`,
    "-l",
    `udp://127.0.0.1:${udp}=whoami`,
  ]);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, "");
  const pid = first.ready.pid;
  const said = lines(result.stderr);
  assert.equal(said.length, 1, result.stderr);
  assert.match(
    said[0],
    new RegExp(
      `ERR muxd is already running as process ${pid} and holds all 2 listeners asked for: ` +
        `stop it with \`kill ${pid}\`, or serve a second set on ports the OS picks: ` +
        `muxd serve -l 'tcp://127\\.0\\.0\\.1:0=echo' -l 'udp://127\\.0\\.0\\.1:0=whoami'$`,
    ),
  );
  assertNoStackTrace(result);
});

Deno.test("muxd serve keeps one explanation per listener, and gives no --keep-going advice, when another program holds its only listener", async () => {
  using blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const spec = `tcp://127.0.0.1:${blocker.addr.port}=echo`;
  const result = await runMuxdExpectingFailure(["serve", "-l", spec]);
  assert.equal(result.code, 1, result.stderr);
  const said = lines(result.stderr);
  assert.equal(said.length, 2, result.stderr);
  assert.match(said[0], /ERR cannot bind .*address already in use.* of process \d+ \(deno\)/);
  assert.match(said[1], /ERR nothing is being served: its one listener could not be bound$/);
});

Deno.test("muxd help with an unknown command says so in one line, without the usage squeezed into it", async () => {
  const result = await runMuxd(["help", "nosuch"]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "muxd: Unexpected option or subcommand: `nosuch`.\n");
});

Deno.test("muxd serve -c with an empty path says so in one line", async () => {
  const result = await runMuxd(["serve", "-c", ""]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "muxd: --config was given an empty path: name a config file\n");
});
