/**
 * End-to-end tests of `muxd serve`: muxd runs as a real subprocess and the
 * real OpenBSD netcat plays the client, as in the README.
 */

import assert from "node:assert/strict";
import { ipv6LoopbackProblem } from "../_support/host.ts";
import { startMuxd, startMuxdOnFreePort } from "../_support/process.ts";
import { freePort } from "../_support/socket.ts";
import { nc, ncHead } from "../_support/netcat.ts";
import { pythonUdp } from "../_support/python_udp.ts";
import { withTimeout } from "../_support/wait.ts";
import { chargenLines } from "../../lib/services/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `serve` followed by `-l SPEC` for each spec. */
function serveArgs(...specs: string[]): string[] {
  return ["serve", ...specs.flatMap((spec) => ["-l", spec])];
}

/** Random base64 text of exactly `length` bytes. */
function randomBase64(length: number): Uint8Array {
  const random = new Uint8Array(Math.ceil(length * 3 / 4) + 3);
  for (let i = 0; i < random.length; i += 65536) {
    crypto.getRandomValues(random.subarray(i, i + 65536));
  }
  let binary = "";
  for (const byte of random) binary += String.fromCharCode(byte);
  return encoder.encode(btoa(binary).slice(0, length));
}

/** The first index where `a` and `b` differ, or -1 when they are equal. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * The RFC 864 pattern, written out independently of muxd: the 95 printable
 * characters starting at "!", with the space last; line N is 72 characters
 * from position N of that ring, then CR LF.
 */
function rfc864Pattern(lineCount: number): Uint8Array {
  let ring = "";
  for (let c = 0x21; c <= 0x7e; c++) ring += String.fromCharCode(c);
  ring += " ";
  const twice = ring + ring;
  let text = "";
  for (let n = 0; n < lineCount; n++) text += twice.slice(n % 95, n % 95 + 72) + "\r\n";
  return encoder.encode(text);
}

Deno.test("muxd serve returns every byte netcat sends to a TCP echo listener", async () => {
  await using muxd = await startMuxd(serveArgs("tcp://127.0.0.1:0=echo"));
  const port = String(muxd.port(0));

  const short = await nc(["-N", "127.0.0.1", port], "hello, echo\n");
  assert.equal(short.code, 0, short.stderr);
  assert.equal(short.text, "hello, echo\n");

  const payload = randomBase64(200 * 1024);
  const large = await nc(["-N", "127.0.0.1", port], payload);
  assert.equal(large.code, 0, large.stderr);
  assert.equal(large.stdout.length, payload.length, "echoed byte count");
  assert.equal(firstDifference(large.stdout, payload), -1, "first differing byte");
});

Deno.test("muxd serve answers 127.0.0.1 and 127.0.0.2 on one TCP port with different services", async () => {
  const { muxd, port } = await startMuxdOnFreePort((p) =>
    serveArgs(`tcp://127.0.0.1:${p}=echo`, `tcp://127.0.0.2:${p}=whoami`)
  );
  await using _muxd = muxd;
  assert.deepEqual(
    muxd.ready.sockets.map((s) => [s.transport, s.address, s.port, s.service]),
    [["tcp", "127.0.0.1", port, "echo"], ["tcp", "127.0.0.2", port, "whoami"]],
  );

  const echo = await nc(["-N", "127.0.0.1", String(port)], "who is there?\n");
  assert.equal(echo.code, 0, echo.stderr);
  assert.equal(echo.text, "who is there?\n");

  // netcat's own socket name is chosen here, so whoami's answer can be exact.
  const sourcePort = freePort("127.0.0.3");
  const who = await nc([
    "-d",
    "-s",
    "127.0.0.3",
    "-p",
    String(sourcePort),
    "127.0.0.2",
    String(port),
  ]);
  assert.equal(who.code, 0, who.stderr);
  assert.equal(
    who.text,
    "transport: tcp\n" +
      `local: 127.0.0.2:${port}\n` +
      `remote: 127.0.0.3:${sourcePort}\n` +
      `listener: tcp://127.0.0.2:${port}=whoami\n` +
      "service: whoami\n" +
      `process: ${muxd.ready.pid}\n`,
  );
});

