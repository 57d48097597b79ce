/**
 * Every service, run over real loopback sockets through one harness: a
 * shared table for both transports, then tests specific to each service.
 */

import assert from "node:assert/strict";
import { SERVICE_NAMES, type ServiceName } from "../../lib/services/names.ts";
import type { ServiceContext, Stream } from "../../lib/services/service.ts";
import { getService, SERVICES } from "../../lib/services/registry.ts";
import { chargenLine, chargenLines, chargenUdpLength } from "../../lib/services/chargen.ts";
import { daytimeLine } from "../../lib/services/daytime.ts";
import { DEFAULT_QUOTE, formatQuote } from "../../lib/services/qotd.ts";
import { rfc868Bytes, rfc868Seconds } from "../../lib/services/time.ts";
import { whoamiText } from "../../lib/services/whoami.ts";
import { assertSameBytes, runTcp, runUdp } from "./_harness.ts";
import { randomBytes } from "../_support/random.ts";
import { readExactly, readToEnd, sendAndHalfClose } from "../_support/socket.ts";
import { MAX_READ_BUFFER_SIZE, MIN_READ_BUFFER_SIZE } from "../../lib/services/read_chunks.ts";
import {
  BufferPool,
  LARGE_READ_BUFFER_SIZE,
  MEDIUM_READ_BUFFER_SIZE,
} from "../../lib/services/buffer_pool.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (value: string): Uint8Array => encoder.encode(value);

/** Lines of the example in RFC 864, by line number, without their CR LF. */
const RFC864_EXAMPLE: ReadonlyArray<readonly [number, string]> = [
  [0, "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh"],
  [1, "\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi"],
  [2, "#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghij"],
  [3, "$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijk"],
  [4, "%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijkl"],
  [5, "&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklm"],
  [6, "'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmn"],
  [23, "89:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~ "],
  [24, "9:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~ !"],
  [45, "NOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~ !\"#$%&'()*+,-./0123456"],
];

/** The first six lines of RFC 864's example, with CR LF: how the TCP stream starts. */
const RFC864_FIRST_SIX = text(
  RFC864_EXAMPLE.slice(0, 6).map(([, line]) => `${line}\r\n`).join(""),
);

/** The first seven lines, 518 bytes: more than the longest UDP reply, 512. */
const RFC864_FIRST_SEVEN = text(
  RFC864_EXAMPLE.slice(0, 7).map(([, line]) => `${line}\r\n`).join(""),
);

/** `127.0.0.1:7007` or `[::1]:7007`, written out independently of whoami.ts. */
function nameOf(addr: { address: string; port: number }): string {
  return addr.address.includes(":")
    ? `[${addr.address}]:${addr.port}`
    : `${addr.address}:${addr.port}`;
}

// ---------------------------------------------------------------------------
// One table, every service, both transports.

/** How one service answers, written out independently of its implementation. */
interface Case {
  /** The spec's options. @default {{}} */
  readonly options?: Readonly<Record<string, string>>;
  /** What the client sends: the TCP bytes before its half-close, or the datagram. */
  readonly request: Uint8Array;
  /** The whole TCP reply, or for an endless stream the bytes it starts with. */
  readonly tcp:
    | { readonly kind: "exact"; readonly reply: (ctx: ServiceContext) => Uint8Array }
    | { readonly kind: "endless"; readonly startsWith: Uint8Array };
  /** The UDP reply (`null`: no reply), or `absent` for a TCP-only service. */
  readonly udp:
    | { readonly kind: "absent" }
    | { readonly kind: "reply"; readonly reply: (ctx: ServiceContext) => Uint8Array | null };
}

const whoamiExpected = (ctx: ServiceContext): Uint8Array =>
  text(
    `transport: ${ctx.transport}\nlocal: ${nameOf(ctx.local!)}\nremote: ${nameOf(ctx.remote)}\n` +
      `listener: ${ctx.transport}://${nameOf(ctx.bound)}=whoami\nservice: whoami\n` +
      `process: ${Deno.pid}\n`,
  );

/** Python that copies its standard input to its standard output. */
const ECHO_PROGRAM = "import shutil, sys; shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)";

