/**
 * Config and spec fuzzing: thousands of seeded random and mutated JSONC texts
 * through parseConfig(), and random listen specs (random options among them,
 * the limit options with random values) through buildPlan(), in-process.
 * Checks that the only failures are reported ConfigError, ListenSpecError
 * and PlanError values (never another exception), that every plan that
 * comes out holds sane limits, and that every error message is one printable
 * line. Then a handful of the bad files through the real CLI: exit code 2,
 * one `muxd: ` line per problem, never a stack trace.
 */

import assert from "node:assert/strict";
import { CONFIG_KEYS, ConfigError, parseConfig } from "../../lib/config/mod.ts";
import { buildPlan, LISTENER_OPTIONS, type ListenItem, PlanError } from "../../lib/plan/mod.ts";
import { SERVICES } from "../../lib/services/registry.ts";
import { formatListenSpec, ListenSpecError, SERVICE_NAMES } from "../../lib/spec/mod.ts";
import { SOAK } from "./_soak.ts";
import { runMuxdExpectingFailure } from "../_support/process.ts";
import { type Random, seededRandom } from "../_support/random.ts";
import { mutate, randomGarbage, randomSpec } from "../_support/random_specs.ts";

const CONFIGS = SOAK ? 50_000 : 4_000;
const SPECS = SOAK ? 50_000 : 4_000;
const CLI_FILES = 5;
const PATH = "fuzz.jsonc";

/** Valid configs to mutate: the README's, and smaller ones. */
const BASES: readonly string[] = [
  `{
  // two servers on one port, on different addresses
  "listen": [
    "tcp://127.0.0.1:7007=echo",
    "tcp://127.0.0.2:7007=whoami",
    "udp://127.0.0.1:1060=size"
  ],
  "grace": 5, // seconds open connections may finish at shutdown
  "logFormat": "text", // or "json"
  "readyFile": "muxd-ready.json",
  "keepGoing": false // true: serve what binds even when some listeners fail
}`,
  `{"listen": ["tcp://127.0.0.1:0=echo?max-conns=10&idle=30&deny=192.0.2.0/24"]}`,
  `{ "listen": ["udp://[::1]:0=chargen?reply-rate=5&amplification=2.5"], "public": false, }`,
  `/* all the settings */ {"listen": [], "maxConnections": 100, "grace": 0.5, "logFormat": "json"}`,
];

/** JSONC tokens and fragments, the awkward ones included. */
const JSONC_PIECES: readonly string[] = [
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"',
  "\\",
  "//",
  "/*",
  "*/",
  "// note\n",
  "/* note */",
  "\n",
  "\r\n",
  "\t",
  " ",
  "\ufeff",
  "true",
  "false",
  "null",
  "0",
  "-1",
  "1e400",
  "3601",
  "0.5",
  "NaN",
  '"listen"',
  '"grace"',
  '"logFormat"',
  '"readyFile"',
  '"keepGoing"',
  '"public"',
  '"maxConnections"',
  '"json"',
  '"text"',
  '""',
  '"\\n"',
  '"\\u0000"',
  '"\\ud800"',
  '"\\u001b[31m"',
  '"a\\nb"',
  '"tcp://127.0.0.1:0=echo"',
  '"udp://[::1]:1060=size"',
  '"tcp://127.0.0.1:0=echo?max-conns=%0A"',
  '"tcp://127.0.0.1:70000=echo"',
  "é",
  "\u2028",
  "\0",
];

/** A JSON string literal of random spec-ish text. */
function stringLiteral(random: Random): string {
  const text = random.chance(0.5)
    ? formatListenSpec(randomSpec(random))
    : random.chance(0.5)
    ? randomGarbage(random)
    : randomLimitSpec(random);
  return JSON.stringify(text);
}

/** A random JSON value, nested at most `depth` deep. */
function randomValue(random: Random, depth: number): string {
  switch (random.int(0, depth > 0 ? 6 : 4)) {
    case 0:
      return random.pick(["true", "false", "null"]);
    case 1:
      return `${random.pick([0, 1, -1, 0.5, 3600, 3601, 1e300, random.int(-5, 100_000)])}`;
    case 2:
    case 3:
      return stringLiteral(random);
    case 4:
      return random.pick(['"text"', '"json"', '"TEXT"', '""']);
    case 5:
      return `[${
        Array.from({ length: random.int(0, 4) }, () => randomValue(random, depth - 1)).join(",")
      }]`;
    default:
      return randomObject(random, depth - 1);
  }
}