Deno.test("muxd serve replies to each UDP datagram with the size sentence and its byte count", async () => {
  await using muxd = await startMuxd(serveArgs("udp://127.0.0.1:0=size"));
  const port = String(muxd.port(0));
  const [big, one] = await Promise.all([
    nc(["-u", "-w1", "127.0.0.1", port], "x".repeat(1234)),
    nc(["-u", "-w1", "127.0.0.1", port], "y"),
  ]);
  assert.equal(big.text, "Your data was 1234 bytes long", big.stderr);
  assert.equal(one.text, "Your data was 1 bytes long", one.stderr);
});

Deno.test("muxd serve's size answers the book's Python UDP client with the book's bytes, no line end", async () => {
  await using muxd = await startMuxd(serveArgs("udp://127.0.0.1:0=size"));
  // The client sends b"who am I talking to?", 20 bytes; the book's server
  // answers 'Your data was {} bytes long'.format(20), encoded, and nothing more.
  const { reply, error } = await pythonUdp("127.0.0.1", muxd.port(0), { connected: false });
  assert.equal(error, null);
  assert.equal(reply, "Your data was 20 bytes long");
});

Deno.test("muxd serve's UDP chargen replies with 0 to 512 characters of the pattern, a count per client", async () => {
  await using muxd = await startMuxd(serveArgs("udp://127.0.0.1:0=chargen"));
  const port = muxd.port(0);
  const pattern = chargenLines(0, 7);
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  // 40 clients, each on a socket of its own, so each has its own count.
  const lengths: number[] = [];
  for (let i = 0; i < 40; i++) {
    const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      await client.send(encoder.encode("any"), to);
      const [reply] = await withTimeout(client.receive(), 5000, `chargen's reply ${i}`);
      assert.ok(reply.length <= 512, `${reply.length} bytes`);
      assert.deepEqual(reply, pattern.subarray(0, reply.length));
      lengths.push(reply.length);
    } finally {
      client.close();
    }
  }
  // The same length forty times would be 1 chance in 513^39.
  assert.ok(new Set(lengths).size > 1, `every reply was ${lengths[0]} bytes long`);
});

Deno.test("muxd serve answers TCP and UDP on one port number with different services", async () => {
  const { muxd, port } = await startMuxdOnFreePort((p) =>
    serveArgs(`tcp://127.0.0.1:${p}=echo`, `udp://127.0.0.1:${p}=whoami`)
  );
  await using _muxd = muxd;
  const [tcp, udp] = await Promise.all([
    nc(["-N", "127.0.0.1", String(port)], "tcp here\n"),
    nc(["-u", "-w1", "127.0.0.1", String(port)], "udp here\n"),
  ]);
  assert.equal(tcp.code, 0, tcp.stderr);
  assert.equal(tcp.text, "tcp here\n");
  assert.match(
    udp.text,
    new RegExp(
      "^transport: udp\\n" +
        `local: 127\\.0\\.0\\.1:${port}\\n` +
        "remote: 127\\.0\\.0\\.1:(\\d+)\\n" +
        `listener: udp://127\\.0\\.0\\.1:${port}=whoami\\n` +
        "service: whoami\\n" +
        `process: ${muxd.ready.pid}\\n$`,
    ),
  );
});

const ipv6Problem = ipv6LoopbackProblem();
if (ipv6Problem !== null) {
  console.log(`IPv6 test ignored: this host cannot bind [::1] (${ipv6Problem})`);
}

