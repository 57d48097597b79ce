/**
 * Every command of README.md and docs/*.md runs as the docs say, or is
 * named in `commands_table.ts` with the test that runs it or the reason no
 * test can: so the docs cannot drift from what muxd does.
 *
 * - A `console` block's commands run in order, in `sh`, from the
 *   repository's root; each must print what the block shows (a `...` line
 *   stands for any lines, `...` in a line for any text; times, pids and
 *   ephemeral ports may differ). `command &` runs in the background until
 *   `kill %N`.
 * - An `sh` block's `deno task serve …` must print its ready record, keep
 *   its ready file while it serves, and exit 0 on SIGTERM; any other
 *   command must exit 0.
 * - netcat commands talk to the demo set, served on free ports.
 *
 * The fixed ports of the docs (1024–32767) move to free ones by one offset,
 * and back in the output; traffic stays on loopback.
 */

import assert from "node:assert/strict";
import { DEMO_LISTENERS } from "../../lib/config/demo.ts";
import { MuxdNotReadyError, type MuxdProcess, startMuxd } from "../_support/process.ts";
import { type DocCommand, docCommands, fencedBlocks } from "./_markdown.ts";
import {
  docPorts,
  freeShift,
  outputAgrees,
  type PortShift,
  ROOT,
  runInBackground,
  runToEnd,
  shiftPorts,
  TASK_LAUNCHER,
  unshiftPorts,
  waitUntilHeld,
  withoutTaskLines,
} from "./_runner.ts";
import { NOT_RUN_HERE } from "./commands_table.ts";