/** Replies that depend on the clock are for the harness's FIXED_NOW, 2001-09-09T01:46:40Z. */
const CASES: Record<Exclude<ServiceName, "forward">, Case> = {
  echo: {
    request: text("hello, echo\r\n"),
    tcp: { kind: "exact", reply: () => text("hello, echo\r\n") },
    udp: { kind: "reply", reply: () => text("hello, echo\r\n") },
  },
  discard: {
    request: text("into the void"),
    tcp: { kind: "exact", reply: () => new Uint8Array(0) },
    udp: { kind: "reply", reply: () => null },
  },
  chargen: {
    request: text("ignored"),
    tcp: { kind: "endless", startsWith: RFC864_FIRST_SIX },
    // The harness's client, at the pinned clock, gets the count for its socket name.
    udp: {
      kind: "reply",
      reply: (ctx) => RFC864_FIRST_SEVEN.subarray(0, chargenUdpLength(ctx.remote, ctx.now())),
    },
  },
  qotd: {
    request: new Uint8Array(0),
    tcp: { kind: "exact", reply: () => text(`${DEFAULT_QUOTE}\r\n`) },
    udp: { kind: "reply", reply: () => text(`${DEFAULT_QUOTE}\r\n`) },
  },
  daytime: {
    request: new Uint8Array(0),
    tcp: { kind: "exact", reply: () => text("Sunday, September 9, 2001 01:46:40-UTC\r\n") },
    udp: { kind: "reply", reply: () => text("Sunday, September 9, 2001 01:46:40-UTC\r\n") },
  },
  time: {
    request: new Uint8Array(0),
    // 1,000,000,000 + 2,208,988,800 = 3,208,988,800 = 0xBF454880
    tcp: { kind: "exact", reply: () => new Uint8Array([0xbf, 0x45, 0x48, 0x80]) },
    udp: { kind: "reply", reply: () => new Uint8Array([0xbf, 0x45, 0x48, 0x80]) },
  },
  whoami: {
    request: new Uint8Array(0),
    tcp: { kind: "exact", reply: whoamiExpected },
    udp: { kind: "reply", reply: whoamiExpected },
  },
  size: {
    request: text("hello"),
    tcp: { kind: "exact", reply: () => text("Your data was 5 bytes long") },
    udp: { kind: "reply", reply: () => text("Your data was 5 bytes long") },
  },
  banner: {
    request: new Uint8Array(0),
    tcp: { kind: "exact", reply: () => text("Connection received\n") },
    udp: { kind: "absent" },
  },
  exec: {
    // A program that copies its standard input to its standard output.
    options: { run: JSON.stringify(["python3", "-c", ECHO_PROGRAM]) },
    request: text("hello, exec\r\n"),
    tcp: { kind: "exact", reply: () => text("hello, exec\r\n") },
    udp: { kind: "reply", reply: () => text("hello, exec\r\n") },
  },
};

// forward answers with its upstream's words, not its own: it has its own
// tests, against real upstreams, in forward_test.ts.
for (const name of SERVICE_NAMES.filter((n) => n !== "forward")) {
  const service = getService(name);
  const { request, tcp, udp, options } = CASES[name];

  Deno.test(`${name} service answers one TCP connection as the table says`, async () => {
    if (tcp.kind === "exact") {
      const { result, ctx } = await runTcp(service, async (client) => {
        await sendAndHalfClose(client, request);
        return await readToEnd(client);
      }, { options });
      assert.deepEqual(result, tcp.reply(ctx));
    } else {
      const { result } = await runTcp(service, async (client) => {
        await sendAndHalfClose(client, request);
        return await readExactly(client, tcp.startsWith.length);
      });
      assert.deepEqual(result, tcp.startsWith);
    }
  });

  if (udp.kind === "absent") {
    Deno.test(`${name} service has no udp member`, () => {
      assert.equal(service.udp, undefined);
    });
    continue;
  }

  Deno.test(`${name} service answers each of 3 datagrams with at most one, from the server's socket name`, async () => {
    const exchanges = await runUdp(service, [request, request, request], { options });
    assert.equal(exchanges.length, 3);
    for (const { replies, senders, server, ctx } of exchanges) {
      const expected = udp.reply(ctx);
      assert.deepEqual(replies, expected === null ? [] : [expected]);
      for (const sender of senders) {
        assert.equal(sender.hostname, server.hostname);
        assert.equal(sender.port, server.port);
      }
    }
  });
}

