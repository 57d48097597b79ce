/**
 * End-to-end tests of the command line's edges: the short help and version
 * flags, options without a command, one error prefix, and the examples
 * that `--help` shows.
 */

import assert from "node:assert/strict";
import { MUXD_COMMANDS } from "../../lib/holder/command_line.ts";
import denoJson from "../../deno.json" with { type: "json" };
import {
  assertNoStackTrace,
  MAIN,
  runMuxd,
  runMuxdExpectingFailure,
  SERVE_PERMISSIONS,
  startMuxd,
} from "../_support/process.ts";
import { runOnTerminal } from "../_support/pty.ts";

/** The lines of `text`, without the empty line after the last newline. */
function lines(text: string): string[] {
  return text.split("\n").filter((line, i, all) => !(line === "" && i === all.length - 1));
}

Deno.test("muxd -h prints the help page as muxd --help does, and exits 0", async () => {
  const short = await runMuxd(["-h"]);
  const long = await runMuxd(["--help"]);
  assert.equal(short.code, 0, short.stderr);
  assert.match(short.stdout, /^Usage: muxd serve /m);
  assert.equal(short.stdout, long.stdout);
});

Deno.test("muxd serve -h prints the help of serve and exits 0", async () => {
  const result = await runMuxd(["serve", "-h"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Usage: muxd serve /m);
  assert.doesNotMatch(result.stdout, /muxd check/);
});

Deno.test("muxd -V prints the version from deno.json and exits 0", async () => {
  const result = await runMuxd(["-V"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `${denoJson.version}\n`);
});

Deno.test("muxd --listen SPEC without a command serves it, as muxd serve --listen SPEC", async () => {
  await using muxd = await startMuxd(["--listen", "tcp://127.0.0.1:0=echo", "--grace", "0"]);
  assert.deepEqual(muxd.ready.sockets.map((s) => s.spec), ["tcp://127.0.0.1:0=echo"]);
  const { code } = await muxd.stop("SIGTERM");
  assert.equal(code, 0);
});

Deno.test("muxd writes every command-line error as one line after muxd:, and exits 2", async () => {
  const cases = [
    ["-x"],
    ["serve", "--grace", "soon"],
    ["check", "--format", "yaml"],
    ["serve", "-l", "tcp://127.0.0.1:0=nope"],
    ["frobnicate"],
  ];
  for (const args of cases) {
    const result = await runMuxdExpectingFailure(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "");
    const got = lines(result.stderr);
    assert.equal(got.length, 1, `${args.join(" ")}: ${result.stderr}`);
    assert.match(got[0], /^muxd: \S/, args.join(" "));
    assertNoStackTrace(result);
  }
});

Deno.test("muxd --help's check example shows the wildcard conflict and no other error", async () => {
  const help = await runMuxd(["--help"]);
  const examples = help.stdout.slice(help.stdout.indexOf("Examples:")).split("\n");
  const example = examples.map((l) => l.trim()).find((l) => l.startsWith("muxd check "));
  assert.ok(example, help.stdout);
  const args = example.split(" ").slice(1);
  const result = await runMuxd([...args, "--format", "json"]);
  assert.equal(result.code, 1, result.stderr);
  const report = JSON.parse(result.stdout) as {
    findings: { rule: string; severity: string }[];
  };
  // What this host has on port 7007 now (a program's "in-use", a recent
  // client's "time-wait" note) depends on the host, and is left out here.
  const findings = report.findings.filter((f) => f.rule !== "in-use" && f.rule !== "time-wait")
    .map((f) => `${f.severity} ${f.rule}`);
  assert.deepEqual(findings, ["warning public-address", "error ipv4-wildcard"]);
});

Deno.test("muxd serve exits with 2 and one line for a TCP-only option on a UDP listener", async () => {
  const spec = "udp://127.0.0.1:0=echo?max-conns=5";
  const result = await runMuxdExpectingFailure(["serve", "-l", spec]);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.deepEqual(lines(result.stderr), [
    `muxd: Cannot use listen spec "${spec}" (argument 2 after serve): option max-conns applies to TCP ` +
    "listeners only, and this one is UDP; remove it",
  ]);
});

Deno.test("muxd check calls an interface-name typo what it is and lists this host's interfaces", async () => {
  const names = [...new Set(Deno.networkInterfaces().map((i) => i.name))];
  const typo = "eth97";
  assert.ok(!names.includes(typo), `this host has an interface named ${typo}`);
  const spec = `tcp://${typo}:7100=echo`;
  const result = await runMuxd(["check", "-l", spec]);
  assert.equal(result.code, 2, result.stderr);
  assert.deepEqual(lines(result.stderr), [
    `muxd: Cannot use listen spec "${spec}" (argument 2 after check): ${typo} is not a network interface ` +
    `of this host, whose interfaces are ${names.join(", ")}`,
  ]);
});

Deno.test("muxd serve --public warns that a wildcard answers only the peers its allow option lets in", async () => {
  await using muxd = await startMuxd([
    "serve",
    "--public",
    "-l",
    "tcp://0.0.0.0:0=echo?allow=127.0.0.0/8",
    "-l",
    "tcp://0.0.0.0:0=whoami",
  ]);
  const { stderr } = await muxd.stop("SIGTERM");
  const warnings = lines(stderr).filter((l) => l.includes("exposed to other hosts"));
  assert.equal(warnings.length, 2, stderr);
  assert.match(
    warnings[0],
    /tcp:\/\/0\.0\.0\.0:0=echo\?allow=127\.0\.0\.0\/8 \(argument 3 after serve\) answers only peers in 127\.0\.0\.0\/8 \(its allow option\)$/,
  );
  assert.match(
    warnings[1],
    /tcp:\/\/0\.0\.0\.0:0=whoami \(argument 5 after serve\) answers anyone who can reach this host$/,
  );
});

Deno.test("muxd check --public says a wildcard narrowed by allow answers only those peers", async () => {
  const result = await runMuxd([
    "check",
    "--public",
    "--format",
    "json",
    "-l",
    "tcp://0.0.0.0:0=echo?allow=127.0.0.0/8,::1",
  ]);
  const report = JSON.parse(result.stdout) as { findings: { rule: string; explanation: string }[] };
  const finding = report.findings.find((f) => f.rule === "public-address");
  assert.ok(finding, result.stdout);
  assert.match(
    finding.explanation,
    /--public allows it: it answers only peers in 127\.0\.0\.0\/8, ::1 \(its allow option\)\.$/,
  );
});

Deno.test("muxd serve writes its ready record to stdout only when stdout is not a terminal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-terminal-" });
  try {
    const path = `${dir}/ready.json`;
    const args = ["run", ...SERVE_PERMISSIONS, MAIN, "serve", "-l", "tcp://127.0.0.1:0=echo"];
    const onTerminal = await runOnTerminal(
      "deno",
      [...args, "--ready-file", path],
      "Press Ctrl-C to stop.",
    );
    assert.equal(onTerminal.code, 0, onTerminal.stderr);
    // The socket table's header names the process, which the ready record alone did.
    assert.match(
      onTerminal.stderr,
      new RegExp(`^muxd \\(process ${onTerminal.pid}\\) is serving 1 socket:$`, "m"),
    );
    assert.equal(onTerminal.stdout, "", "nothing on the terminal's stdout");
    // In a pipe, the same command prints the record, and the same header.
    await using piped = await startMuxd(args.slice(args.indexOf("serve")));
    assert.equal(piped.ready.sockets.length, 1);
    const { stderr } = await piped.stop("SIGTERM");
    assert.match(
      stderr,
      new RegExp(`^muxd \\(process ${piped.ready.pid}\\) is serving 1 socket:$`, "m"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd --help's examples quote every word a shell would glob or split (zsh stops at an unmatched [::1])", async () => {
  const help = await runMuxd(["--help"]);
  const examples = help.stdout.slice(help.stdout.indexOf("Examples:")).split("\n").slice(1)
    .map((l) => l.trim()).filter((l) => l.startsWith("muxd "));
  assert.ok(examples.length >= 3, help.stdout);
  for (const example of examples) {
    // Outside single quotes, no [ ] ? * & ; | < >.
    const unquoted = example.replace(/'[^']*'/g, "");
    assert.doesNotMatch(unquoted, /[[\]?*&;|<>]/, example);
  }
});

Deno.test("MUXD_COMMANDS, by which another muxd is told from a Deno program, are the commands muxd --help lists", async () => {
  const help = await runMuxd(["--help"]);
  const listed = [...help.stdout.matchAll(/^(?:Usage:)?\s+muxd ([a-z]+)\b/gm)].map((m) => m[1]);
  assert.deepEqual([...MUXD_COMMANDS].sort(), [...new Set(listed)].sort());
});

Deno.test("muxd serve --public warns once for a port range on a wildcard, naming the range as written", async () => {
  // It warned once per port: 100 alike lines for a 100-port range. Below
  // the ephemeral range; --keep-going serves the range if another program
  // holds a port of it.
  const first = 20_000 + Math.floor(Math.random() * 10_000);
  await using muxd = await startMuxd([
    "serve",
    "--public",
    "--keep-going",
    "-l",
    `tcp://0.0.0.0:${first}-${first + 99}=echo`,
    "-l",
    "tcp://0.0.0.0:0=echo",
    "-l",
    "tcp://0.0.0.0:0=echo",
  ]);
  const { stderr } = await muxd.stop("SIGTERM");
  const warnings = lines(stderr).filter((l) => l.includes("exposed to other hosts"));
  assert.deepEqual(warnings.map((l) => l.replace(/^\S+ /, "")), [
    `WRN exposed to other hosts: tcp://0.0.0.0:${first}-${
      first + 99
    }=echo (argument 4 after serve) answers anyone who can reach this host`,
    "WRN exposed to other hosts: tcp://0.0.0.0:0=echo (argument 6 after serve) answers anyone who can reach this host",
    "WRN exposed to other hosts: tcp://0.0.0.0:0=echo (argument 8 after serve) answers anyone who can reach this host",
  ]);
});
