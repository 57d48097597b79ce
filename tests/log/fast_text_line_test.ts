import assert from "node:assert/strict";
import type { CloseReason, ServerEvent } from "../../lib/events/event.ts";
import { type EventLineWriter, formattedEventLine } from "../../lib/log/event_line.ts";
import { fastTextLine } from "../../lib/log/fast_text_line.ts";
import { LineBuffer } from "../../lib/log/line_buffer.ts";
import type { LogLevel } from "../../lib/log/log.ts";
import { plainTextFormatter } from "../../lib/log/text_formatter.ts";
import { REFUSAL_WORDS, type RefusalReason } from "../../lib/guard/admission.ts";
import { SUPPRESS_WORDS, type SuppressReason } from "../../lib/guard/udp_guard.ts";
import { SERVICE_NAMES, type ServiceName } from "../../lib/services/names.ts";
import type { SocketName } from "../../lib/spec/types.ts";
import { type Random, seededRandom } from "../_support/random.ts";

// The oracle: the readable form of the text log's line, LogTape's text
// formatter over formatEvent()'s text.
const readable = formattedEventLine(plainTextFormatter(), false);

const LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error"];
const ADDRESSES: readonly string[] = [
  "127.0.0.1",
  "127.0.0.2",
  "0.0.0.0",
  "10.255.0.9",
  "::1",
  "::",
  "2001:db8::7",
  "::ffff:127.0.0.2",
  "fe80::1%lo", // a zone id, kept as it is
];
const NUMBERS: readonly number[] = [
  0,
  1,
  7,
  9,
  10,
  99,
  100,
  999,
  1_000,
  65_535,
  1_234_567_890,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 - 1,
  1e21,
];
const DURATIONS: readonly number[] = [0, 0.49, 0.5, 1.5, 2.5, 3.4, 999.5, 12_345.678, 2 ** 31];
/** Text with characters the fast path must leave to LogTape, or write as they are. */
const ODD_TEXT: readonly string[] = [
  "",
  "plain words",
  "braces {x} and {{y}}",
  'quote " backslash \\ tilde ~',
  "bell\u0007",
  "new\nline",
  "tab\there",
  "carriage\rreturn",
  "escape \u001b[31mred",
  "delete\u007f",
  "next line \u0085",
  "café",
  "☕",
  "𝄞",
  "lone \ud800 surrogate",
  "line separator \u2028",
];
const CLOSE_REASONS: readonly CloseReason[] = [
  "done",
  "reset",
  "error",
  "shutdown",
  "idle",
  "upstream",
];
const REFUSALS = Object.keys(REFUSAL_WORDS) as RefusalReason[];
const SUPPRESSIONS = Object.keys(SUPPRESS_WORDS) as SuppressReason[];
const TYPES: readonly ServerEvent["type"][] = [
  "listening",
  "bind-failed",
  "listener-closed",
  "connection-opened",
  "connection-closed",
  "connection-refused",
  "connection-aborted",
  "accept-paused",
  "accept-resumed",
  "reply-suppressed",
  "datagram",
  "reply",
  "error",
  "exec-started",
  "exec-stderr",
  "exec-exited",
  "exec-refused",
  "exec-no-group",
  "upstream-connected",
  "session-closed",
  "session-refused",
  "fault",
  "faults-changed",
  "listener-replaced",
];
/** The events a connection or datagram writes: the ones the fast path writes as bytes. */
const HOT: ReadonlySet<ServerEvent["type"]> = new Set([
  "connection-opened",
  "connection-closed",
  "connection-refused",
  "datagram",
  "reply",
  "reply-suppressed",
  "upstream-connected",
]);

/** A close reason, with the detail that reason `upstream` carries. */
function closeReason(
  reason: CloseReason,
  text: (plain: string) => string,
): { reason: CloseReason; detail?: string } {
  if (reason !== "upstream") return { reason };
  return { reason, detail: text("upstream 127.0.0.1:8080 refused the connection") };
}