// ---------------------------------------------------------------------------
// The registry.

Deno.test("SERVICES holds every name of SERVICE_NAMES, in order, each under its own name", () => {
  assert.deepEqual(Object.keys(SERVICES), [...SERVICE_NAMES]);
  for (const name of SERVICE_NAMES) {
    assert.equal(SERVICES[name].name, name);
    assert.equal(getService(name), SERVICES[name]);
    assert.equal(typeof SERVICES[name].tcp, "function", `${name} has no tcp member`);
  }
});

Deno.test("SERVICES names the RFC of each classic service and none for muxd's own", () => {
  const rfcs = Object.fromEntries(SERVICE_NAMES.map((name) => [name, SERVICES[name].rfc]));
  assert.deepEqual(rfcs, {
    echo: 862,
    discard: 863,
    chargen: 864,
    qotd: 865,
    daytime: 867,
    time: 868,
    whoami: null,
    size: null,
    banner: null,
    exec: null,
    forward: null,
  });
});

// ---------------------------------------------------------------------------
// echo

Deno.test("echo service returns every byte of a 1 MiB stream", async () => {
  const sent = randomBytes(1024 * 1024);
  const { result } = await runTcp(SERVICES.echo, async (client) => {
    const [, received] = await Promise.all([
      sendAndHalfClose(client, sent),
      readToEnd(client),
    ]);
    return received;
  });
  assertSameBytes(result, sent);
});

Deno.test("echo service finishes partial writes", async () => {
  const sent = randomBytes(256 * 1024);
  const writeSizes: number[] = [];
  const { result } = await runTcp(SERVICES.echo, async (client) => {
    const [, received] = await Promise.all([
      sendAndHalfClose(client, sent),
      readToEnd(client),
    ]);
    return received;
  }, {
    // Accept at most 1000 bytes per write, as a busy socket may.
    wrap: (conn): Stream => ({
      read: (p) => conn.read(p),
      write: (p) => {
        writeSizes.push(p.length);
        return conn.write(p.subarray(0, 1000));
      },
      closeWrite: () => conn.closeWrite(),
    }),
  });
  assertSameBytes(result, sent);
  assert.ok(writeSizes.some((size) => size > 1000), "no write was ever cut short");
});

Deno.test("echo service fails with WriteZero, not a busy loop, when a write accepts no byte", async () => {
  let writes = 0;
  await assert.rejects(
    runTcp(SERVICES.echo, (client) => sendAndHalfClose(client, text("stuck")), {
      wrap: (conn): Stream => ({
        read: (p) => conn.read(p),
        write: () => {
          // Fail loudly rather than spin forever if echo retries a write that accepted nothing.
          if (++writes > 10) return Promise.reject(new Error("echo kept retrying a stuck write"));
          return Promise.resolve(0);
        },
        closeWrite: () => conn.closeWrite(),
      }),
    }),
    Deno.errors.WriteZero,
  );
  assert.equal(writes, 1);
});

/** What {@linkcode recordReads} saw: each read's buffer size, waiting reads, bytes read. */
interface Reads {
  readonly sizes: number[];
  readonly waiting: Set<number>;
  bytes: number;
}

/** A stream that records the size of every read, which reads are still waiting, and the bytes. */
function recordReads(conn: Deno.Conn, reads: Reads): Stream {
  return {
    read: async (p) => {
      reads.sizes.push(p.length);
      reads.waiting.add(p.length);
      try {
        const n = await conn.read(p);
        reads.bytes += n ?? 0;
        return n;
      } finally {
        reads.waiting.delete(p.length);
      }
    },
    write: (p) => conn.write(p),
    closeWrite: () => conn.closeWrite(),
  };
}

