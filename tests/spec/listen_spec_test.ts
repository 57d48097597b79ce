import assert from "node:assert/strict";
import {
  expandPorts,
  formatListenSpec,
  formatSource,
  type Host,
  type ListenSpec,
  ListenSpecError,
  parseListenSpec,
  parseListenSpecs,
  type ServiceName,
  type Transport,
} from "../../lib/spec/mod.ts";
import { mutate, randomGarbage, randomSpec } from "../_support/random_specs.ts";
import { seededRandom } from "../_support/random.ts";

function spec(
  transport: Transport,
  host: Host,
  ports: number | [number, number],
  service: ServiceName,
  options: Record<string, string> = {},
): ListenSpec {
  const [first, last] = typeof ports === "number" ? [ports, ports] : ports;
  return { transport, host, port: { first, last }, service, options };
}

const ipv4 = (address: string): Host => ({ kind: "ipv4", address });
const ipv6 = (address: string): Host => ({ kind: "ipv6", address });
const name = (name: string): Host => ({ kind: "name", name });

/** Valid text, the spec it parses to, and its canonical text when that differs. */
const VALID: readonly [string, ListenSpec, string?][] = [
  ["tcp://127.0.0.1:7007=echo", spec("tcp", ipv4("127.0.0.1"), 7007, "echo")],
  ["udp://127.0.0.1:7007=echo", spec("udp", ipv4("127.0.0.1"), 7007, "echo")],
  ["udp://[::1]:1060=size", spec("udp", ipv6("::1"), 1060, "size")],
  ["tcp://[0:0:0:0:0:0:0:1]:1=echo", spec("tcp", ipv6("::1"), 1, "echo"), "tcp://[::1]:1=echo"],
  [
    "tcp://[2001:DB8::0:1]:80=qotd",
    spec("tcp", ipv6("2001:db8::1"), 80, "qotd"),
    "tcp://[2001:db8::1]:80=qotd",
  ],
  ["tcp://[::ffff:127.0.0.1]:7=echo", spec("tcp", ipv6("::ffff:127.0.0.1"), 7, "echo")],
  ["tcp://[::]:7=echo", spec("tcp", ipv6("::"), 7, "echo")],
  ["tcp://*:7007=echo", spec("tcp", ipv4("0.0.0.0"), 7007, "echo"), "tcp://0.0.0.0:7007=echo"],
  ["tcp://0.0.0.0:7007=echo", spec("tcp", ipv4("0.0.0.0"), 7007, "echo")],
  ["tcp://localhost:7007=echo", spec("tcp", name("localhost"), 7007, "echo")],
  ["tcp://lo:7007=echo", spec("tcp", name("lo"), 7007, "echo")],
  [
    "tcp://my_host-1.example.com.:9=discard",
    spec("tcp", name("my_host-1.example.com."), 9, "discard"),
  ],
  ["tcp://eth0.100:9=discard", spec("tcp", name("eth0.100"), 9, "discard")],
  ["tcp://127.0.0.1:0=echo", spec("tcp", ipv4("127.0.0.1"), 0, "echo")],
  ["tcp://127.0.0.1:65535=echo", spec("tcp", ipv4("127.0.0.1"), 65535, "echo")],
  ["tcp://127.0.0.1:9000-9099=chargen", spec("tcp", ipv4("127.0.0.1"), [9000, 9099], "chargen")],
  ["udp://127.0.0.1:1-1024=time", spec("udp", ipv4("127.0.0.1"), [1, 1024], "time")],
  [
    "udp://127.0.0.1:64512-65535=daytime",
    spec("udp", ipv4("127.0.0.1"), [64512, 65535], "daytime"),
  ],
  ["tcp://127.0.0.1:7-7=echo", spec("tcp", ipv4("127.0.0.1"), 7, "echo"), "tcp://127.0.0.1:7=echo"],
  ["udp://[::1]:9000-9001=whoami", spec("udp", ipv6("::1"), [9000, 9001], "whoami")],
  [
    "tcp://127.0.0.1:7009=banner?text=Hello",
    spec("tcp", ipv4("127.0.0.1"), 7009, "banner", { text: "Hello" }),
  ],
  [
    "tcp://127.0.0.1:7009=banner?text=Hello%2C%20world%21&b=",
    spec("tcp", ipv4("127.0.0.1"), 7009, "banner", { b: "", text: "Hello, world!" }),
    "tcp://127.0.0.1:7009=banner?b=&text=Hello,%20world!",
  ],
  [
    "tcp://h:1=banner?text=a=b?c+d%25%26",
    spec("tcp", name("h"), 1, "banner", { text: "a=b?c+d%&" }),
    "tcp://h:1=banner?text=a=b?c+d%25%26",
  ],
  [
    "tcp://h:1=banner?text=Gr%C3%BC%C3%9Fe%0D%0A",
    spec("tcp", name("h"), 1, "banner", { text: "Grüße\r\n" }),
    "tcp://h:1=banner?text=Grüße%0D%0A",
  ],
  ["tcp://h:1=banner?text=Grüße", spec("tcp", name("h"), 1, "banner", { text: "Grüße" })],
  [
    "tcp://h:1=echo?z=1&a-2=x&m=",
    spec("tcp", name("h"), 1, "echo", { "a-2": "x", m: "", z: "1" }),
    "tcp://h:1=echo?a-2=x&m=&z=1",
  ],
];

