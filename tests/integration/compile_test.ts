/**
 * End-to-end tests of muxd's standalone builds, each put through the same
 * tests as muxd from source:
 *
 * - `deno task bundle` (`dist/muxd.js`) is built and tested always.
 * - `deno task compile` (`dist/muxd`) is built and tested wherever Deno can
 *   obtain its base runtime (`denort`). Where it cannot, the compiled
 *   muxd's tests are reported as ignored and the reason is printed above
 *   the results; any other build failure fails them.
 *
 * `MUXD_COMPILED_BIN=PATH` tests an executable built elsewhere instead (the
 * release workflow does, on each platform, with PATH in `--allow-run`).
 */

import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import {
  type MuxdLauncher,
  permissionFlags,
  runMuxd,
  runMuxdExpectingFailure,
  SERVE_PERMISSIONS,
  task,
} from "../_support/process.ts";
import {
  type Build,
  buildBundle,
  buildCompiled,
  bundleElsewhere,
  compiledLauncher,
  compileTargets,
  expectedBakedPermissions,
  netcatSmoke,
  readBakedSettings,
  serveV8Flags,
  sourceLauncher,
  v8Flags,
} from "./_standalone.ts";

const bundle = await buildBundle();
const compiled = await buildCompiled();
if (compiled.kind === "unavailable") {
  console.log(`compile_test.ts: the compiled muxd's tests are ignored: ${compiled.reason}.`);
}

/** Why the netcat smoke test cannot run on this platform, or `null`. */
const noNetcat = Deno.build.os === "windows"
  ? "Windows has neither OpenBSD netcat nor SIGTERM for the netcat smoke test"
  : null;
if (noNetcat !== null) {
  console.log(`compile_test.ts: the netcat smoke tests are ignored: ${noNetcat}.`);
}

/** The path of a build, or the reason it does not exist as an error. */
function builtPath(build: Build, taskName: string): string {
  if (build.kind === "built") return build.path;
  throw new Error(
    `deno task ${taskName} failed:\n${build.kind === "failed" ? build.output : build.reason}`,
  );
}

/** A build of muxd under test. */
interface Artifact {
  /** How the README names it. */
  readonly name: string;
  /** Why its tests are ignored, or `null`. */
  readonly ignored: string | null;
  /** Starts it as a user would. */
  open(): Promise<MuxdLauncher & AsyncDisposable>;
}

const bundleArtifact: Artifact = {
  name: "dist/muxd.js",
  ignored: null,
  open: () => bundleElsewhere(builtPath(bundle, "bundle")),
};

const compiledArtifact: Artifact = {
  name: Deno.env.get("MUXD_COMPILED_BIN") || "dist/muxd",
  ignored: compiled.kind === "unavailable" ? compiled.reason : null,
  open: () => Promise.resolve(compiledLauncher(builtPath(compiled, "compile"))),
};

/** Commands that end by themselves, with muxd's answers to compare byte for byte. */
const CLI_CASES: readonly (readonly string[])[] = [
  ["--help"],
  ["services"],
  ["check"], // plans the built-in demo set without binding it
  ["serve", "-l", "tcp://127.0.0.1:7007/echo"], // bad input: exit code 2
  ["--no-such-flag"], // bad input: exit code 2
];

/** The tests every build of muxd must pass, as muxd from source does. */
function describeArtifact(artifact: Artifact): void {
  Deno.test({
    name: `${artifact.name} --version prints muxd's version from deno.json, not Deno's`,
    ignore: artifact.ignored !== null,
    fn: async () => {
      await using launcher = await artifact.open();
      const { code, stdout, stderr } = await runMuxd(["--version"], launcher);
      assert.equal(code, 0, stderr);
      assert.equal(stdout.trim(), denoJson.version);
    },
  });

  Deno.test({
    name: `${artifact.name} answers --help, services, check and bad input exactly as main.ts does`,
    ignore: artifact.ignored !== null,
    fn: async () => {
      await using launcher = await artifact.open();
      for (const args of CLI_CASES) {
        const expected = await runMuxd(args, sourceLauncher());
        const actual = await runMuxd(args, launcher);
        const what = `muxd ${args.join(" ")}`;
        assert.equal(actual.code, expected.code, `${what}: exit code\n${actual.stderr}`);
        assert.equal(actual.stdout, expected.stdout, `${what}: stdout`);
        assert.equal(actual.stderr, expected.stderr, `${what}: stderr`);
      }
      const badInput = await runMuxd(CLI_CASES[3], launcher);
      assert.equal(badInput.code, 2, badInput.stderr);
    },
  });

  Deno.test({
    name: `${artifact.name} serves echo, size and whoami to netcat and exits 0 on SIGTERM`,
    ignore: artifact.ignored !== null || noNetcat !== null,
    fn: async () => {
      await using launcher = await artifact.open();
      await netcatSmoke(launcher);
    },
  });

  Deno.test({
    name: `${artifact.name} exits 1, naming the spec, when a listener's port is taken`,
    ignore: artifact.ignored !== null,
    fn: async () => {
      await using launcher = await artifact.open();
      using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const spec = `tcp://127.0.0.1:${held.addr.port}=echo`;
      const finished = await runMuxdExpectingFailure(["serve", "-l", spec], launcher);
      assert.equal(finished.code, 1, finished.stderr);
      assert.ok(finished.stderr.includes(spec), finished.stderr);
      assert.match(finished.stderr, /in use/, finished.stderr);
    },
  });
}