Deno.test("echo service reads 1,023 bytes at a time when quiet, then 16 KiB, then 256 KiB at a time under load", async () => {
  const reads: Reads = { sizes: [], waiting: new Set(), bytes: 0 };
  const { sizes } = reads;
  await runTcp(SERVICES.echo, async (client) => {
    await Promise.all([sendAndHalfClose(client, randomBytes(4 * 1024 * 1024)), readToEnd(client)]);
  }, { wrap: (conn) => recordReads(conn, reads) });
  assert.equal(sizes[0], MIN_READ_BUFFER_SIZE);
  assert.equal(MIN_READ_BUFFER_SIZE, 1023);
  assert.equal(MAX_READ_BUFFER_SIZE, 256 * 1024);
  assert.ok(sizes.includes(MAX_READ_BUFFER_SIZE), "4 MiB never took a 256 KiB buffer");
  assert.deepEqual(
    new Set(sizes),
    new Set([MIN_READ_BUFFER_SIZE, MEDIUM_READ_BUFFER_SIZE, LARGE_READ_BUFFER_SIZE]),
  );
});

for (const service of ["echo", "discard"] as const) {
  Deno.test(`${service} service waits with its own 1,023 bytes, not 256 KiB, once a burst is over`, async () => {
    const reads: Reads = { sizes: [], waiting: new Set(), bytes: 0 };
    await runTcp(SERVICES[service], async (client) => {
      // A burst of 2 MiB, read back (echo), then the client goes quiet.
      const burst = randomBytes(2 * 1024 * 1024);
      const reading = service === "echo" ? readExactly(client, burst.length) : Promise.resolve();
      for (let at = 0; at < burst.length;) at += await client.write(burst.subarray(at));
      await reading;
      // Once the service has read the whole burst, its next read waits: with what?
      while (reads.bytes < burst.length || reads.waiting.size === 0) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.deepEqual([...reads.waiting], [MIN_READ_BUFFER_SIZE]);
      await client.closeWrite();
      await readToEnd(client);
    }, { wrap: (conn) => recordReads(conn, reads) });
    assert.ok(reads.sizes.includes(MAX_READ_BUFFER_SIZE), "the burst never took a 256 KiB buffer");
  });
}

/** The most each size of message leaves a connection waiting with, once echoed. */
const WAITS: readonly [bytes: number, most: number][] = [
  [1000, MIN_READ_BUFFER_SIZE],
  [1023, MEDIUM_READ_BUFFER_SIZE], // fills its own exactly: the next read is one size up
  [1024, MIN_READ_BUFFER_SIZE],
  [2048, MIN_READ_BUFFER_SIZE],
  [16 * 1024, MIN_READ_BUFFER_SIZE],
  [64 * 1024, MIN_READ_BUFFER_SIZE],
];

Deno.test("echo service waits with at most 16 KiB after a message of any round size", async () => {
  const reads: Reads = { sizes: [], waiting: new Set(), bytes: 0 };
  await runTcp(SERVICES.echo, async (client) => {
    let sent = 0;
    for (const [bytes, most] of WAITS) {
      const message = randomBytes(bytes);
      for (let at = 0; at < bytes;) at += await client.write(message.subarray(at));
      await readExactly(client, bytes);
      sent += bytes;
      while (reads.bytes < sent || reads.waiting.size === 0) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const waiting = Math.max(...reads.waiting);
      assert.ok(waiting <= most, `after ${bytes} bytes, waiting in ${waiting} bytes`);
    }
    await client.closeWrite();
    await readToEnd(client);
  }, { wrap: (conn) => recordReads(conn, reads) });
});

Deno.test("BufferPool lends the same buffers again, and keeps a bounded number of spares", () => {
  const pool = new BufferPool();
  const first = pool.take(LARGE_READ_BUFFER_SIZE);
  assert.equal(first.length, LARGE_READ_BUFFER_SIZE);
  pool.give(first);
  assert.equal(pool.take(LARGE_READ_BUFFER_SIZE), first);
  const medium = pool.take(MEDIUM_READ_BUFFER_SIZE);
  assert.equal(medium.length, MEDIUM_READ_BUFFER_SIZE);
  const many = Array.from({ length: 100 }, () => pool.take(LARGE_READ_BUFFER_SIZE));
  for (const buffer of many) pool.give(buffer);
  pool.give(medium);
  assert.equal(pool.spares(LARGE_READ_BUFFER_SIZE), 64);
  assert.equal(pool.spares(MEDIUM_READ_BUFFER_SIZE), 1);
});