for (const [text, expected, canonical] of VALID) {
  Deno.test(`parseListenSpec() parses ${text}`, () => {
    assert.deepEqual(parseListenSpec(text), expected);
  });
  Deno.test(`formatListenSpec() round-trips ${text}`, () => {
    const formatted = formatListenSpec(parseListenSpec(text));
    assert.equal(formatted, canonical ?? text);
    assert.deepEqual(parseListenSpec(formatted), expected);
  });
}

/** Invalid text and a part of the reason it must give. */
const INVALID: readonly [string, string][] = [
  ["", "empty listen spec"],
  ["127.0.0.1:7007=echo", 'missing "tcp://" or "udp://" at the start'],
  ["[::1]:7007=echo", 'missing "tcp://" or "udp://" at the start'],
  ["tcp:/127.0.0.1:7007=echo", 'write "tcp://" with two slashes'],
  ["udp:127.0.0.1:7007=echo", 'write "udp://" with two slashes'],
  ["tcp:///127.0.0.1:7007=echo", "too many slashes"],
  ["://127.0.0.1:7007=echo", "missing transport"],
  ["sctp://127.0.0.1:7007=echo", 'unknown transport "sctp"; use tcp or udp'],
  ["http://127.0.0.1:7007=echo", 'unknown transport "http"'],
  ["TCP://127.0.0.1:7007=echo", "transport must be lowercase: tcp"],
  ["tcp6://[::1]:7007=echo", 'unknown transport "tcp6"; use tcp'],
  ["tcp://", "missing host, port and service"],
  ["tcp://127.0.0.1:7007", 'missing "=SERVICE" after the port'],
  ["tcp://127.0.0.1:7007?text=x", 'missing "=SERVICE" after the port'],
  [
    "tcp://127.0.0.1:7007/echo",
    'use "=" between the port and the service, not "/": tcp://127.0.0.1:7007=echo',
  ],
  ["tcp://127.0.0.1:7009/banner?text=hi", ": tcp://127.0.0.1:7009=banner?text=hi"],
  ["tcp://127.0.0.1:7007/=echo", 'unexpected "/"'],
  ["tcp://127.0.0.1/echo", 'unexpected "/"'],
  ["tcp://127.0.0.1:7007:echo", 'use "=" before the service, not ":": tcp://127.0.0.1:7007=echo'],
  ["tcp://=echo", "missing host and port"],
  ["tcp://127.0.0.1=echo", "missing port"],
  ["tcp://127.0.0.1:=echo", "missing port"],
  ["tcp://[::1]=echo", "missing port"],
  ["tcp://7007=echo", "missing host before the port; write *:7007"],
  ["udp://:7007=echo", "missing host before the port; use *"],
  ["udp://::1:1060=size", "IPv6 addresses need brackets: udp://[::1]:1060=size"],
  ["udp://2001:db8::1:1060=size", "IPv6 addresses need brackets: udp://[2001:db8::1]:1060=size"],
  ["udp://::1=size", "IPv6 addresses need brackets and a port: udp://[::1]:PORT=size"],
  ["udp://1::2::3:4=size", "IPv6 addresses need brackets"],
  ["tcp://[::1=echo", 'missing "]"'],
  ["tcp://::1]:7=echo", 'unexpected "]" without "["'],
  ["tcp://[::1]7007=echo", 'expected ":" and a port after "]"'],
  ["tcp://[]:7=echo", "missing IPv6 address"],
  ["tcp://[::g]:7=echo", '"::g" is not a valid IPv6 address'],
  ["tcp://[1::2::3]:7=echo", "is not a valid IPv6 address"],
  ["tcp://[fe80::1%eth0]:7=echo", 'IPv6 zone ids like "%eth0" are not supported yet'],
  ["tcp://[127.0.0.1]:7=echo", "only IPv6 addresses go in brackets"],
  ["tcp://127.0.0.300:7=echo", "not a valid IPv4 address"],
  ["tcp://127.1:7=echo", "not a valid IPv4 address"],
  ["tcp://010.0.0.1:7=echo", "not a valid IPv4 address"],
  ["tcp://1.2.3.4.5:7=echo", "not a valid IPv4 address"],
  ["tcp://0x7f.0.0.1:7=echo", "not a valid IPv4 address"],
  ["tcp://2130706433:7=echo", "not a valid IPv4 address"],
  ["tcp://exa*mple:7=echo", 'cannot contain "*"'],
  ["tcp://exämple:7=echo", 'cannot contain "ä"'],
  ["tcp://a..b:7=echo", "empty part between dots"],
  ["tcp://.a:7=echo", "empty part between dots"],
  [`tcp://${"a".repeat(254)}:7=echo`, "longer than 253 characters"],
  ["tcp://127.0.0.1:70000=echo", "port must be <= 65535"],
  ["udp://:70000=echo", "port must be <= 65535"],
  ["tcp://127.0.0.1:99999999999999999999=echo", "port must be <= 65535"],
  ["tcp://127.0.0.1:+80=echo", "without a sign"],
  ["tcp://127.0.0.1:-1=echo", "without a sign"],
  ["tcp://127.0.0.1:080=echo", "leading zeros"],
  ["tcp://127.0.0.1:http=echo", 'port must be a decimal number, got "http"'],
  ["tcp://127.0.0.1:1e3=echo", "port must be a decimal number"],
  ["tcp://127.0.0.1:٧=echo", "port must be a decimal number"],
  ["tcp://127.0.0.1:9099-9000=echo", "must go from low to high"],
  ["tcp://127.0.0.1:0-10=echo", "port 0 (any free port) cannot be part of a range"],
  ["tcp://127.0.0.1:1-1025=echo", "port range 1-1025 has 1025 ports; at most 1024"],
  ["tcp://127.0.0.1:9000-=echo", "missing last port"],
  ["tcp://127.0.0.1:9000-70000=echo", "port must be <= 65535"],
  ["tcp://127.0.0.1:1-2-3=echo", "port must be a decimal number"],
  ["tcp://127.0.0.1:7007=", "missing service"],
  ["tcp://127.0.0.1:7007=ech", 'unknown service "ech"; known services: echo, discard, chargen'],
  ["tcp://127.0.0.1:7007=ECHO", "service names are lowercase: echo"],
  ["tcp://127.0.0.1:7009=banner&text=hi", 'options go after "?"'],
  ["tcp://127.0.0.1:7009=banner?", 'missing options after "?"'],
  ["tcp://127.0.0.1:7009=banner?text", 'option "text" needs a value'],
  ["tcp://127.0.0.1:7009=banner?=hi", "missing option name"],
  ["tcp://127.0.0.1:7009=banner?a=1&&b=2", "empty option"],
  ["tcp://127.0.0.1:7009=banner?a=1&", "empty option"],
  ["tcp://127.0.0.1:7009=banner?Text=hi", 'option name "Text" must be lowercase'],
  ["tcp://127.0.0.1:7009=banner?1a=hi", 'option name "1a"'],
  ["tcp://127.0.0.1:7009=banner?a_b=hi", 'option name "a_b"'],
  ["tcp://127.0.0.1:7009=banner?text=a&text=b", 'duplicate option "text"'],
  ["tcp://127.0.0.1:7009=banner?text=100%", 'bad percent escape "%"'],
  ["tcp://127.0.0.1:7009=banner?text=%zz", 'bad percent escape "%zz"'],
  ["tcp://127.0.0.1:7009=banner?text=%FF", "does not percent-decode to UTF-8"],
  [
    "tcp://127.0.0.1:7009=banner?text=a b",
    'option "text" cannot hold a raw space; write it as %20',
  ],
  [
    "tcp://127.0.0.1:7009=exec?run=python3 server.py",
    'option "run" cannot hold a raw space: part the program and its arguments with commas, ' +
    "as in run=python3,server.py (a space inside one argument is %20)",
  ],
  ["tcp://127.0.0.1:7009=banner?text=a\nb", "write it as %0A"],
  ["tcp://127.0.0.1:7009=banner?text=a\u200bb", "character U+200B; write it as %E2%80%8B"],
  ["tcp://127.0.0.1:7009=banner?text=\ud800", "lone UTF-16 surrogate"],
  [" tcp://127.0.0.1:7007=echo", "unexpected space at the start"],
  ["tcp://127.0.0.1:7007=echo ", "unexpected space at the end"],
  ["tcp://127.0.0.1:7007 = echo", "unexpected space at character 21"],
  ["tcp://127.0.0.1:7007=echo\n", "unexpected line feed at the end"],
  ["tcp://127.0.0.1:7007\t=echo", "unexpected tab"],
  ["tcp://127.0.0.1:7007=banner?te\u200bxt", 'option "te\\u200bxt" needs a value'],
  ["tcp://exämple=echo", "missing port after the host"],
  ["udp://::1:1060=size?text=a b", "IPv6 addresses need brackets"],
];

