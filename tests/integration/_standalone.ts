/**
 * The standalone builds of muxd, for end-to-end tests: `deno task bundle`
 * (`dist/muxd.js`) and `deno task compile` (`dist/muxd`), how to run each
 * the way the README says, the permissions `deno.json` gives them, and the
 * netcat smoke test that every build of muxd must pass.
 */

import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  MAIN,
  type MuxdLauncher,
  SERVE_PERMISSIONS,
  startMuxd,
  task,
} from "../_support/process.ts";
import { nc } from "../_support/netcat.ts";

/** The project folder, where `deno task` runs. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What `deno task bundle` writes. */
export const BUNDLE: string = join(ROOT, "dist", "muxd.js");

/** What `deno task compile` writes (Deno adds `.exe` on Windows). */
export const COMPILED: string = join(
  ROOT,
  "dist",
  Deno.build.os === "windows" ? "muxd.exe" : "muxd",
);

/** How long one `deno task` may take before it is stopped. */
const TASK_TIMEOUT_MS = 300_000;

/**
 * The V8 flags of a task's command line, one per flag: `--v8-flags=--a,--b`
 * gives `["--a", "--b"]`.
 *
 * @param command A task's command line.
 * @returns Its V8 flags, in order.
 */
export function v8Flags(command: string): string[] {
  return command.split(/\s+/)
    .filter((word) => word.startsWith("--v8-flags="))
    .flatMap((word) => word.slice("--v8-flags=".length).split(","));
}

/** The V8 flags `deno task serve` runs muxd with: what every way of running muxd gets. */
export function serveV8Flags(): string[] {
  return v8Flags(task("serve"));
}

/** `deno run main.ts` with the serve task's permissions, quiet about Deno's own downloads. */
export function sourceLauncher(): MuxdLauncher {
  return { program: "deno", args: ["run", "--quiet", ...SERVE_PERMISSIONS, MAIN] };
}

/** How a build went. */
export type Build =
  | { readonly kind: "built"; readonly path: string }
  /** Deno could not obtain what the build needs from outside (only `deno compile`'s `denort`). */
  | { readonly kind: "unavailable"; readonly reason: string }
  | { readonly kind: "failed"; readonly output: string };