Deno.test("echo service replies to an empty datagram with an empty datagram", async () => {
  const [exchange] = await runUdp(SERVICES.echo, [new Uint8Array(0)]);
  assert.deepEqual(exchange.replies, [new Uint8Array(0)]);
});

// ---------------------------------------------------------------------------
// discard

Deno.test("discard service reads 1 MiB and sends nothing back", async () => {
  const { result } = await runTcp(SERVICES.discard, async (client) => {
    await sendAndHalfClose(client, randomBytes(1024 * 1024));
    return await readToEnd(client);
  });
  assert.equal(result.length, 0);
});

// ---------------------------------------------------------------------------
// chargen

Deno.test("chargenLine() matches the example lines of RFC 864", () => {
  for (const [index, line] of RFC864_EXAMPLE) {
    assert.equal(line.length, 72, `the test's copy of line ${index} is not 72 characters`);
    assert.equal(decoder.decode(chargenLine(index)), `${line}\r\n`, `line ${index}`);
  }
});

Deno.test("chargenLine() repeats every 95 lines and uses all 95 printable characters", () => {
  assert.deepEqual(chargenLine(95), chargenLine(0));
  assert.deepEqual(chargenLine(95 * 7 + 23), chargenLine(23));
  const seen = new Set<number>();
  for (let i = 0; i < 95; i++) chargenLine(i).subarray(0, 72).forEach((byte) => seen.add(byte));
  assert.equal(seen.size, 95);
  assert.equal(Math.min(...seen), 0x20);
  assert.equal(Math.max(...seen), 0x7e);
});

Deno.test("chargenLine() rejects a negative or fractional index with a RangeError", () => {
  assert.throws(() => chargenLine(-1), RangeError);
  assert.throws(() => chargenLine(1.5), RangeError);
  assert.throws(() => chargenLines(-1, 0), RangeError);
});

Deno.test("chargenUdpLength() spreads over 0 to 512, one count per client socket name and second", () => {
  const second = new Date("2001-09-09T01:46:40.000Z");
  const client = (port: number) => ({ address: "127.0.0.1", port });
  const counts = new Array<number>(513).fill(0);
  for (let port = 32768; port < 32768 + 51_300; port++) {
    const length = chargenUdpLength(client(port), second);
    assert.ok(Number.isInteger(length) && length >= 0 && length <= 512, `${length}`);
    counts[length]++;
  }
  // 100 per count on average: each count comes up, none more than twice as often.
  assert.ok(
    counts.every((n) => n > 0 && n < 200),
    `counts from ${Math.min(...counts)} to ${Math.max(...counts)}`,
  );
  // Within one second a client gets one count; the next second another, mostly.
  assert.equal(
    chargenUdpLength(client(40000), new Date(second.getTime() + 999)),
    chargenUdpLength(client(40000), second),
  );
  const changed = Array.from(
    { length: 100 },
    (_, s) => chargenUdpLength(client(40000), new Date(second.getTime() + s * 1000)),
  )
    .filter((n, s, all) => s > 0 && n !== all[s - 1]).length;
  assert.ok(changed >= 95, `${changed} of 99 seconds changed the count`);
  assert.notEqual(
    chargenUdpLength({ address: "::1", port: 40000 }, second),
    chargenUdpLength({ address: "127.0.0.1", port: 40000 }, second),
  );
});

Deno.test("chargen service answers each UDP datagram with the pattern's first chargenUdpLength() characters, whatever it holds", async () => {
  for (const at of ["2001-09-09T01:46:40Z", "2001-09-09T01:46:41Z", "2030-01-01T00:00:00Z"]) {
    const now = new Date(at);
    const exchanges = await runUdp(
      SERVICES.chargen,
      [new Uint8Array(0), text("x"), randomBytes(1000)],
      { now },
    );
    for (const { replies, ctx } of exchanges) {
      const length = chargenUdpLength(ctx.remote, now);
      assert.deepEqual(replies, [RFC864_FIRST_SEVEN.subarray(0, length)], `at ${at}`);
    }
  }
});