/** README.md and every Markdown file in docs/, as paths from the repository's root. */
function docFiles(): string[] {
  const docs = [...Deno.readDirSync(`${ROOT}docs`)]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`)
    .sort();
  return ["README.md", ...docs];
}

function allCommands(): DocCommand[] {
  return docFiles().flatMap((file) => docCommands(file, Deno.readTextFileSync(`${ROOT}${file}`)));
}

/** How a command of the docs is run. */
type Way =
  | "netcat" // talks to the demo set
  | "background" // `command &`
  | "kill-job" // `kill %N`
  | "serves" // an sh block's `deno task serve …`: ready, then SIGTERM
  | "to-end"; // runs until it exits by itself

/** How the test runs a command, or `null` when it cannot. */
function wayOf(command: DocCommand): Way | null {
  const { text } = command;
  if (/^kill %\d+$/.test(text)) return "kill-job";
  if (/^nc\s.*&$/.test(text)) return "background";
  if (/^(echo\s[^|]*\|\s*)?nc\s/.test(text)) return "netcat";
  if (!/^deno task (muxd|serve)(\s|$)/.test(text)) return null;
  const serves = /^deno task (serve|muxd serve)(\s|$)/.test(text);
  return serves && command.kind === "sh" ? "serves" : "to-end";
}

/** The sources of every test file, where each Deno.test name is written (the table's own left out). */
function testSources(): string {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts") && entry.name !== "commands_table.ts") {
        texts.push(Deno.readTextFileSync(path));
      }
    }
  };
  walk(`${ROOT}tests`);
  return texts.join("\n");
}

const where = (c: DocCommand) => `${c.file}:${c.line}`;

Deno.test("README.md and docs/*.md hold only commands the docs test runs or names", () => {
  const problems: string[] = [];
  const commands = allCommands();
  for (const file of docFiles()) {
    for (const block of fencedBlocks(file, Deno.readTextFileSync(`${ROOT}${file}`))) {
      if (block.lang === "") {
        problems.push(
          `${file}:${block.line}: a fenced block without a language (sh, console, text…)`,
        );
      }
    }
  }
  for (const c of commands) {
    if (NOT_RUN_HERE.has(c.text) || wayOf(c) !== null) continue;
    problems.push(
      `${where(c)}: "${c.text}" is neither run by tests/docs/commands_test.ts nor named in ` +
        `tests/docs/commands_table.ts`,
    );
  }
  const sources = testSources();
  for (const [text, entry] of NOT_RUN_HERE) {
    const uses = commands.filter((c) => c.text === text);
    if (uses.length === 0) problems.push(`commands_table.ts names "${text}", which no doc holds`);
    if ("test" in entry) {
      if (!sources.includes(`"${entry.test}"`) && !sources.includes(`\`${entry.test}\``)) {
        problems.push(
          `commands_table.ts maps "${text}" to a test that does not exist: ${entry.test}`,
        );
      }
    } else {
      for (const c of uses) console.log(`not run: ${where(c)}: ${text}: ${entry.reason}`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("README.md's demo set table lists the listeners of DEMO_LISTENERS, in order", () => {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const rows = [...readme.matchAll(/^\| (tcp|udp) (\S+):(\d+) +\| (\w+) +\|/gm)]
    .map(([, transport, host, port, service]) => `${transport}://${host}:${port}=${service}`);
  assert.deepEqual(rows, DEMO_LISTENERS.map((d) => d.spec));
});

Deno.test({
  name: "every command that README.md and docs/*.md show runs and prints what they show",
  // The demo set's listeners, on free ports; a port taken in between means another offset.
  fn: async () => {
    const commands = allCommands().filter((c) => !NOT_RUN_HERE.has(c.text) && wayOf(c) !== null);
    const ports = docPorts([...commands.map((c) => c.text), ...DEMO_LISTENERS.map((d) => d.spec)]);
    // The demo set's listeners take one set of free ports; the other commands another, where
    // nothing holds them, as on a reader's machine.
    const { shift: demoShift, demo } = await startDemo(ports);
    const shift = freeShift(ports, new Set([demoShift.offset]));
    const problems: string[] = [];
    try {
      let jobs: Deno.ChildProcess[] = [];
      let block = "";
      for (const command of commands) {
        const here = `${command.file}#${command.block}`;
        if (here !== block) {
          await stopJobs(jobs);
          jobs = [];
          block = here;
        }
        const problem = await runCommand(
          command,
          wayOf(command) === "netcat" ? demoShift : shift,
          jobs,
        );
        if (problem !== null) problems.push(`${where(command)}: ${command.text}\n${problem}`);
      }
      await stopJobs(jobs);
    } finally {
      const { code, stderr } = await demo.stop("SIGTERM");
      if (code !== 0) problems.push(`the demo set exited with ${code}:\n${stderr}`);
    }
    assert.deepEqual(problems, []);
  },
});

/** Serves the demo set on free ports, as `deno task serve -l …` does. */
async function startDemo(
  ports: ReadonlySet<number>,
): Promise<{ shift: PortShift; demo: MuxdProcess }> {
  const tried = new Set<number>();
  for (;;) {
    const shift = freeShift(ports, tried);
    tried.add(shift.offset);
    const args = ["serve", ...DEMO_LISTENERS.flatMap((d) => ["-l", shiftPorts(d.spec, shift)])];
    try {
      return { shift, demo: await startMuxd(args, TASK_LAUNCHER) };
    } catch (error) {
      const taken = error instanceof MuxdNotReadyError && error.finished.code === 1;
      if (!taken || tried.size >= 3) throw error;
    }
  }
}

async function stopJobs(jobs: readonly Deno.ChildProcess[]): Promise<void> {
  for (const job of jobs) {
    try {
      job.kill("SIGKILL");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // it had exited
    }
    await job.status;
  }
}

/** Runs one command; returns what is wrong, or `null`. */
async function runCommand(
  command: DocCommand,
  shift: PortShift,
  jobs: Deno.ChildProcess[],
): Promise<string | null> {
  const text = shiftPorts(command.text, shift);
  switch (wayOf(command)) {
    case "background": {
      const job = runInBackground(text.replace(/\s*&$/, ""));
      jobs.push(job);
      const [host, port] = text.replace(/\s*&$/, "").split(/\s+/).slice(-2);
      await waitUntilHeld(host, Number(port), job.status);
      return null;
    }
    case "kill-job": {
      const job = jobs[Number(command.text.slice("kill %".length)) - 1];
      if (job === undefined) return `no background job ${command.text.slice(5)} in this block`;
      job.kill("SIGTERM");
      await job.status;
      return null;
    }
    case "serves":
      return await checkServes(text);
    case "netcat":
    case "to-end": {
      const ran = await runToEnd(text);
      const output = unshiftPorts(withoutTaskLines(ran.output), shift);
      if (command.output === null) {
        return ran.code === 0 ? null : `exited with ${ran.code}:\n${output}`;
      }
      return outputAgrees(output, command.output)
        ? null
        : `printed (exit code ${ran.code}):\n${output}\ninstead of:\n${command.output.join("\n")}`;
    }
    case null:
      return "cannot be run";
  }
}

/**
 * Starts a `deno task serve …` of an sh block, checks its ready record (and
 * its ready file, while it serves and once it has stopped), and stops it.
 */
async function checkServes(text: string): Promise<string | null> {
  // After "deno task"; a spec with `&` is in single quotes, as a shell needs it.
  const words = text.split(/\s+/).slice(2).map((w) => w.replace(/^'(.*)'$/, "$1"));
  const readyFile = words[words.indexOf("--ready-file") + 1];
  let muxd: MuxdProcess;
  try {
    muxd = await startMuxd(words, TASK_LAUNCHER);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const problems: string[] = [];
  const specs = words.filter((_, i) => words[i - 1] === "-l").length;
  if (muxd.ready.sockets.length < specs || muxd.ready.failed.length > 0) {
    problems.push(`its ready record does not serve every spec: ${muxd.readyLine}`);
  }
  if (words.includes("--ready-file")) {
    const written = await Deno.readTextFile(`${ROOT}${readyFile}`).catch((e) => String(e));
    if (written.trim() !== muxd.readyLine) problems.push(`${readyFile} holds ${written}`);
  }
  const { code, stderr } = await muxd.stop("SIGTERM");
  if (code !== 0) problems.push(`exited with ${code} on SIGTERM:\n${stderr}`);
  if (words.includes("--ready-file")) {
    const left = await Deno.stat(`${ROOT}${readyFile}`).then(() => true, () => false);
    if (left) problems.push(`${readyFile} is still there after muxd stopped`);
  }
  return problems.length === 0 ? null : problems.join("\n");
}

Deno.test("deno task serve --config serves the config file example of docs/reference.md", async () => {
  const reference = Deno.readTextFileSync(`${ROOT}docs/reference.md`);
  const example = fencedBlocks("docs/reference.md", reference).find((b) => b.lang === "jsonc");
  assert.ok(example, "docs/reference.md has no jsonc block");
  const text = example.lines.map((l) => l.text).join("\n");
  const dir = await Deno.makeTempDir({ prefix: "muxd-docs-" });
  try {
    const listed = [...text.matchAll(/"((?:tcp|udp):\/\/[^"]+)"/g)].map((m) => m[1]);
    const shift = freeShift(docPorts(listed));
    const readyFile = `${dir}/ready.json`;
    const config = shiftPorts(text, shift).replace(
      /"readyFile": "[^"]*"/,
      `"readyFile": ${JSON.stringify(readyFile)}`,
    );
    await Deno.writeTextFile(`${dir}/muxd.jsonc`, config);
    await using muxd = await startMuxd(["serve", "--config", `${dir}/muxd.jsonc`], TASK_LAUNCHER);
    assert.deepEqual(
      muxd.ready.sockets.map((s) => s.spec),
      listed.map((spec) => shiftPorts(spec, shift)),
    );
    assert.equal((await Deno.readTextFile(readyFile)).trim(), muxd.readyLine);
    const { code } = await muxd.stop("SIGTERM");
    assert.equal(code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