/** Runs `deno task NAME` in the project folder; returns its exit code and all its output. */
async function runTask(name: string): Promise<{ code: number; output: string; timedOut: boolean }> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, TASK_TIMEOUT_MS);
  try {
    const out = await new Deno.Command("deno", {
      args: ["task", name],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
      signal: controller.signal,
    }).output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      output: decoder.decode(out.stdout) + decoder.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `deno task bundle`.
 *
 * @returns Where the bundle is, or the task's output when it failed.
 */
export async function buildBundle(): Promise<Build> {
  const { code, output } = await runTask("bundle");
  return code === 0 ? { kind: "built", path: BUNDLE } : { kind: "failed", output };
}

/**
 * Runs `deno task compile`, or takes the executable named by the
 * `MUXD_COMPILED_BIN` environment variable (a release build under test).
 *
 * @returns Where the executable is; why Deno could not obtain its base
 *   runtime (`denort`); or the task's output when it failed for any other
 *   reason.
 */
export async function buildCompiled(): Promise<Build> {
  const prebuilt = Deno.env.get("MUXD_COMPILED_BIN");
  if (prebuilt) return { kind: "built", path: resolve(prebuilt) };
  const { code, output, timedOut } = await runTask("compile");
  if (code === 0 && !timedOut) return { kind: "built", path: COMPILED };
  const reason = denortProblem(output, timedOut);
  return reason === null ? { kind: "failed", output } : { kind: "unavailable", reason };
}

/**
 * Tells whether `deno compile` failed because it could not download its
 * base runtime, and why. A failure with `DENORT_BIN` set, or with `denort`
 * already in Deno's cache, is never that: any problem is a real failure.
 *
 * @param output Everything `deno task compile` printed.
 * @param timedOut Whether it was stopped for taking too long.
 * @returns The reason, or `null` when the failure was something else.
 */
export function denortProblem(output: string, timedOut = false): string | null {
  if (Deno.env.get("DENORT_BIN")) return null;
  // Deno prints this line only when denort is not in its cache yet.
  const download = output.match(/Download (\S*denort-\S+\.zip)/)?.[1];
  if (download === undefined) return null;
  if (timedOut && !/error/i.test(output)) {
    return `deno compile did not finish downloading its base runtime ${download} ` +
      `within ${TASK_TIMEOUT_MS / 1000} s`;
  }
  if (!/Setting up base binary/.test(output)) return null;
  // The last of the numbered causes, before Rust's own backtrace (RUST_BACKTRACE=1).
  const causes = output.split("Stack backtrace")[0].split("\n").map((line) => line.trim());
  const cause = causes.filter((line) => /^\d+: /.test(line)).at(-1)?.replace(/^\d+: /, "");
  return `deno compile could not download its base runtime ${download}` +
    (cause ? ` (${cause})` : "") +
    "; set DENORT_BIN to a local denort of the same Deno version to build offline";
}

/**
 * Every target `deno compile --target` accepts, as this Deno lists them
 * when given one it does not know.
 *
 * @returns Target triples, such as `x86_64-unknown-linux-gnu`.
 */
export async function compileTargets(): Promise<string[]> {
  const out = await new Deno.Command("deno", {
    args: ["compile", "--target", "no-such-target", MAIN],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  const list = text.match(/possible values: ([^\n]+)/)?.[1];
  if (list === undefined) throw new Error(`deno compile did not list its targets:\n${text}`);
  return list.split(",").map((target) => target.trim()).filter((target) => target !== "");
}

/**
 * A copy of the bundle in a new folder outside the project, run the way the
 * README says: `deno run --unstable-net V8FLAGS PERMISSIONS muxd.js`. Deno looks for
 * a `deno.json` next to the script it runs, so running `dist/muxd.js` in
 * place would quietly use the project's configuration.
 *
 * @param bundle The bundle to copy.
 * @param permissions The permission flags. @default SERVE_PERMISSIONS
 * @returns A launcher; disposing of it removes the folder.
 */
export async function bundleElsewhere(
  bundle: string,
  permissions: readonly string[] = SERVE_PERMISSIONS,
): Promise<MuxdLauncher & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "muxd-bundle-" });
  await Deno.copyFile(bundle, join(dir, "muxd.js"));
  return {
    program: "deno",
    args: [
      "run",
      "--unstable-net",
      ...serveV8Flags().map((flag) => `--v8-flags=${flag}`),
      ...permissions,
      "muxd.js",
    ],
    cwd: dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/**
 * Runs the compiled executable as it is, with no arguments of its own.
 *
 * @param path The executable.
 * @returns A launcher (disposing of it does nothing).
 * @throws {Error} When this test process may not run it: the test task's
 *   `--allow-run` must name it.
 */
export function compiledLauncher(path: string): MuxdLauncher & AsyncDisposable {
  const state = Deno.permissions.querySync({ name: "run", command: path }).state;
  if (state !== "granted") {
    throw new Error(
      `the tests may not run ${path}: run them with deno task test, whose --allow-run names ` +
        `./dist/muxd (or pass --allow-run=${path})`,
    );
  }
  return { program: path, args: [], [Symbol.asyncDispose]: () => Promise.resolve() };
}

/**
 * The core smoke test, against any build of muxd: serve TCP echo, UDP size
 * and TCP whoami on port 0; answer the real netcat correctly on each; stop
 * with exit code 0 on SIGTERM.
 *
 * @param launcher How to start muxd.
 */
export async function netcatSmoke(launcher: MuxdLauncher): Promise<void> {
  await using muxd = await startMuxd([
    "serve",
    "-l",
    "tcp://127.0.0.1:0=echo",
    "-l",
    "udp://127.0.0.1:0=size",
    "-l",
    "tcp://127.0.0.1:0=whoami",
  ], launcher);
  assert.deepEqual(
    muxd.ready.sockets.map((s) => [s.transport, s.address, s.service]),
    [["tcp", "127.0.0.1", "echo"], ["udp", "127.0.0.1", "size"], ["tcp", "127.0.0.1", "whoami"]],
  );
  const [echoPort, sizePort, whoamiPort] = [0, 1, 2].map((i) => String(muxd.port(i)));

  const echo = await nc(["-N", "127.0.0.1", echoPort], "hello from a standalone muxd\n");
  assert.equal(echo.code, 0, echo.stderr);
  assert.equal(echo.text, "hello from a standalone muxd\n");

  const size = await nc(["-u", "-w1", "127.0.0.1", sizePort], "hello\n");
  assert.equal(size.text, "Your data was 6 bytes long", size.stderr);

  const who = await nc(["-d", "127.0.0.1", whoamiPort]);
  assert.equal(who.code, 0, who.stderr);
  assert.match(
    who.text,
    new RegExp(
      `^transport: tcp\nlocal: 127\\.0\\.0\\.1:${whoamiPort}\nremote: 127\\.0\\.0\\.1:\\d+\n`,
    ),
  );
  assert.match(who.text, /^service: whoami$/m);

  const finished = await muxd.stop("SIGTERM");
  assert.equal(finished.code, 0, `exit code after SIGTERM\n${finished.stderr}`);
}

/** The runtime permissions of a compiled program: `null` not granted, `[]` all, or a list. */
export type BakedPermissions = Readonly<Record<string, readonly string[] | null>>;

/** The permission kinds a program uses at run time (imports are settled at build time). */
const PERMISSION_KINDS = ["env", "net", "ffi", "read", "run", "sys", "write"] as const;

/**
 * What `deno compile` records for these permission flags.
 *
 * @param flags Permission flags, such as `["--allow-net", "--allow-env=TERM"]`.
 * @returns One entry per `allow_KIND` and `deny_KIND`.
 */
export function expectedBakedPermissions(flags: readonly string[]): BakedPermissions {
  const result: Record<string, string[] | null> = {};
  for (const kind of PERMISSION_KINDS) {
    result[`allow_${kind}`] = flags.includes("-A") || flags.includes("--allow-all") ? [] : null;
    result[`deny_${kind}`] = null;
  }
  for (const flag of flags) {
    const match = flag.match(/^--(allow|deny)-([a-z]+)(?:=(.*))?$/);
    if (match === null || !(PERMISSION_KINDS as readonly string[]).includes(match[2])) continue;
    result[`${match[1]}_${match[2]}`] = match[3] === undefined ? [] : match[3].split(",");
  }
  return result;
}

/** What a compiled program carries: its runtime permissions, unstable features and V8 flags. */
export interface BakedSettings {
  readonly permissions: BakedPermissions;
  readonly unstableFeatures: readonly string[];
  readonly v8Flags: readonly string[];
}

/**
 * Reads the settings `deno compile` embedded in an executable: the JSON
 * record that starts with `{"argv":` (Deno 2.9's standalone format).
 *
 * @param path The executable.
 * @returns Its runtime permissions, unstable features and V8 flags.
 * @throws {Error} When no such record is found.
 */
export async function readBakedSettings(path: string): Promise<BakedSettings> {
  const bytes = await Deno.readFile(path);
  const marker = new TextEncoder().encode('{"argv":');
  const decoder = new TextDecoder();
  for (let at = bytes.indexOf(marker[0]); at !== -1; at = bytes.indexOf(marker[0], at + 1)) {
    if (!marker.every((byte, i) => bytes[at + i] === byte)) continue;
    const text = jsonObjectAt(decoder.decode(bytes.subarray(at, at + 1_048_576)));
    if (text === null) continue;
    const record = JSON.parse(text);
    if (typeof record.permissions !== "object" || record.permissions === null) continue;
    const permissions: Record<string, readonly string[] | null> = {};
    for (const kind of PERMISSION_KINDS) {
      permissions[`allow_${kind}`] = record.permissions[`allow_${kind}`] ?? null;
      permissions[`deny_${kind}`] = record.permissions[`deny_${kind}`] ?? null;
    }
    return {
      permissions,
      unstableFeatures: record.unstable_config?.features ?? [],
      v8Flags: record.v8_flags ?? [],
    };
  }
  throw new Error(
    `${path} holds no settings record from deno compile; has Deno's standalone format changed?`,
  );
}

/** The JSON object at the start of `text`, or `null` when it does not close. */
function jsonObjectAt(text: string): string | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === "{") {
      depth++;
    } else if (c === "}" && --depth === 0) {
      return text.slice(0, i + 1);
    }
  }
  return null;
}