Deno.test("chargen service streams the RFC pattern line after line across writes", async () => {
  const lineCount = 95 * 10 + 17; // more than one 9-cycle write
  const { result } = await runTcp(
    SERVICES.chargen,
    (client) => readExactly(client, lineCount * 74),
  );
  for (let i = 0; i < lineCount; i++) {
    const line = result.subarray(i * 74, (i + 1) * 74);
    assert.deepEqual(line, chargenLine(i % 95), `line ${i}`);
  }
});

Deno.test("chargen service returns normally when the client closes mid-stream", async () => {
  // runTcp fails if the service throws; closing mid-stream must not be an error.
  const { result } = await runTcp(SERVICES.chargen, (client) => readExactly(client, 100_000));
  assert.equal(result.length, 100_000);
});

Deno.test("chargen service keeps sending while it drops 32 MiB the client sends", async () => {
  // Without a reader on the service side, 32 MiB overflows the socket buffers
  // and the client's write never finishes: the run then times out.
  const chunk = randomBytes(64 * 1024);
  const { result } = await runTcp(SERVICES.chargen, async (client) => {
    const writing = (async () => {
      for (let i = 0; i < 512; i++) {
        let written = 0;
        while (written < chunk.length) written += await client.write(chunk.subarray(written));
      }
    })();
    const [, head] = await Promise.all([writing, readExactly(client, 74 * 95)]);
    return head;
  }, { timeoutMs: 10_000 });
  assert.deepEqual(result, chargenLines(0, 95));
});

Deno.test("chargen service keeps sending after the client half-closes", async () => {
  const { result } = await runTcp(SERVICES.chargen, async (client) => {
    await client.closeWrite();
    return await readExactly(client, 74 * 95 * 20);
  });
  assert.equal(result.length, 74 * 95 * 20);
});

Deno.test("chargen service stops when ctx.signal aborts", async () => {
  const controller = new AbortController();
  const { result } = await runTcp(SERVICES.chargen, async (client) => {
    await readExactly(client, 10_000);
    controller.abort();
    // The service returns, the harness closes its side: the stream ends.
    return (await readToEnd(client)).length;
  }, { signal: controller.signal, timeoutMs: 3000 });
  assert.ok(result < 10 * 1024 * 1024, `${result} bytes arrived after the abort`);
});

// ---------------------------------------------------------------------------
// qotd

Deno.test("formatQuote() turns any line ending into CR LF and ends with CR LF", () => {
  assert.equal(
    decoder.decode(formatQuote("one\ntwo\rthree\r\nfour")),
    "one\r\ntwo\r\nthree\r\nfour\r\n",
  );
  assert.equal(decoder.decode(formatQuote("done\n")), "done\r\n");
});

Deno.test("formatQuote() rejects non-ASCII text and quotes of 512 characters or more", () => {
  assert.throws(() => formatQuote("café"), RangeError);
  assert.throws(() => formatQuote("tab\there"), RangeError);
  assert.equal(formatQuote("x".repeat(509)).length, 511);
  assert.throws(() => formatQuote("x".repeat(510)), RangeError);
});

Deno.test("DEFAULT_QUOTE is printable ASCII and fits RFC 865 with its CR LF", () => {
  assert.match(DEFAULT_QUOTE, /^[\x20-\x7e]+$/);
  assert.ok(DEFAULT_QUOTE.length + 2 < 512);
});

Deno.test("qotd service sends the quote option over TCP and UDP", async () => {
  const options = { quote: "Hello\nfrom muxd" };
  const { result } = await runTcp(SERVICES.qotd, (client) => readToEnd(client), { options });
  assert.equal(decoder.decode(result), "Hello\r\nfrom muxd\r\n");
  const [exchange] = await runUdp(SERVICES.qotd, [text("?")], { options });
  assert.deepEqual(exchange.replies.map((reply) => decoder.decode(reply)), [
    "Hello\r\nfrom muxd\r\n",
  ]);
});