Deno.test({
  name: "muxd serve answers netcat -6 on an IPv6 loopback whoami listener",
  ignore: ipv6Problem !== null,
  fn: async () => {
    await using muxd = await startMuxd(serveArgs("tcp://[::1]:0=whoami"));
    assert.equal(muxd.ready.sockets[0].address, "::1");
    const port = muxd.port(0);
    const who = await nc(["-6", "-d", "::1", String(port)]);
    assert.equal(who.code, 0, who.stderr);
    const match = who.text.match(
      new RegExp(
        "^transport: tcp\\n" +
          `local: \\[::1\\]:${port}\\n` +
          "remote: \\[::1\\]:(\\d+)\\n" +
          "listener: tcp://\\[::1\\]:0=whoami\\n" +
          "service: whoami\\n" +
          `process: ${muxd.ready.pid}\\n$`,
      ),
    );
    assert.ok(match, `unexpected whoami reply:\n${who.text}`);
    assert.notEqual(Number(match[1]), port);
  },
});

Deno.test("muxd serve streams the RFC 864 chargen pattern over TCP", async () => {
  await using muxd = await startMuxd(serveArgs("tcp://127.0.0.1:0=chargen"));
  const port = String(muxd.port(0));
  const firstLines = await ncHead(["-d", "127.0.0.1", port], 3 * 74);
  assert.equal(
    decoder.decode(firstLines),
    "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n" +
      "\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi\r\n" +
      "#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghij\r\n",
  );
  // Far enough to wrap the 95-line ring many times and to cross muxd's
  // write boundaries; a reader as slow as a pipe keeps muxd's socket full.
  const lines = 40_000;
  const expected = rfc864Pattern(lines);
  const got = await ncHead(["-d", "127.0.0.1", port], expected.length);
  assert.equal(got.length, expected.length, "bytes read");
  const at = firstDifference(got, expected);
  assert.equal(
    at,
    -1,
    at === -1 ? "" : `pattern breaks at byte ${at} (line ${Math.floor(at / 74)}): ` +
      JSON.stringify(decoder.decode(got.subarray(at - at % 74, at - at % 74 + 74))),
  );
});

Deno.test("muxd serve sends a current RFC 867 daytime line and RFC 868 time over TCP", async () => {
  await using muxd = await startMuxd(
    serveArgs("tcp://127.0.0.1:0=daytime", "tcp://127.0.0.1:0=time"),
  );
  const [daytime, time] = await Promise.all([
    nc(["-d", "127.0.0.1", String(muxd.port(0))]),
    nc(["-d", "127.0.0.1", String(muxd.port(1))]),
  ]);
  const now = Date.now();

  assert.equal(daytime.code, 0, daytime.stderr);
  const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const months = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
  ];
  const m = daytime.text.match(
    /^([A-Za-z]+), ([A-Za-z]+) ([1-9]\d?), (\d{4}) (\d\d):(\d\d):(\d\d)-UTC\r\n$/,
  );
  assert.ok(m, `not a daytime line: ${JSON.stringify(daytime.text)}`);
  const [, day, month, date, year, hh, mm, ss] = m;
  assert.ok(months.includes(month), `month ${month}`);
  const sent = Date.UTC(+year, months.indexOf(month), +date, +hh, +mm, +ss);
  assert.ok(Math.abs(sent - now) <= 5_000, `daytime ${daytime.text.trim()} is not now`);
  assert.equal(day, days[new Date(sent).getUTCDay()], "weekday matches the date");

  assert.equal(time.code, 0, time.stderr);
  assert.equal(time.stdout.length, 4);
  const seconds = new DataView(time.stdout.buffer, time.stdout.byteOffset).getUint32(0, false);
  const expected = (Math.floor(now / 1000) + 2_208_988_800) % 2 ** 32;
  assert.ok(Math.abs(seconds - expected) <= 5, `time ${seconds}, expected about ${expected}`);
});

