import assert from "node:assert/strict";
import { ConfigError, DEMO_LISTENERS, parseConfig, readConfig } from "../../lib/config/mod.ts";
import { buildPlan } from "../../lib/plan/mod.ts";
import { demoItems } from "../../lib/config/demo.ts";

Deno.test("parseConfig() reads listeners with their file:line:column and every setting", () => {
  const { settings, errors } = parseConfig(
    `{
  // two servers on one port, on different addresses
  "listen": [
    "tcp://127.0.0.1:7007=echo",
    "tcp://127.0.0.2:7007=whoami", // trailing comma next
  ],
  "grace": 1.5,
  "logFormat": "json",
  "readyFile": "ready.json",
  "keepGoing": true,
}`,
    "muxd.jsonc",
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(settings.listen, [
    {
      text: "tcp://127.0.0.1:7007=echo",
      source: { kind: "file", path: "muxd.jsonc", line: 4, column: 5 },
    },
    {
      text: "tcp://127.0.0.2:7007=whoami",
      source: { kind: "file", path: "muxd.jsonc", line: 5, column: 5 },
    },
  ]);
  assert.equal(settings.grace, 1.5);
  assert.equal(settings.logFormat, "json");
  assert.equal(settings.readyFile, "ready.json");
  assert.equal(settings.keepGoing, true);
});

Deno.test("parseConfig() reports every bad setting at once with its position", () => {
  const { errors } = parseConfig(
    `{
  "listen": ["tcp://127.0.0.1:7007=echo", 7],
  "grace": "soon",
  "logformat": "json",
  "logFormat": "xml",
  "readyFile": "ready\\u0000.json"
}`,
    "bad.jsonc",
  );
  assert.ok(errors.every((e) => e instanceof ConfigError));
  assert.deepEqual(errors.map((e) => e.message), [
    'bad.jsonc:2:43: each "listen" entry must be a string such as "tcp://127.0.0.1:7007=echo", or an object such as { "listen": "tcp://127.0.0.1:7300=exec", "run": ["python3", "server.py"] }',
    'bad.jsonc:3:12: "grace" must be a number of seconds from 0 to 3600',
    'bad.jsonc:4:3: unknown setting "logformat"; known settings: listen, grace, logFormat, logLines, readyFile, keepGoing, public, maxConnections',
    'bad.jsonc:5:16: "logFormat" must be "text" or "json"',
    'bad.jsonc:6:16: "readyFile" must be a file path, and a path cannot hold a NUL character',
  ]);
});

Deno.test("parseConfig() reports broken JSONC with its position", () => {
  const { errors } = parseConfig(
    `{\n  "listen": ["tcp://127.0.0.1:7007=echo"\n  "grace": 1\n}`,
    "x.jsonc",
  );
  assert.ok(errors.length >= 1);
  assert.equal(errors[0].message, "x.jsonc:3:3: invalid JSONC: comma expected");
});

Deno.test("parseConfig() counts lines ended by LF, CR LF or a CR alone, as editors do", () => {
  for (const end of ["\n", "\r\n", "\r"]) {
    const text = ["{", '  "listen": [', '    "tcp://127.0.0.1:7007=echo",', '    "x"', "  ]", "}"]
      .join(end);
    const { settings } = parseConfig(text, "x.jsonc");
    assert.deepEqual(
      settings.listen.map((item) => item.source),
      [
        { kind: "file", path: "x.jsonc", line: 3, column: 5 },
        { kind: "file", path: "x.jsonc", line: 4, column: 5 },
      ],
      JSON.stringify(end),
    );
    const broken = parseConfig(text.replace('"x"', "x"), "x.jsonc");
    assert.equal(broken.errors[0].message, "x.jsonc:4:5: invalid JSONC: invalid symbol");
  }
});

Deno.test("parseConfig() says that a file is empty, or only comments, rather than 'value expected'", () => {
  for (const text of ["", "  \n\n", "// muxd\n/* nothing yet */\n"]) {
    assert.deepEqual(parseConfig(text, "x.jsonc").errors.map((e) => e.message), [
      'x.jsonc:1:1: the file is empty (or holds only comments); a muxd config is { "listen": [...] }',
    ], JSON.stringify(text));
  }
  // A comment left open is an error of its own.
  assert.match(parseConfig("/* open", "x.jsonc").errors[0].message, /unexpected end of comment/);
});

Deno.test("parseConfig() rejects a config that is not an object", () => {
  const { errors } = parseConfig(`["tcp://127.0.0.1:7007=echo"]`, "x.jsonc");
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /^x\.jsonc:1:1: the config must be an object/);
});