for (const [text, reason] of INVALID) {
  Deno.test(`parseListenSpec() rejects ${JSON.stringify(text).slice(0, 60)}: ${reason}`, () => {
    assert.throws(() => parseListenSpec(text), ListenSpecError);
    assert.throws(
      () => parseListenSpec(text),
      (error: ListenSpecError) => error.reason.includes(reason) && error.text === text,
    );
  });
}

Deno.test("parseListenSpec() names the text and an argument source in the message", () => {
  assert.throws(
    () => parseListenSpec("udp://:70000=echo", { kind: "argument", index: 3 }),
    ListenSpecError,
  );
  assert.throws(() => parseListenSpec("udp://:70000=echo", { kind: "argument", index: 3 }), {
    name: "ListenSpecError",
    message: 'Cannot parse listen spec "udp://:70000=echo" (argument 3): port must be <= 65535',
    text: "udp://:70000=echo",
    source: { kind: "argument", index: 3 },
    reason: "port must be <= 65535",
  });
});

Deno.test("parseListenSpec() names a file source as path:line:column", () => {
  const source = { kind: "file", path: "muxd.jsonc", line: 12, column: 5 } as const;
  assert.throws(() => parseListenSpec("tcp://127.0.0.1:7007=ech", source), {
    message: 'Cannot parse listen spec "tcp://127.0.0.1:7007=ech" (muxd.jsonc:12:5): ' +
      'unknown service "ech"; known services: echo, discard, chargen, qotd, daytime, time, ' +
      "whoami, size, banner, exec, forward",
    source,
  });
});