Deno.test("muxd serve sends the default banner and the ?text= banner over TCP", async () => {
  await using muxd = await startMuxd(
    serveArgs(
      "tcp://127.0.0.1:0=banner",
      "tcp://127.0.0.1:0=banner?text=Hi%20there%2C%20caf%C3%A9",
    ),
  );
  const [plain, custom] = await Promise.all([
    nc(["-d", "127.0.0.1", String(muxd.port(0))]),
    nc(["-d", "127.0.0.1", String(muxd.port(1))]),
  ]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.text, "Connection received\n");
  assert.equal(custom.code, 0, custom.stderr);
  assert.equal(custom.text, "Hi there, café\n");
});

Deno.test("muxd serve writes the ready record given by --ready-file, the same as on stdout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "muxd_ready_" });
  try {
    const path = `${dir}/ready.json`;
    await using muxd = await startMuxd([
      ...serveArgs("tcp://127.0.0.1:0=echo", "udp://127.0.0.1:0=size"),
      "--ready-file",
      path,
    ]);
    assert.equal(await Deno.readTextFile(path), muxd.readyLine + "\n");
    assert.equal(muxd.ready.pid, muxd.child.pid);
    assert.deepEqual(
      muxd.ready.sockets.map((s) => [s.transport, s.address, s.service, s.spec]),
      [
        ["tcp", "127.0.0.1", "echo", "tcp://127.0.0.1:0=echo"],
        ["udp", "127.0.0.1", "size", "udp://127.0.0.1:0=size"],
      ],
    );
    assert.ok(muxd.ready.sockets.every((s) => s.port > 0), "real ports");
    assert.deepEqual(muxd.ready.failed, []);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["ready.json"], "no temporary file left behind");
    const { code } = await muxd.stop();
    assert.equal(code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("muxd serve --log-format json logs JSON lines naming both socket names of a connection", async () => {
  await using muxd = await startMuxd([
    ...serveArgs("tcp://127.0.0.1:0=echo"),
    "--log-format",
    "json",
  ]);
  const port = muxd.port(0);
  const sourcePort = freePort("127.0.0.1");
  const echo = await nc(["-N", "-p", String(sourcePort), "127.0.0.1", String(port)], "json\n");
  assert.equal(echo.text, "json\n", echo.stderr);
  await muxd.waitForStderr('"type":"connection-closed"');
  const { code, stderr } = await muxd.stop();
  assert.equal(code, 0);

  const lines = stderr.split("\n").filter((line) => line !== "");
  const records = lines.map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`not a JSON line on stderr: ${line}`);
    }
  });
  const opened = records.filter((r) => r.properties?.type === "connection-opened");
  assert.equal(opened.length, 1, stderr);
  assert.equal(opened[0].level, "INFO");
  assert.equal(opened[0].message, `tcp 127.0.0.1:${port} <- 127.0.0.1:${sourcePort} -> echo`);
  assert.deepEqual(opened[0].properties.local, { address: "127.0.0.1", port });
  assert.deepEqual(opened[0].properties.remote, { address: "127.0.0.1", port: sourcePort });
  assert.equal(opened[0].properties.transport, "tcp");
  assert.equal(opened[0].properties.service, "echo");

  const closed = records.filter((r) => r.properties?.type === "connection-closed");
  assert.equal(closed.length, 1, stderr);
  assert.equal(closed[0].properties.bytesIn, 5);
  assert.equal(closed[0].properties.bytesOut, 5);
  assert.equal(closed[0].properties.reason, "done");
  assert.equal(records.at(-1).message, "bye");
});