Deno.test("readConfig() reports a missing file as one error naming it", async () => {
  const { errors } = await readConfig("/nonexistent/muxd.jsonc");
  assert.deepEqual(errors.map((e) => e.message), [
    "/nonexistent/muxd.jsonc: cannot read config file: no such file",
  ]);
});

Deno.test({
  name:
    "readConfig() gives up on a named pipe that nothing writes to, in one error, instead of waiting for ever",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "muxd-fifo-" });
    const mkfifo = async (path: string) => {
      const made = await new Deno.Command("python3", {
        args: ["-c", "import os, sys; os.mkfifo(sys.argv[1])", path],
      }).output();
      assert.ok(made.success, "mkfifo");
    };
    try {
      const fifo = `${dir}/muxd.jsonc`;
      await mkfifo(fifo);
      const { errors } = await readConfig(fifo, 200);
      assert.deepEqual(errors.map((e) => e.message), [
        `${fifo}: cannot read config file: nothing came to read within 0.2 s: it is a named pipe ` +
        "(FIFO) that nothing writes to, or a file on a drive that does not answer; give muxd a " +
        "regular file",
      ]);
      // The open it gave up on is ended, so the next writer's config goes to
      // the next read, not to that stale one.
      const writing = Deno.writeTextFile(fifo, '{"listen": ["tcp://127.0.0.1:7007=echo"]}');
      // Time for a stale read, were one left, to take the bytes.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const read = await readConfig(fifo, 2000);
      await writing;
      assert.deepEqual(read.errors, []);
      assert.deepEqual(read.settings.listen?.map((item) => item.text), [
        "tcp://127.0.0.1:7007=echo",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("DEMO_LISTENERS plans cleanly, below port 32768, with every lesson the README promises", () => {
  const { plan, errors } = buildPlan(demoItems());
  assert.deepEqual(errors, []);
  assert.equal(plan.listeners.length, DEMO_LISTENERS.length);
  assert.ok(plan.listeners.every((l) => l.port > 1023 && l.port < 32768));
  const find = (t: string, h: string, p: number) =>
    plan.listeners.find((l) => l.transport === t && l.hostname === h && l.port === p);
  // The same TCP port on two addresses with two different services.
  assert.notEqual(find("tcp", "127.0.0.1", 7007)?.service, find("tcp", "127.0.0.2", 7007)?.service);
  // TCP and UDP on one port number, different services.
  assert.notEqual(find("udp", "127.0.0.1", 7007)?.service, find("tcp", "127.0.0.1", 7007)?.service);
  // IPv6 loopback.
  assert.ok(find("tcp", "::1", 7007));
  // The UDP size server and a different UDP service on 127.0.0.2:1060.
  assert.equal(find("udp", "127.0.0.1", 1060)?.service, "size");
  assert.notEqual(find("udp", "127.0.0.2", 1060)?.service, "size");
  // A TCP banner sending "Connection received".
  assert.equal(
    plan.listeners.find((l) => l.service === "banner")?.options.text,
    "Connection received",
  );
});

Deno.test("parseConfig() reads a listen entry written as an object, its run an argument array", () => {
  const { settings, errors } = parseConfig(
    `{
  "listen": [
    {
      "listen": "tcp://127.0.0.1:7300=exec?max-seconds=5",
      "run": ["python3", "server.py", "a, b", "c d", "100%"],
      "max-procs": 4,
      "env": ["PATH", "LANG"]
    }
  ]
}`,
    "muxd.jsonc",
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(settings.listen[0].source, {
    kind: "file",
    path: "muxd.jsonc",
    line: 3,
    column: 5,
  });
  const { plan, errors: planErrors } = buildPlan(settings.listen);
  assert.deepEqual(planErrors, []);
  const options = plan.listeners[0].options as Record<string, unknown>;
  assert.deepEqual((options.run as { argv: string[] }).argv, [
    "python3",
    "server.py",
    "a, b",
    "c d",
    "100%",
  ]);
  assert.equal(options.maxProcs, 4);
  assert.equal(options.maxSeconds, 5);
  assert.deepEqual(options.env, ["PATH", "LANG"]);
});

Deno.test("parseConfig() reports each bad listen entry object at its file:line:column", () => {
  const { errors } = parseConfig(
    `{
  "listen": [
    { "run": ["cat"] },
    { "listen": 7300 },
    { "listen": "tcp://127.0.0.1:7300=exec", "run": ["python3", 3] },
    { "listen": "tcp://127.0.0.1:7301=exec", "run": { "program": "cat" } }
  ]
}`,
    "bad.jsonc",
  );
  assert.deepEqual(errors.map((e) => e.message), [
    'bad.jsonc:3:5: a listen entry written as an object needs "listen": the spec, such as "tcp://127.0.0.1:7300=exec"',
    'bad.jsonc:4:17: "listen" of a listen entry must be a spec such as "tcp://127.0.0.1:7300=exec"',
    'bad.jsonc:5:65: option "run" must be a string, a number, true or false, or an array of strings',
    'bad.jsonc:6:53: option "run" must be a string, a number, true or false, or an array of strings',
  ]);
});

Deno.test("parseConfig() reports an option name or value a spec cannot carry at its file:line:column, without throwing", () => {
  // Found by the config fuzzer: a lone surrogate made encodeURIComponent throw.
  const { errors } = parseConfig(
    `{
  "listen": [
    { "listen": "tcp://127.0.0.1:7300=echo", "\\ud800x": "1" },
    { "listen": "tcp://127.0.0.1:7301=echo", "idle&deny": "1" },
    { "listen": "tcp://127.0.0.1:7302=echo", "idle": "\\udc00" },
    { "listen": "tcp://127.0.0.1:7303=exec", "run": ["python3", "\\ud800"] }
  ]
}`,
    "odd.jsonc",
  );
  assert.deepEqual(errors.map((e) => e.message), [
    'odd.jsonc:3:46: "\\ud800x" is not an option name: option names are letters, digits and "-", such as "max-procs"',
    'odd.jsonc:4:46: "idle&deny" is not an option name: option names are letters, digits and "-", such as "max-procs"',
    'odd.jsonc:5:54: option "idle" holds a lone half of a UTF-16 surrogate pair (an escape such as "\\ud800"), which is not text',
    // In an argument array too: the program would get U+FFFD in its place.
    'odd.jsonc:6:65: option "run" holds a lone half of a UTF-16 surrogate pair (an escape such as "\\ud800"), which is not text',
  ]);
});

Deno.test("parseConfig() refuses a key given twice in one object, naming both places", () => {
  const { errors } = parseConfig(
    '{ "listen": ["tcp://127.0.0.1:7007=echo"],\n' +
      '  "grace": 1,\n' +
      '  "listen": ["tcp://127.0.0.1:7008=echo"],\n' +
      '  "grace": 2 }',
    "m.jsonc",
  );
  assert.deepEqual(errors.map((e) => e.message), [
    'm.jsonc:3:3: "listen" is given twice in one object (first at 1:3)',
    'm.jsonc:4:3: "grace" is given twice in one object (first at 2:3)',
  ]);
  const entry = parseConfig(
    '{ "listen": [{ "listen": "tcp://127.0.0.1:7300=exec", "run": ["true"], "run": ["false"] }] }',
    "m.jsonc",
  );
  assert.deepEqual(entry.errors.map((e) => e.message), [
    'm.jsonc:1:72: "run" is given twice in one object (first at 1:55)',
  ]);
});