Deno.test("parseListenSpec() leaves the parenthesis out without a source", () => {
  assert.throws(() => parseListenSpec("127.0.0.1:7007=echo"), {
    message:
      'Cannot parse listen spec "127.0.0.1:7007=echo": missing "tcp://" or "udp://" at the start',
    source: undefined,
  });
});

Deno.test("parseListenSpec() throws a SyntaxError, quoting control characters and cutting long text", () => {
  assert.throws(() => parseListenSpec("tcp://h:1=echo\0"), SyntaxError);
  assert.throws(() => parseListenSpec("tcp://h:1=echo\0"), {
    message: /"tcp:\/\/h:1=echo\\u0000"/,
  });
  const long = `tcp://h:1=${"x".repeat(5000)}`;
  assert.throws(() => parseListenSpec(long), (error: ListenSpecError) => {
    return error.text === long && error.message.length < 1000 && error.message.includes('..."');
  });
});

Deno.test("parseListenSpec() keeps its message short however long the part that is wrong, hints included", () => {
  const letters = "a".repeat(100_000);
  const digits = "1".repeat(100_000);
  const specs = [
    `tcp://127.0.0.1:7=echo?${letters}`, // option without a value: its KEY=VALUE hint
    `tcp://${letters}=echo`, // no port: the HOST:PORT hint
    `tcp://${digits}=echo`, // no host: the *:PORT hint
    `tcp://::1:${digits}=echo`, // IPv6 without brackets: the rebuilt spec
    `tcp://::1:7=echo?${letters}=1`,
    `tcp://127.0.0.1:7/${letters}`, // "/" for "=": the fixed spec
    `tcp://127.0.0.1:7:${letters}`,
    `tcp://[1.2.3.4${"0".repeat(100_000)}]:7=echo`,
    `tcp://127.0.0.1:${"0".repeat(100_000)}1-2=echo`,
  ];
  for (const spec of specs) {
    assert.throws(() => parseListenSpec(spec), (error: ListenSpecError) => {
      assert.ok(
        error.message.length < 1000,
        `${error.message.length} characters: ${error.message.slice(0, 80)}...${
          error.message.slice(-80)
        }`,
      );
      return true;
    });
  }
  // A short one still gets its hint.
  assert.throws(() => parseListenSpec("tcp://127.0.0.1:7=echo?latency"), {
    message: /needs a value: latency=VALUE$/,
  });
  assert.throws(() => parseListenSpec("tcp://localhost=echo"), {
    message: /write localhost:PORT$/,
  });
});