Deno.test("muxd serve keeps serving on listeners whose connections were reset mid-stream", async () => {
  await using muxd = await startMuxd([
    ...serveArgs("tcp://127.0.0.1:0=chargen", "tcp://127.0.0.1:0=echo"),
    "--log-format",
    "json",
  ]);
  const chargenPort = muxd.port(0);
  const echoPort = muxd.port(1);

  // chargen: write, then close with muxd's bytes unread, which resets.
  {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: chargenPort });
    await conn.write(encoder.encode("unwanted\n"));
    await muxd.waitForStderr('"type":"connection-opened"');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // echo: send more than the socket buffers hold without reading, then close.
  {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: echoPort });
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline && sent < 64 * 1024 * 1024) {
      const n = await Promise.race([
        conn.write(chunk),
        new Promise<number>((resolve) => setTimeout(() => resolve(0), 200)),
      ]);
      if (n === 0) break; // the buffers are full: muxd's echo is blocked on us
      sent += n;
    }
  }
  await muxd.waitForStderr(/"type":"connection-closed".*"type":"connection-closed"/s);

  const first = await ncHead(["-d", "127.0.0.1", String(chargenPort)], 74);
  assert.equal(
    decoder.decode(first),
    "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n",
  );
  const echo = await nc(["-N", "127.0.0.1", String(echoPort)], "still here\n");
  assert.equal(echo.text, "still here\n", echo.stderr);

  const { code, stderr } = await muxd.stop();
  assert.equal(code, 0);
  const records = stderr.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  const errors = records.filter((r) => r.properties?.type === "error");
  assert.deepEqual(errors, [], "no error events");
  const closed = records.filter((r) => r.properties?.type === "connection-closed");
  assert.equal(closed.length, 4, stderr);
  const echoReset = closed.find((r) => r.properties.local.port === echoPort);
  assert.equal(echoReset?.properties.reason, "reset", stderr);
});

Deno.test("muxd serve --log-level writes event lines at that level and above only", async () => {
  const lines = async (level: string) => {
    await using muxd = await startMuxd([
      "serve",
      "--log-level",
      level,
      "-l",
      "tcp://127.0.0.1:0=echo",
    ]);
    const port = muxd.port(0);
    const echo = await nc(["-N", "127.0.0.1", String(port)], "hello\n");
    assert.equal(echo.text, "hello\n", echo.stderr);
    const { code, stderr } = await muxd.stop("SIGTERM");
    assert.equal(code, 0, stderr);
    return { port, stderr };
  };
  // debug: the listener's own line too; info: arrivals and closes; warning: neither.
  const debug = await lines("debug");
  assert.match(debug.stderr, new RegExp(`DBG listening tcp 127\\.0\\.0\\.1:${debug.port} -> echo`));
  assert.match(debug.stderr, /INF tcp 127\.0\.0\.1:\d+ <- 127\.0\.0\.1:\d+ -> echo\n/);
  const info = await lines("info");
  assert.doesNotMatch(info.stderr, /DBG /);
  assert.match(info.stderr, new RegExp(`INF tcp 127\\.0\\.0\\.1:${info.port} <- .* -> echo\\n`));
  assert.match(info.stderr, /INF tcp .* closed after \d+ ms: 6 B in, 6 B out\n/);
  const warning = await lines("warning");
  assert.doesNotMatch(warning.stderr, / (DBG|INF) /);
});

