import assert from "node:assert/strict";
import { mainLogger, setUpLogging } from "../../lib/log/log.ts";
import type { LoggingOptions } from "../../lib/log/log.ts";
import type { ServerEvent } from "../../lib/events/event.ts";
import { coloredPieces, withoutColor } from "../_support/ansi.ts";

const LOCAL = { address: "127.0.0.2", port: 7007 };
const REMOTE = { address: "127.0.0.1", port: 51234 };
const TIME = Date.UTC(2026, 10, 22, 17, 42, 16, 52);

const opened: ServerEvent = {
  type: "connection-opened",
  time: TIME,
  transport: "tcp",
  listener: "tcp://127.0.0.2:7007=whoami",
  service: "whoami",
  id: 1,
  local: LOCAL,
  remote: REMOTE,
  bound: LOCAL,
};
const reply: ServerEvent = {
  type: "reply",
  time: TIME,
  transport: "udp",
  listener: "udp://127.0.0.2:7007=echo",
  service: "echo",
  local: LOCAL,
  remote: REMOTE,
  bytesOut: 5,
};
const failed: ServerEvent = {
  type: "error",
  time: TIME,
  transport: "tcp",
  listener: "tcp://127.0.0.2:7007=whoami",
  service: "whoami",
  id: 2,
  local: LOCAL,
  remote: REMOTE,
  name: "Error",
  message: "bell\u0007 in a message",
};

/** Logs `events` and one main-logger line with `options`, and returns what was written. */
async function logged(options: LoggingOptions, events: ServerEvent[]): Promise<string> {
  const chunks: Uint8Array[] = [];
  const stream = new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c.slice()) });
  const logging = await setUpLogging({ ...options, stream });
  for (const event of events) logging.events(event);
  mainLogger().info("bye");
  await logging.close();
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

Deno.test("text log: one line per event at or above the level, in the order written", async () => {
  const text = await logged({ format: "text" }, [opened, reply, failed]);
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "17:42:16.052 INF tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami");
  // The reply is at debug level, below the default info: not written.
  assert.ok(!text.includes("reply 5 B"));
  // A control character in a message is escaped, never written as it is.
  assert.match(lines[1], /^17:42:16\.052 ERR tcp 127\.0\.0\.2:7007 <- .* failed: Error: bell/);
  assert.ok(!text.includes("\u0007"));
  assert.match(lines[2], /^\d\d:\d\d:\d\d\.\d{3} INF bye$/);
  assert.equal(lines.length, 3);
});

Deno.test("text log: a line that is not plain ASCII keeps its characters, encoded as UTF-8", async () => {
  const text = await logged({ format: "text" }, [{ ...failed, message: "café ☕ 𝄞" }, opened]);
  const lines = text.trimEnd().split("\n");
  assert.equal(
    lines[0],
    "17:42:16.052 ERR tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami failed: Error: café ☕ 𝄞",
  );
  assert.equal(lines[1], "17:42:16.052 INF tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami");
});

Deno.test("text log at debug level writes the reply events too", async () => {
  const text = await logged({ format: "text", level: "debug" }, [reply]);
  assert.match(text, /^17:42:16\.052 DBG udp 127\.0\.0\.2:7007 -> 127\.0\.0\.1:51234 reply 5 B/);
});

Deno.test("text log: a listener with faults is at info level, with its seed; others at debug", async () => {
  const listening = (faults?: { text: string; seed: number }): ServerEvent => ({
    type: "listening",
    time: TIME,
    transport: "udp",
    listener: "udp://127.0.0.2:7007=echo",
    service: "echo",
    local: LOCAL,
    ...(faults === undefined ? {} : { faults }),
  });
  const text = await logged({ format: "text" }, [
    listening(),
    listening({ text: "?drop=0.5", seed: 77 }),
  ]);
  assert.deepEqual(text.trimEnd().split("\n").slice(0, -1), [
    "17:42:16.052 INF listening udp 127.0.0.2:7007 -> echo with faults drop=0.5 (seed 77, " +
    "picked by muxd)",
  ]);
  const quiet = await logged({ format: "text", level: "warning" }, [
    listening({ text: "?drop=0.5", seed: 77 }),
  ]);
  assert.equal(quiet, "");
});

Deno.test("JSON log: one object per line, with the event's fields as properties", async () => {
  const text = await logged({ format: "json" }, [opened]);
  const [event, bye] = text.trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.equal(event.level, "INFO");
  assert.equal(event.message, "tcp 127.0.0.2:7007 <- 127.0.0.1:51234 -> whoami");
  assert.equal(event.logger, "muxd.events");
  assert.equal(event.properties.type, "connection-opened");
  assert.deepEqual(event.properties.remote, REMOTE);
  assert.equal(event["@timestamp"], new Date(TIME).toISOString());
  assert.equal(bye.message, "bye");
});

Deno.test("coloured log: the text log's lines with colour codes added, nothing else", async () => {
  const events = [opened, reply, failed, { ...failed, message: "café ☕ 𝄞" }];
  const plain = await logged({ format: "text", level: "debug" }, events);
  const text = await logged({ format: "text", level: "debug", color: true }, events);
  assert.deepEqual(new Set(coloredPieces(text)), new Set(["INF", "DBG", "ERR", "<-", "->"]));
  const times = (t: string) => t.replace(/^\d\d:\d\d:\d\d\.\d{3} (... bye)$/m, "$1");
  assert.equal(times(withoutColor(text)), times(plain));
});

for (const format of ["text", "json"] as const) {
  Deno.test(`mainLogger() writes braces in a message as they are, in the ${format} log`, async () => {
    const chunks: Uint8Array[] = [];
    const stream = new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c.slice()) });
    const logging = await setUpLogging({ format, stream });
    // A path, a spec and a config's own words: none of these braces is a placeholder.
    mainLogger().warn('cannot write the ready file /tmp/no{dir}/x.json: {"ready": true} {{x}}');
    await logging.close();
    const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
    const line = format === "json" ? JSON.parse(text).message : text;
    assert.match(
      line,
      /cannot write the ready file \/tmp\/no\{dir\}\/x\.json: \{"ready": true\} \{\{x\}\}/,
    );
  });
}