/** A random JSON object whose keys are mostly muxd's settings. */
function randomObject(random: Random, depth: number): string {
  const keys = CONFIG_KEYS;
  const members = Array.from({ length: random.int(0, 6) }, () => {
    const key = random.chance(0.85)
      ? JSON.stringify(random.pick(keys))
      : JSON.stringify(randomGarbage(random));
    const value = key === '"listen"' && random.chance(0.7)
      ? `[${Array.from({ length: random.int(0, 4) }, () => stringLiteral(random)).join(",")}]`
      : randomValue(random, depth);
    return `${key}: ${value}`;
  });
  return `{${members.join(random.pick([",", ",\n", " , "]))}${random.pick(["", ","])}}`;
}

/** A JSONC text: generated, or a valid config with a few random edits. */
function randomConfig(random: Random): string {
  if (random.chance(0.4)) return randomObject(random, 2);
  let text = random.pick(BASES);
  for (let edits = random.int(1, 4); edits > 0; edits--) {
    if (random.chance(0.5)) {
      text = mutate(random, text);
      continue;
    }
    const at = random.int(0, text.length);
    text = text.slice(0, at) + random.pick(JSONC_PIECES) + text.slice(at);
  }
  return text;
}

/** Values for the limit options: good ones, edge ones and garbage, some percent-encoded. */
function randomOptionValue(random: Random): string {
  const value = random.pick([
    "1",
    "0",
    "0.1",
    "2.5",
    "1000000",
    "1000001",
    "86400",
    "-1",
    "1e3",
    "",
    "true",
    "10.0.0.0/8",
    "10.0.0.0/8,::1",
    "::ffff:127.0.0.1/104",
    "127.0.0.1/33",
    "10.0.0.0/8,",
    "[::1]",
    "\n",
    "1\n",
    "\u001b[2J",
    "\u202e1",
    randomGarbage(random),
    `${random.int(0, 2_000_000)}`,
    `${random.next() * 100}`,
  ]);
  return random.chance(0.7) && value.isWellFormed() ? encodeURIComponent(value) : value;
}

/** A listen spec whose options are real option names with random values. */
function randomLimitSpec(random: Random): string {
  const service = random.pick(SERVICE_NAMES);
  const keys = [...LISTENER_OPTIONS, ...SERVICES[service].options].map((o) => o.key);
  const options = Array.from(
    { length: random.int(1, 4) },
    () => `${random.pick(keys)}=${randomOptionValue(random)}`,
  );
  return `${random.pick(["tcp", "udp"])}://${random.pick(["127.0.0.1", "[::1]", "127.0.0.2"])}:` +
    `${random.pick([0, 7007, 65535])}=${service}?${options.join("&")}`;
}

/** A listen spec of any kind: valid, with real options, garbage, or a mutation. */
function randomSpecText(random: Random): string {
  switch (random.int(0, 3)) {
    case 0:
      return formatListenSpec(randomSpec(random));
    case 1:
      return randomLimitSpec(random);
    case 2:
      return randomGarbage(random);
    default:
      return mutate(
        random,
        random.chance(0.5) ? randomLimitSpec(random) : formatListenSpec(randomSpec(random)),
      );
  }
}

/** Plans items, checking that nothing but the documented errors comes out. */
function planChecked(items: readonly ListenItem[], input: string): (ListenSpecError | PlanError)[] {
  let result;
  try {
    result = buildPlan(items);
  } catch (error) {
    throw new Error(`buildPlan() threw on ${JSON.stringify(input)}`, { cause: error });
  }
  for (const e of result.errors) {
    assert.ok(e instanceof ListenSpecError || e instanceof PlanError, `${e} for ${input}`);
  }
  for (const l of result.plan.listeners) {
    const { limits } = l;
    for (
      const n of [limits.maxConns, limits.maxConnsPerSource, limits.connRate, limits.replyRate]
    ) {
      assert.ok(Number.isInteger(n) && n >= 1, `${l.spec}: a count of ${n}`);
    }
    assert.ok(
      limits.idleMs >= 100 && limits.idleMs <= 86_400_000,
      `${l.spec}: idle ${limits.idleMs}`,
    );
    assert.ok(limits.amplification >= 0 && limits.amplification <= 1000, `${l.spec}`);
  }
  return [...result.errors];
}