Deno.test("parseListenSpec() returns a frozen spec", () => {
  const parsed = parseListenSpec("tcp://127.0.0.1:7009=banner?text=hi");
  assert.ok(Object.isFrozen(parsed));
  assert.ok(Object.isFrozen(parsed.host));
  assert.ok(Object.isFrozen(parsed.port));
  assert.ok(Object.isFrozen(parsed.options));
});

Deno.test("formatSource() writes each kind of source", () => {
  assert.equal(formatSource({ kind: "argument", index: 1 }), "argument 1");
  assert.equal(
    formatSource({ kind: "file", path: "/etc/muxd.jsonc", line: 3, column: 7 }),
    "/etc/muxd.jsonc:3:7",
  );
  assert.equal(formatSource({ kind: "builtin", name: "demo set" }), "built-in demo set");
  assert.throws(() => parseListenSpec("tcp://h:1=x", { kind: "builtin", name: "demo set" }), {
    message: /^Cannot parse listen spec "tcp:\/\/h:1=x" \(built-in demo set\): unknown service "x"/,
  });
});

Deno.test("parseListenSpecs() reports every error, in order, and keeps the good specs", () => {
  const arg = (index: number) => ({ kind: "argument", index }) as const;
  const { specs, errors } = parseListenSpecs([
    { text: "tcp://127.0.0.1:7007=echo", source: arg(1) },
    { text: "udp://:70000=echo", source: arg(2) },
    { text: "udp://[::1]:1060=size", source: arg(3) },
    { text: "tcp://127.0.0.1:7008=ech", source: arg(4) },
    { text: "127.0.0.1:7009=echo", source: arg(5) },
  ]);
  assert.deepEqual(specs.map(formatListenSpec), [
    "tcp://127.0.0.1:7007=echo",
    "udp://[::1]:1060=size",
  ]);
  assert.equal(errors.length, 3);
  assert.ok(errors.every((error) => error instanceof ListenSpecError));
  assert.deepEqual(errors.map((error) => error.source), [arg(2), arg(4), arg(5)]);
  assert.deepEqual(errors.map((error) => error.text), [
    "udp://:70000=echo",
    "tcp://127.0.0.1:7008=ech",
    "127.0.0.1:7009=echo",
  ]);
});