/** A random event of `type`, with odd text in a text field at the chance `odd`. */
function randomEvent(
  random: Random,
  type: ServerEvent["type"],
  time: number,
  odd = 0.15,
): ServerEvent {
  // Half the ports from a few, so that names come again, as a busy socket's do.
  const port = () => random.chance(0.5) ? random.pick([7, 7007, 40000]) : random.int(0, 65535);
  const name = (): SocketName => ({ address: random.pick(ADDRESSES), port: port() });
  const text = (plain: string) => random.chance(odd) ? random.pick(ODD_TEXT) : plain;
  const count = () => random.chance(0.5) ? random.pick(NUMBERS) : random.int(0, 100_000);
  // A service name is one of muxd's, but the line must not depend on that.
  const service = text(random.pick(SERVICE_NAMES)) as ServiceName;
  const local = name();
  const base = { time, listener: text("tcp://127.0.0.2:7007=echo"), service, local };
  switch (type) {
    case "listening":
    case "listener-closed":
      return { ...base, type, transport: random.pick(["tcp", "udp"] as const) };
    case "bind-failed":
      return {
        ...base,
        type,
        transport: random.pick(["tcp", "udp"] as const),
        code: random.chance(0.5) ? "EADDRINUSE" : null,
        reason: text("address already in use"),
      };
    case "connection-opened":
      return {
        ...base,
        type,
        transport: "tcp",
        id: count(),
        remote: name(),
        bound: random.chance(0.5) ? local : name(),
      };
    case "connection-closed":
      return {
        ...base,
        type,
        transport: "tcp",
        id: count(),
        remote: name(),
        bytesIn: count(),
        bytesOut: count(),
        durationMs: random.chance(0.5) ? random.pick(DURATIONS) : random.next() * 10_000,
        ...closeReason(random.pick(CLOSE_REASONS), text),
        // A connection exec served says how its program ended.
        ...(random.chance(0.2)
          ? {
            exit: {
              program: text("python3"),
              pid: count(),
              code: null,
              signal: "SIGTERM",
              endedBy: random.pick([null, "closed"] as const),
            },
          }
          : {}),
      };
    case "connection-refused": {
      const reason = random.pick(REFUSALS);
      return {
        ...base,
        type,
        transport: "tcp",
        remote: name(),
        reason,
        detail: text(REFUSAL_WORDS[reason]),
      };
    }
    case "connection-aborted":
      return { ...base, type, transport: "tcp", name: text("ConnectionReset") };
    case "accept-paused":
      return {
        ...base,
        type,
        transport: "tcp",
        code: text("EMFILE"),
        detail: text("Too many open files"),
        failures: random.pick([1, 2, count()]),
        retryMs: random.pick([50, count()]),
      };
    case "accept-resumed":
      return {
        ...base,
        type,
        transport: "tcp",
        pausedMs: random.pick(DURATIONS),
        failures: random.pick([1, 2, count()]),
      };
    case "reply-suppressed": {
      const reason = random.pick(SUPPRESSIONS);
      return {
        ...base,
        type,
        transport: "udp",
        remote: name(),
        reason,
        detail: text(SUPPRESS_WORDS[reason]),
        bytesIn: count(),
        bytesOut: random.chance(0.5) ? 0 : count(),
      };
    }
    case "datagram":
      return { ...base, type, transport: "udp", remote: name(), bytesIn: count() };
    case "reply":
      return { ...base, type, transport: "udp", remote: name(), bytesOut: count() };
    case "error":
      return {
        ...base,
        type,
        transport: random.pick(["tcp", "udp"] as const),
        remote: random.chance(0.5) ? name() : null,
        id: random.chance(0.5) ? count() : null,
        name: text("TypeError"),
        message: text("boom"),
      };
    case "exec-started":
    case "exec-stderr":
    case "exec-exited":
    case "exec-refused":
    case "exec-no-group": {
      const exec = {
        ...base,
        transport: random.pick(["tcp", "udp"] as const),
        remote: name(),
        id: random.chance(0.5) ? count() : null,
      };
      const pid = count();
      if (type === "exec-started") return { ...exec, type, pid, program: text("python3") };
      if (type === "exec-stderr") return { ...exec, type, pid, line: text("Traceback") };
      if (type === "exec-refused") {
        return { ...exec, type, reason: "too-many-processes", detail: text("32 programs") };
      }
      if (type === "exec-no-group") return { ...exec, type, pid, detail: text("add kill") };
      const signalled = random.chance(0.5);
      return {
        ...exec,
        type,
        pid,
        program: text("python3"),
        code: signalled ? null : random.int(0, 255),
        signal: signalled ? "SIGTERM" : null,
        endedBy: random.pick([null, "time-limit", "output-limit", "closed", "shutdown", "reload"]),
        runMs: random.pick(DURATIONS),
        stderrDropped: random.pick([0, count()]),
      };
    }
    case "upstream-connected":
      return {
        ...base,
        type,
        transport: random.pick(["tcp", "udp"] as const),
        id: random.chance(0.5) ? count() : null,
        remote: name(),
        upstream: name(),
        from: name(),
        ...(random.chance(0.5) ? { proxy: random.pick(["v1", "v2"] as const) } : {}),
      };
    case "session-closed":
      return {
        ...base,
        type,
        transport: "udp",
        remote: name(),
        upstream: name(),
        datagramsIn: count(),
        bytesIn: count(),
        datagramsOut: count(),
        bytesOut: count(),
        durationMs: random.pick(DURATIONS),
        reason: random.pick(["idle", "shutdown"] as const),
      };
    case "session-refused":
      return {
        ...base,
        type,
        transport: "udp",
        remote: name(),
        detail: text("256 sessions are open"),
      };
    case "fault":
      return {
        ...base,
        type,
        transport: "udp",
        remote: name(),
        id: null,
        fault: "drop",
        on: "request",
        detail: text("dropped 6 B"),
      };
    case "faults-changed":
      return {
        ...base,
        type,
        transport: "tcp",
        before: "",
        after: text("?latency=100"),
        seed: count(),
        by: random.pick(["config", "api"] as const),
        was: random.pick(["config", "api"] as const),
      };
    case "listener-replaced":
      return {
        ...base,
        type,
        transport: "tcp",
        replaced: text("tcp://127.0.0.1:7007=whoami"),
      };
  }
}