/** Parses a config text, checking that nothing but ConfigError comes out. */
function parseChecked(text: string): { errors: Error[]; items: readonly ListenItem[] } {
  let result;
  try {
    result = parseConfig(text, PATH);
  } catch (error) {
    throw new Error(`parseConfig() threw on ${JSON.stringify(text)}`, { cause: error });
  }
  for (const e of result.errors) {
    assert.ok(e instanceof ConfigError, `${e} for ${JSON.stringify(text)}`);
    assert.match(e.message, /^fuzz\.jsonc:\d+:\d+: /, "the message starts with file:line:column");
  }
  return { errors: [...result.errors], items: result.settings.listen };
}

Deno.test(`parseConfig() reports only ConfigError on ${CONFIGS} random and mutated JSONC texts`, () => {
  const random = seededRandom(7007);
  const counts = { clean: 0, bad: 0, specErrors: 0 };
  for (let i = 0; i < CONFIGS; i++) {
    const text = randomConfig(random);
    const { errors, items } = parseChecked(text);
    counts[errors.length === 0 ? "clean" : "bad"]++;
    counts.specErrors += planChecked(items, text).length;
  }
  assert.ok(counts.clean > CONFIGS / 20 && counts.bad > CONFIGS / 5, JSON.stringify(counts));
});

Deno.test(`buildPlan() reports only ListenSpecError and PlanError on ${SPECS} random listen specs`, () => {
  const random = seededRandom(1060);
  let planned = 0;
  let failed = 0;
  for (let i = 0; i < SPECS; i++) {
    const items = Array.from({ length: random.int(1, 3) }, (_, n) => ({
      text: randomSpecText(random),
      source: { kind: "argument", index: n + 1 } as const,
    }));
    const errors = planChecked(items, items.map((i) => i.text).join(" "));
    failed += errors.length;
    planned += items.length - errors.length;
  }
  assert.ok(planned > SPECS / 10 && failed > SPECS / 2, `${planned} planned, ${failed} failed`);
});

/** Whitespace but the space, control and format characters: none may appear in a message. */
const HIDDEN = /(?! )[\s\p{Cc}\p{Cf}]/u;

Deno.test("parseConfig() and buildPlan() write each error as one printable line, whatever the input", () => {
  const random = seededRandom(9000);
  const broken: string[] = [];
  for (let i = 0; i < CONFIGS && broken.length < 5; i++) {
    const text = randomConfig(random);
    const { errors, items } = parseChecked(text);
    for (const e of [...errors, ...planChecked(items, text)]) {
      if (HIDDEN.test(e.message)) {
        broken.push(`${JSON.stringify(e.message)} from ${JSON.stringify(text)}`);
      }
    }
  }
  for (let i = 0; i < SPECS && broken.length < 5; i++) {
    const text = randomSpecText(random);
    for (const e of planChecked([{ text, source: { kind: "argument", index: 1 } }], text)) {
      if (HIDDEN.test(e.message)) {
        broken.push(`${JSON.stringify(e.message)} from ${JSON.stringify(text)}`);
      }
    }
  }
  assert.deepEqual(broken, [], "messages with a line break or another hidden character");
});