// ---------------------------------------------------------------------------
// daytime

Deno.test("daytimeLine() writes weekday, month, day, year and padded UTC time", () => {
  assert.equal(
    daytimeLine(new Date("2026-11-22T15:04:05Z")),
    "Sunday, November 22, 2026 15:04:05-UTC\r\n",
  );
  assert.equal(
    daytimeLine(new Date("2024-01-01T00:00:05Z")),
    "Monday, January 1, 2024 00:00:05-UTC\r\n",
  );
  // 23:30 on the 31st in UTC-5 is already the 1st in UTC.
  assert.equal(
    daytimeLine(new Date("1999-12-31T23:30:00-05:00")),
    "Saturday, January 1, 2000 04:30:00-UTC\r\n",
  );
  assert.throws(() => daytimeLine(new Date(Number.NaN)), RangeError);
});

Deno.test("daytime service tells the time from ctx.now()", async () => {
  const now = new Date("1983-05-01T12:34:56Z");
  const { result } = await runTcp(SERVICES.daytime, (client) => readToEnd(client), { now });
  assert.equal(decoder.decode(result), "Sunday, May 1, 1983 12:34:56-UTC\r\n");
  const [exchange] = await runUdp(SERVICES.daytime, [new Uint8Array(0)], { now });
  assert.equal(decoder.decode(exchange.replies[0]), "Sunday, May 1, 1983 12:34:56-UTC\r\n");
});

// ---------------------------------------------------------------------------
// time

Deno.test("rfc868Seconds() matches the examples of RFC 868", () => {
  assert.equal(rfc868Seconds(new Date("1900-01-01T00:00:00Z")), 0);
  assert.equal(rfc868Seconds(new Date("1970-01-01T00:00:00Z")), 2_208_988_800);
  assert.equal(rfc868Seconds(new Date("1976-01-01T00:00:00Z")), 2_398_291_200);
  assert.equal(rfc868Seconds(new Date("1980-01-01T00:00:00Z")), 2_524_521_600);
  assert.equal(rfc868Seconds(new Date("1983-05-01T00:00:00Z")), 2_629_584_000);
});

Deno.test("rfc868Seconds() drops milliseconds, wraps in 2036 and rejects dates before 1900", () => {
  assert.equal(rfc868Seconds(new Date("1970-01-01T00:00:00.999Z")), 2_208_988_800);
  assert.equal(rfc868Seconds(new Date("2036-02-07T06:28:15Z")), 2 ** 32 - 1);
  assert.equal(rfc868Seconds(new Date("2036-02-07T06:28:16Z")), 0);
  assert.throws(() => rfc868Seconds(new Date("1899-12-31T23:59:59Z")), RangeError);
  assert.throws(() => rfc868Seconds(new Date(Number.NaN)), RangeError);
});

Deno.test("time service sends ctx.now() as 4 big-endian bytes over TCP and UDP", async () => {
  const now = new Date("2026-11-22T15:04:05Z");
  const expected = Math.floor(now.getTime() / 1000) + 2_208_988_800;
  const { result } = await runTcp(SERVICES.time, (client) => readToEnd(client), { now });
  assert.equal(result.length, 4);
  assert.equal(new DataView(result.buffer, result.byteOffset).getUint32(0, false), expected);
  const [exchange] = await runUdp(SERVICES.time, [new Uint8Array(0)], { now });
  assert.deepEqual(exchange.replies, [rfc868Bytes(now)]);
  assert.equal(new DataView(exchange.replies[0].buffer).getUint32(0, false), expected);
});

// ---------------------------------------------------------------------------
// whoami

Deno.test("whoami service names both ends of a TCP connection as the client sees them", async () => {
  const { result } = await runTcp(SERVICES.whoami, async (client) => ({
    reply: decoder.decode(await readToEnd(client)),
    clientName: `127.0.0.1:${client.localAddr.port}`,
    serverName: `127.0.0.1:${client.remoteAddr.port}`,
  }));
  assert.equal(
    result.reply,
    "transport: tcp\n" +
      `local: ${result.serverName}\n` +
      `remote: ${result.clientName}\n` +
      `listener: tcp://${result.serverName}=whoami\n` +
      "service: whoami\n" +
      `process: ${Deno.pid}\n`,
  );
});