/** What `write` writes for one event, after a line already in the buffer. */
function written(write: EventLineWriter, event: ServerEvent, level: LogLevel): string {
  // A small buffer, so that lines also grow it midway.
  const out = new LineBuffer(48);
  out.appendUtf8("before\n");
  write(event, level, out);
  return new TextDecoder().decode(out.view());
}

Deno.test("fastTextLine() writes every event's line byte for byte as LogTape's text formatter does", () => {
  const random = seededRandom(7007);
  const fast = fastTextLine();
  // Across milliseconds 0, 9, 10, 99, 100, seconds, minutes, hours and a day.
  let time = Date.UTC(2026, 10, 22, 23, 59, 58, 990);
  for (let i = 0; i < 6_000; i++) {
    time += random.int(0, 7);
    const event = randomEvent(random, TYPES[i % TYPES.length], time);
    const level = random.pick(LEVELS);
    assert.equal(
      written(fast, event, level),
      written(readable, event, level),
      JSON.stringify(event),
    );
  }
});

Deno.test("fastTextLine() leaves a timestamp that is not a whole, non-negative millisecond to the readable form", () => {
  const random = seededRandom(1060);
  for (const time of [1_700_000_000_123.5, -1, -1_000.25, 0]) {
    const event = randomEvent(random, "datagram", time);
    assert.equal(written(fastTextLine(), event, "info"), written(readable, event, "info"));
  }
});

Deno.test("fastTextLine() writes the lines of connections and datagrams itself, and gives the rest to the readable form", () => {
  const random = seededRandom(9000);
  for (const type of TYPES) {
    const given: ServerEvent[] = [];
    const fast = fastTextLine((event, level, out) => {
      given.push(event);
      readable(event, level, out);
    });
    const event = randomEvent(random, type, 0, 0);
    written(fast, event, "info");
    // A connection that ran a program (exec) takes the readable form.
    const ranProgram = event.type === "connection-closed" && event.exit !== undefined;
    assert.equal(given.length, HOT.has(type) && !ranProgram ? 0 : 1, type);
  }
});

Deno.test("fastTextLine() gives a line that is not printable ASCII to the readable form, keeping the lines before it", () => {
  const given: ServerEvent[] = [];
  const fast = fastTextLine((event, level, out) => {
    given.push(event);
    readable(event, level, out);
  });
  const event: ServerEvent = {
    type: "connection-refused",
    time: 0,
    transport: "tcp",
    listener: "tcp://127.0.0.2:7007=echo",
    service: "echo",
    local: { address: "127.0.0.2", port: 7007 },
    remote: { address: "127.0.0.1", port: 51234 },
    reason: "rate",
    detail: "bell\u0007 and café".repeat(20), // long enough to grow the buffer first
  };
  const text = written(fast, event, "warning");
  assert.deepEqual(given, [event]);
  assert.match(
    text,
    /^before\n00:00:00\.000 WRN tcp 127\.0\.0\.2:7007 <- 127\.0\.0\.1:51234 refused/,
  );
  assert.ok(!text.includes("\u0007"), "LogTape escapes the bell");
  assert.ok(text.includes("café"));
  assert.equal(text.split("\n").length, 3);
});

Deno.test("fastTextLine() gives every line with a socket name that is not printable ASCII to the readable form, not only the first", () => {
  const given: ServerEvent[] = [];
  const fast = fastTextLine((event, level, out) => {
    given.push(event);
    readable(event, level, out);
  });
  // A zone id is an interface's name, which may be any text.
  const event: ServerEvent = {
    type: "datagram",
    time: 0,
    transport: "udp",
    listener: "udp://[::]:7007=echo",
    service: "echo",
    local: { address: "::", port: 7007 },
    remote: { address: "fe80::1%wlé", port: 51234 },
    bytesIn: 5,
  };
  for (let i = 0; i < 3; i++) {
    assert.equal(written(fast, event, "info"), written(readable, event, "info"));
  }
  assert.equal(given.length, 3);
});
