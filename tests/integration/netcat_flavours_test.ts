/**
 * Every client form that docs/netcat.md shows (OpenBSD nc, traditional nc,
 * ncat, busybox nc, socat, telnet) runs with the real client against the
 * demo set, and prints what the doc shows.
 *
 * The forms are read from the doc itself, so the doc cannot drift from what
 * the clients do. Each runs in `sh` as a reader types it in a terminal: its
 * input stays open (nobody types), except where the command gives it
 * `echo hello |`. The demo set (and the listeners the doc serves with
 * `deno task serve -l …`) is served on free ports below 32768, moved by one
 * offset, and the ports are moved back in the output. A client that is not
 * installed makes its test ignored, with the reason printed.
 */

import assert from "node:assert/strict";
import { DEMO_LISTENERS } from "../../lib/config/demo.ts";
import { type DocCommand, docCommands } from "../docs/_markdown.ts";
import {
  docPorts,
  freeShift,
  outputAgrees,
  type PortShift,
  ROOT,
  shiftPorts,
  unshiftPorts,
} from "../docs/_runner.ts";
import { MuxdNotReadyError, type MuxdProcess, startMuxd } from "../_support/process.ts";

const DOC = "docs/netcat.md";

/** How long one command may run before its whole process group is killed. */
const COMMAND_SECONDS = 10;

/** The exit code of a command that `timeout -s KILL` stopped: 128 + SIGKILL. */
const KILLED = 137;

/** A client the doc shows, and the test that runs its forms. */
interface Client {
  /** The program its forms run, as the doc writes it. */
  readonly program: string;
  /** The name of the test that runs its forms. */
  readonly test: string;
  /** Lines muxd's log must show once the forms have run, for what the doc says muxd saw. */
  readonly logged?: readonly RegExp[];
}

const CLIENTS: readonly Client[] = [
  { program: "nc", test: "nc (OpenBSD netcat) prints what docs/netcat.md shows for each form" },
  {
    program: "nc.traditional",
    test: "nc.traditional prints what docs/netcat.md shows for each form",
  },
  { program: "ncat", test: "ncat prints what docs/netcat.md shows for each form" },
  { program: "busybox", test: "busybox nc prints what docs/netcat.md shows for each form" },
  { program: "socat", test: "socat prints what docs/netcat.md shows for each form" },
  {
    program: "telnet",
    test: "telnet prints what docs/netcat.md shows for each form",
    // The doc says telnet sends "hello" as 7 bytes (CR LF) and echo sends all 7 back, and that
    // TCP size answers (27 bytes) only once telnet has closed the connection.
    logged: [/ closed after \d+ ms: 7 B in, 7 B out/, / closed after \d+ ms: 7 B in, 27 B out/],
  },
];

/** The client a command runs: the first client's name in it, as a word. */
function clientOf(command: string): string | null {
  const match = command.match(
    /(?<![\w.-])(nc\.traditional|ncat|busybox|socat|telnet|nc)(?![\w.-])/,
  );
  return match === null ? null : match[1];
}