Deno.test("whoami service brackets IPv6 socket names", async () => {
  const { result } = await runTcp(SERVICES.whoami, async (client) => ({
    lines: decoder.decode(await readToEnd(client)).split("\n"),
    client: client.localAddr.port,
    server: client.remoteAddr.port,
  }), { hostname: "::1" });
  assert.deepEqual(result.lines.slice(1, 4), [
    `local: [::1]:${result.server}`,
    `remote: [::1]:${result.client}`,
    `listener: tcp://[::1]:${result.server}=whoami`,
  ]);
});

Deno.test("whoami names the socket option of the wildcard's own family: IPV6_PKTINFO on [::]", () => {
  const text = whoamiText({
    transport: "udp",
    local: null,
    bound: { address: "::", port: 7351 },
    remote: { address: "::1", port: 40000 },
    listener: "udp://[::]:7351=whoami?wildcard=kernel",
    service: "whoami",
  }, 42);
  assert.match(
    text,
    /^local: unknown \(UDP socket bound to the wildcard \[::\]:7351: .*\(IPV6_PKTINFO\)/m,
  );
});

Deno.test("whoami service says the local name is unknown on a wildcard UDP socket, and why", async () => {
  const [exchange] = await runUdp(SERVICES.whoami, [text("who?")], { wildcard: true });
  const port = exchange.server.port;
  assert.equal(
    decoder.decode(exchange.replies[0]),
    "transport: udp\n" +
      `local: unknown (UDP socket bound to the wildcard 0.0.0.0:${port}: the kernel can tell ` +
      "a program which address a datagram was sent to (IP_PKTINFO), but Deno does not expose " +
      "it; the reply leaves from an address the kernel picks)\n" +
      `remote: ${nameOf(exchange.ctx.remote)}\n` +
      `listener: udp://0.0.0.0:${port}=whoami\n` +
      "service: whoami\n" +
      `process: ${Deno.pid}\n`,
  );
  assert.equal(exchange.senders[0].hostname, "127.0.0.1");
  assert.equal(exchange.senders[0].port, port);
});

Deno.test("whoamiText() writes exactly six lines, each ending with a newline, the last naming the process", () => {
  const lines = whoamiText({
    transport: "udp",
    local: { address: "127.0.0.2", port: 7007 },
    bound: { address: "127.0.0.2", port: 7007 },
    remote: { address: "127.0.0.1", port: 51234 },
    listener: "udp://127.0.0.2:7007=whoami",
    service: "whoami",
  }, 12345);
  assert.equal(
    lines,
    "transport: udp\nlocal: 127.0.0.2:7007\nremote: 127.0.0.1:51234\n" +
      "listener: udp://127.0.0.2:7007=whoami\nservice: whoami\nprocess: 12345\n",
  );
});

// ---------------------------------------------------------------------------
// size

Deno.test("size service counts 300,000 bytes sent over TCP until the half-close", async () => {
  const { result } = await runTcp(SERVICES.size, async (client) => {
    await sendAndHalfClose(client, randomBytes(300_000));
    return decoder.decode(await readToEnd(client));
  });
  assert.equal(result, "Your data was 300000 bytes long");
});

Deno.test("size service counts each datagram, the empty one too", async () => {
  const exchanges = await runUdp(SERVICES.size, [
    new Uint8Array(0),
    new Uint8Array(1),
    randomBytes(1200),
  ]);
  assert.deepEqual(exchanges.map(({ replies }) => replies.map((reply) => decoder.decode(reply))), [
    ["Your data was 0 bytes long"],
    ["Your data was 1 bytes long"],
    ["Your data was 1200 bytes long"],
  ]);
});

// ---------------------------------------------------------------------------
// banner

Deno.test("banner service sends the text option and a newline", async () => {
  const { result } = await runTcp(SERVICES.banner, (client) => readToEnd(client), {
    options: { text: "Welcome to muxd" },
  });
  assert.equal(decoder.decode(result), "Welcome to muxd\n");
});