Deno.test("deno task bundle writes dist/muxd.js with every dependency inlined", async () => {
  const text = await Deno.readTextFile(builtPath(bundle, "bundle"));
  const imports = [...text.matchAll(/^\s*import\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
  const external = imports.filter((specifier) => !specifier.startsWith("node:"));
  assert.deepEqual(external, [], "the bundle imports only Deno's node: built-ins");
  assert.ok(!/\bimport\(\s*["']/.test(text), "the bundle has no dynamic imports");
});

describeArtifact(bundleArtifact);

Deno.test("dist/muxd.js refuses a listener outside its --allow-net with a clear message", async () => {
  const narrowed = SERVE_PERMISSIONS.map((flag) =>
    flag === "--allow-net" ? "--allow-net=127.0.0.1" : flag
  );
  await using launcher = await bundleElsewhere(builtPath(bundle, "bundle"), narrowed);
  const spec = "tcp://127.0.0.2:0=echo";
  const finished = await runMuxdExpectingFailure(["serve", "-l", spec], launcher);
  assert.equal(finished.code, 1, finished.stderr);
  assert.ok(finished.stderr.includes(spec), finished.stderr);
  assert.match(finished.stderr, /permission/i, finished.stderr);
});

Deno.test("deno.json's compile and install tasks grant the serve task's permissions, for every target", async () => {
  const serve = SERVE_PERMISSIONS;
  for (const name of ["compile", "compile:target", "install"]) {
    const command = task(name);
    assert.deepEqual(
      permissionFlags(command),
      serve,
      `deno task ${name} must bake in exactly what deno task serve grants: ${serve.join(" ")}`,
    );
    assert.match(command, /\s--unstable-net\s/);
  }
  const built = [...task("compile:all").matchAll(/MUXD_TARGET=(\S+)/g)].map((m) => m[1]);
  assert.deepEqual(built.toSorted(), (await compileTargets()).toSorted());
});

// V8's memory reducer shrinks the heap once muxd has been idle for a while;
// the next burst of connections then cost about 15 % more CPU per connection
// (docs/BENCHMARKS.md). Every way of running muxd turns it off alike.
Deno.test("deno.json runs muxd with the same V8 flags in every task, the memory reducer off", () => {
  const serve = serveV8Flags();
  assert.ok(serve.includes("--no-memory-reducer"), `deno task serve: ${serve.join(" ")}`);
  for (const name of ["muxd", "compile", "compile:target", "install"]) {
    assert.deepEqual(v8Flags(task(name)), serve, `deno task ${name}: ${task(name)}`);
  }
});

describeArtifact(compiledArtifact);

// muxd binds whatever address its user names (any local address, a wildcard,
// a host name), so the executable carries --allow-net for every host, as
// deno task serve does: no listener is outside its permissions. What it
// must not carry is anything more than the serve task grants.
Deno.test({
  name:
    `${compiledArtifact.name} carries exactly the serve task's permissions, V8 flags and the unstable net APIs`,
  ignore: compiledArtifact.ignored !== null,
  fn: async () => {
    const baked = await readBakedSettings(builtPath(compiled, "compile"));
    assert.deepEqual(baked.permissions, expectedBakedPermissions(SERVE_PERMISSIONS));
    assert.ok(baked.unstableFeatures.includes("net"), `unstable: ${baked.unstableFeatures}`);
    assert.deepEqual(baked.v8Flags, serveV8Flags());
  },
});