Deno.test(`muxd serve --config exits 2 with one line per problem and no stack trace for ${CLI_FILES} fuzzed files`, async () => {
  const random = seededRandom(1234);
  const texts: string[] = [];
  while (texts.length < CLI_FILES) {
    const text = randomConfig(random);
    const { errors, items } = parseChecked(text);
    // Only files that are bad for certain: a good one would serve.
    if (errors.length + planChecked(items, text).length > 0) texts.push(text);
  }
  const dir = await Deno.makeTempDir({ prefix: "muxd-fuzz-" });
  try {
    const runs = await Promise.all(texts.map(async (text, i) => {
      const path = `${dir}/fuzz-${i}.jsonc`;
      await Deno.writeTextFile(path, text);
      return { text, run: await runMuxdExpectingFailure(["serve", "--config", path]) };
    }));
    for (const { text, run } of runs) {
      const what = `${JSON.stringify(text)}:\n${run.stderr}`;
      assert.equal(run.code, 2, what);
      assert.equal(run.stdout, "", what);
      const lines = run.stderr.trimEnd().split("\n");
      assert.ok(lines.length >= 1 && lines[0] !== "", what);
      for (const line of lines) assert.match(line, /^muxd: \S/, what);
      assert.doesNotMatch(run.stderr, /^\s+at |Stack backtrace|error: Uncaught/m, what);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve --config keeps a setting name or option value holding a line feed on one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-fuzz-" });
  try {
    const path = `${dir}/newline.jsonc`;
    // JSON escapes: the setting's name and the decoded option value each hold a real line feed.
    await Deno.writeTextFile(
      path,
      String.raw`{ "log\nFormat": "json", "listen": ["tcp://127.0.0.1:0=echo?max-conns=1%0A2"] }`,
    );
    const run = await runMuxdExpectingFailure(["serve", "--config", path]);
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stderr.trimEnd().split("\n");
    assert.deepEqual(
      lines.filter((l) => !l.startsWith("muxd: ")),
      [],
      `every problem is one line starting with "muxd: ":\n${run.stderr}`,
    );
    assert.equal(lines.length, 2, run.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Files that are not a config at all, each with the one line muxd must answer. */
const HOSTILE_FILES: readonly { name: string; bytes: () => Uint8Array; line: RegExp }[] = [
  {
    name: "5,000 nested arrays",
    bytes: () => new TextEncoder().encode(`{"listen": ${"[".repeat(5000)}`),
    line: /^muxd: \S+:1:\d+: arrays and objects nest more than 32 levels deep here; /,
  },
  {
    name: "5,000 nested objects, closed",
    bytes: () => new TextEncoder().encode(`${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`),
    line: /^muxd: \S+:1:\d+: arrays and objects nest more than 32 levels deep here; /,
  },
  {
    name: "10 MB of JSON",
    bytes: () => new TextEncoder().encode(`{"listen": [${'"x",'.repeat(2_500_000)}]}`),
    line: /^muxd: \S+: cannot read config file: it is larger than 1 MiB; /,
  },
  {
    name: "Latin-1 text",
    bytes: () => Uint8Array.from([...new TextEncoder().encode('{ "listen": ["caf'), 0xe9, 0x22]),
    line: /^muxd: \S+:1:18: not UTF-8 text \(byte 17 is 0xe9\); save the file as UTF-8$/,
  },
  {
    name: "UTF-16 with its byte order mark",
    bytes: () => Uint8Array.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
    line: /^muxd: \S+:1:1: not UTF-8 text \(byte 0 is 0xff\); /,
  },
  {
    name: "a NUL byte",
    bytes: () => new TextEncoder().encode('{ "grace": 1\0 }'),
    line: /^muxd: \S+:1:13: invalid JSONC: /,
  },
];

for (const file of HOSTILE_FILES) {
  Deno.test(`muxd serve --config answers ${file.name} with one line and exit 2`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "muxd-hostile-" });
    try {
      const path = `${dir}/hostile.jsonc`;
      await Deno.writeFile(path, file.bytes());
      const run = await runMuxdExpectingFailure(["serve", "--config", path]);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, "");
      const lines = run.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], file.line);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("muxd serve --config and --ready-file with a name too long for a file say so in one line, the path once", async () => {
  const long = `/tmp/${"a".repeat(300)}`;
  const config = await runMuxdExpectingFailure(["serve", "--config", long]);
  assert.equal(config.code, 2);
  assert.equal(
    config.stderr,
    `muxd: ${long}: cannot read config file: its name is too long for a file\n`,
  );
  const ready = await runMuxdExpectingFailure([
    "serve",
    "--ready-file",
    long,
    "-l",
    "tcp://127.0.0.1:0=echo",
  ]);
  assert.notEqual(ready.code, 0);
  assert.match(
    ready.stderr,
    /cannot (write the ready file \/tmp\/a+|use \/tmp\/a+ as the ready file): its name is too long for a file/,
  );
  assert.doesNotMatch(ready.stderr, /os error|open '/);
});

Deno.test("muxd serve --config reads a UTF-8 file with a byte order mark, and a folder is one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd-hostile-" });
  try {
    const path = `${dir}/bom.jsonc`;
    await Deno.writeTextFile(path, '\ufeff{ "listen": ["tcp://127.0.0.1:0=echo"], "graze": 1 }');
    const bom = await runMuxdExpectingFailure(["serve", "--config", path]);
    // The unknown setting proves the file was parsed, BOM and all.
    assert.match(bom.stderr, /^muxd: \S+bom\.jsonc:1:41: unknown setting "graze"/);
    const folder = await runMuxdExpectingFailure(["serve", "--config", dir]);
    assert.equal(folder.code, 2);
    assert.equal(
      folder.stderr,
      `muxd: ${dir}: cannot read config file: it is a folder, not a file\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