Deno.test("muxd serve --log-lines writes that many lines a second about a socket name, then one line on the rest", async () => {
  await using muxd = await startMuxd([
    "serve",
    "--log-lines",
    "3",
    "-l",
    "tcp://127.0.0.1:0=echo",
    "-l",
    "udp://127.0.0.1:0=echo",
  ]);
  const [tcp, udp] = [muxd.port(0), muxd.port(1)];
  for (let i = 0; i < 6; i++) {
    const echo = await nc(["-N", "127.0.0.1", String(tcp)], `hello ${i}\n`);
    assert.equal(echo.text, `hello ${i}\n`, echo.stderr);
  }
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (let i = 0; i < 10; i++) {
      await client.send(new TextEncoder().encode(`ping ${i}`), {
        transport: "udp",
        hostname: "127.0.0.1",
        port: udp,
      });
      const [reply] = await withTimeout(client.receive(), 5000, "the echo");
      assert.equal(new TextDecoder().decode(reply), `ping ${i}`, "every reply, logged or not");
    }
  } finally {
    client.close();
  }
  const { code, stderr } = await muxd.stop("SIGTERM");
  assert.equal(code, 0, stderr);
  // Each line a socket name's budget let through, and the counts of the
  // summary lines: together, every line (a budget lasts 1 s, so a slow
  // machine may see more than one).
  const tally = (transport: string, port: number) => {
    const local = `${transport} 127\\.0\\.0\\.1:${port}`;
    const written = stderr.match(new RegExp(` INF ${local} <- `, "g"))?.length ?? 0;
    const summaries = [
      ...stderr.matchAll(
        new RegExp(
          ` INF ${local} -> echo: (\\d+) lines? not written in the last \\d+\\.\\d s, past 3 a ` +
            `second \\(--log-lines\\): (.*)\\n`,
          "g",
        ),
      ),
    ];
    return { written, held: summaries.reduce((n, m) => n + Number(m[1]), 0), summaries };
  };
  const tcpLines = tally("tcp", tcp);
  assert.equal(tcpLines.written + tcpLines.held, 12, stderr); // opened and closed, 6 each
  assert.ok(tcpLines.summaries.length > 0, stderr);
  assert.match(tcpLines.summaries[0][2], /^(\d+ connections? opened, )?\d+ connections? closed$/);
  const udpLines = tally("udp", udp);
  assert.equal(udpLines.written + udpLines.held, 10, stderr);
  assert.ok(udpLines.summaries.length > 0, stderr);
  assert.match(udpLines.summaries[0][2], /^\d+ datagrams?$/);
});

Deno.test("muxd serve --log-lines says what it held back before its last line, bye", async () => {
  await using muxd = await startMuxd(["serve", "--log-lines", "1", "-l", "udp://127.0.0.1:0=echo"]);
  const port = muxd.port(0);
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    for (let i = 0; i < 3; i++) {
      await client.send(encoder.encode(`ping ${i}`), {
        transport: "udp",
        hostname: "127.0.0.1",
        port,
      });
      const [reply] = await withTimeout(client.receive(), 5000, "the echo");
      assert.equal(decoder.decode(reply), `ping ${i}`);
    }
  } finally {
    client.close();
  }
  // At once, within the budget's second: the shutdown says what it held.
  const { code, stderr } = await muxd.stop("SIGTERM");
  assert.equal(code, 0, stderr);
  const lines = stderr.trimEnd().split("\n");
  const held = lines.findLastIndex((line) =>
    / INF udp 127\.0\.0\.1:\d+ -> echo: \d+ lines? not written /.test(line)
  );
  assert.ok(held >= 0, stderr);
  assert.match(lines.at(-1)!, / INF bye$/, stderr);
});

Deno.test("muxd serve --log-lines holds back a refused client's warnings past it, and says them in one warning", async () => {
  await using muxd = await startMuxd([
    "serve",
    "--log-lines",
    "3",
    "-l",
    "tcp://127.0.0.1:0=echo?allow=192.0.2.0/24",
  ]);
  const port = muxd.port(0);
  for (let i = 0; i < 10; i++) {
    // Refused: muxd closes the connection without a byte.
    const refused = await nc(["-N", "127.0.0.1", String(port)], "hello\n");
    assert.equal(refused.text, "");
  }
  const { code, stderr } = await muxd.stop("SIGTERM");
  assert.equal(code, 0, stderr);
  const local = `tcp 127\\.0\\.0\\.1:${port}`;
  const written = stderr.match(new RegExp(` WRN ${local} <- \\S+ refused \\(denied\\)`, "g"));
  const summaries = [
    ...stderr.matchAll(
      new RegExp(
        ` WRN ${local} -> echo: (\\d+) warnings? not written in the last \\d+\\.\\d s, past 3 a ` +
          `second \\(--log-lines\\): \\d+ connections? refused \\(denied\\)\\n`,
        "g",
      ),
    ),
  ];
  assert.ok(summaries.length > 0, stderr);
  const held = summaries.reduce((n, m) => n + Number(m[1]), 0);
  assert.equal((written?.length ?? 0) + held, 10, stderr);
});