/** Why `program` cannot run here (not on PATH), or `null` when it can. */
function missing(program: string): string | null {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  for (const dir of dirs) {
    try {
      if (Deno.statSync(`${dir}/${program}`).isFile) return null;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return `${program} is not installed (not found on PATH)`;
}

/** The doc's `console` commands that `program` runs, in order. */
function formsOf(program: string): DocCommand[] {
  return docCommands(DOC, Deno.readTextFileSync(`${ROOT}${DOC}`))
    .filter((c) => c.kind === "console" && clientOf(c.text) === program);
}

/** The demo set's listen specs, and every `-l` spec of a `deno task serve` the doc shows. */
function listenSpecs(): string[] {
  const served = docCommands(DOC, Deno.readTextFileSync(`${ROOT}${DOC}`))
    .filter((c) => /^deno task serve\s/.test(c.text))
    .flatMap((c) => [...c.text.matchAll(/-l\s+(\S+)/g)].map((m) => m[1]));
  return [...DEMO_LISTENERS.map((d) => d.spec), ...served];
}

/** Serves the listeners on free ports; a port taken in between means another offset. */
async function serve(
  specs: readonly string[],
  ports: ReadonlySet<number>,
): Promise<{ shift: PortShift; muxd: MuxdProcess }> {
  const tried = new Set<number>();
  for (;;) {
    const shift = freeShift(ports, tried);
    tried.add(shift.offset);
    const args = ["serve", ...specs.flatMap((spec) => ["-l", shiftPorts(spec, shift)])];
    try {
      return { shift, muxd: await startMuxd(args) };
    } catch (error) {
      const taken = error instanceof MuxdNotReadyError && error.finished.code === 1;
      if (!taken || tried.size >= 3) throw error;
    }
  }
}

/**
 * Runs a command line in `sh` from the repository's root with its input
 * open, as in a terminal where nobody types, and standard error in line
 * with standard output, as a terminal shows them. `timeout` puts it in a
 * process group of its own and kills that group after
 * {@linkcode COMMAND_SECONDS}.
 */
async function runAsTyped(command: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("sh", {
    args: ["-c", `exec timeout -s KILL ${COMMAND_SECONDS} sh -c "($1) 2>&1"`, "sh", command],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  try {
    const [stdout, stderr, status] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.status,
    ]);
    return { code: status.code, output: stdout + stderr };
  } finally {
    await child.stdin.close();
  }
}

/** socat's error line starts with its time, pid and buffer address, which change from run to run. */
const SOCAT_ERROR =
  /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} socat\[\d+\] E write\(1, 0x[0-9a-f]+, \d+\)/gm;

function withoutSocatDetails(text: string): string {
  return text.replace(SOCAT_ERROR, "<socat's time, pid and buffer>");
}

/** Runs every form of one client; returns what went wrong, one entry per form. */
async function checkForms(
  forms: readonly DocCommand[],
  shift: PortShift,
): Promise<string[]> {
  const problems: string[] = [];
  for (const form of forms) {
    const ran = await runAsTyped(shiftPorts(form.text, shift));
    const output = withoutSocatDetails(unshiftPorts(ran.output, shift));
    const shown = (form.output ?? []).map(withoutSocatDetails);
    if (ran.code === KILLED) {
      problems.push(
        `${DOC}:${form.line}: ${form.text}\ndid not end within ${COMMAND_SECONDS} s; it printed:\n` +
          output,
      );
    } else if (!outputAgrees(output, shown)) {
      problems.push(
        `${DOC}:${form.line}: ${form.text}\nprinted (exit code ${ran.code}):\n${output}\n` +
          `instead of:\n${shown.join("\n")}`,
      );
    }
  }
  return problems;
}

Deno.test("docs/netcat.md shows only forms of the clients this file runs", () => {
  const known = new Set(CLIENTS.map((c) => c.program));
  const strays = docCommands(DOC, Deno.readTextFileSync(`${ROOT}${DOC}`))
    .filter((c) => c.kind === "console" && !known.has(clientOf(c.text) ?? ""))
    .map((c) => `${DOC}:${c.line}: ${c.text}`);
  assert.deepEqual(strays, []);
});

for (const client of CLIENTS) {
  const why = missing(client.program);
  if (why !== null) console.log(`netcat_flavours_test.ts: "${client.test}" is ignored: ${why}`);
}

for (const client of CLIENTS) {
  Deno.test({
    name: client.test,
    ignore: missing(client.program) !== null,
    fn: async () => {
      const forms = formsOf(client.program);
      assert.ok(forms.length > 0, `${DOC} shows no form for ${client.program}`);
      const specs = listenSpecs();
      const ports = docPorts([...forms.map((f) => f.text), ...specs]);
      const { shift, muxd } = await serve(specs, ports);
      try {
        assert.deepEqual(await checkForms(forms, shift), []);
        for (const line of client.logged ?? []) await muxd.waitForStderr(line);
      } finally {
        const { code, stderr } = await muxd.stop("SIGTERM");
        assert.equal(code, 0, stderr);
      }
    },
  });
}