Deno.test("parseListenSpecs() returns empty lists for no items", () => {
  assert.deepEqual(parseListenSpecs([]), { specs: [], errors: [] });
});

Deno.test("expandPorts() lists every port of a range", () => {
  assert.deepEqual(expandPorts({ first: 7007, last: 7007 }), [7007]);
  assert.deepEqual(expandPorts({ first: 9000, last: 9003 }), [9000, 9001, 9002, 9003]);
  assert.equal(expandPorts(parseListenSpec("udp://*:1-1024=time").port).length, 1024);
});

Deno.test("formatListenSpec() round-trips hundreds of random valid specs", () => {
  const random = seededRandom(7007);
  for (let i = 0; i < 500; i++) {
    const original = randomSpec(random);
    const text = formatListenSpec(original);
    const parsed = parseListenSpec(text);
    assert.deepEqual(parsed, original, text);
    assert.equal(formatListenSpec(parsed), text);
  }
});

/** Parses, and checks that the only failure is a ListenSpecError and every success round-trips. */
function parseOrFail(text: string): "parsed" | "failed" {
  let parsed: ListenSpec;
  try {
    parsed = parseListenSpec(text, { kind: "argument", index: 1 });
  } catch (error) {
    if (!(error instanceof ListenSpecError)) {
      throw new Error(`Unexpected error for ${JSON.stringify(text)}`, { cause: error });
    }
    assert.ok(error.message.startsWith("Cannot parse listen spec "));
    assert.ok(error.reason.length > 0);
    assert.ok(error.message.isWellFormed(), error.message);
    assert.doesNotMatch(error.message, /(?! )[\s\p{Cc}\p{Cf}]/u, "no hidden characters");
    return "failed";
  }
  const formatted = formatListenSpec(parsed);
  assert.deepEqual(parseListenSpec(formatted), parsed, `${text} -> ${formatted}`);
  return "parsed";
}

Deno.test("parseListenSpec() only ever throws ListenSpecError on random garbage", () => {
  const random = seededRandom(1060);
  const counts = { parsed: 0, failed: 0 };
  for (let i = 0; i < 5000; i++) counts[parseOrFail(randomGarbage(random))]++;
  assert.ok(counts.failed > 4000);
});

Deno.test("parseListenSpec() only ever throws ListenSpecError on mutated valid specs", () => {
  const random = seededRandom(9000);
  const counts = { parsed: 0, failed: 0 };
  for (let i = 0; i < 5000; i++) {
    const valid = random.chance(0.3) ? random.pick(VALID)[0] : formatListenSpec(randomSpec(random));
    counts[parseOrFail(mutate(random, valid))]++;
  }
  assert.ok(counts.parsed > 100 && counts.failed > 1000, JSON.stringify(counts));
});
