/**
 * Hostile input does not break a listener: every TCP service gets random
 * binary garbage, a 1 MiB line (no newline until the very end) and a
 * connection reset in the middle of a large write (closing with unread data
 * pending makes the kernel send RST); every UDP service gets random garbage
 * datagrams, from empty to the largest IPv4 payload. Checks that afterwards
 * every listener still answers the real netcat correctly, that echo and size
 * got the 1 MiB line byte for byte, and that muxd logged no error event and
 * no connection closed "after an error".
 */

import assert from "node:assert/strict";
import { eventsOf, logEvents, logRecords } from "../_support/log.ts";
import { serveJson, startMuxd } from "../_support/process.ts";
import { randomBytes } from "../_support/random.ts";
import { closeQuietly } from "../_support/socket.ts";
import { sleep } from "../_support/wait.ts";
import { nc, ncHead } from "../_support/netcat.ts";
import { SERVICE_NAMES, type ServiceName } from "../../lib/spec/mod.ts";
import { SERVICES } from "../../lib/services/registry.ts";

const MiB = 1024 * 1024;
const GARBAGE_DATAGRAMS = 100;
const MAX_UDP_PAYLOAD = 65_507;
/** A conversation that is not over by then has hung. */
const CONVERSATION_CAP_MS = 10_000;

// exec needs a program to run (run=); hostile input through it is tested in
// tests/integration/exec_test.ts. forward answers with its upstream's words:
// tests/integration/forward_tcp_test.ts and forward_udp_test.ts have its garbage.
type Own = Exclude<ServiceName, "exec" | "forward">;
const OWN = SERVICE_NAMES.filter((s): s is Own => s !== "exec" && s !== "forward");
const TCP_SERVICES = OWN.filter((s) => SERVICES[s].tcp);
const UDP_SERVICES = OWN.filter((s) => SERVICES[s].udp);

/** One character per byte, so that time's 4 binary bytes are 4 characters. */
const latin1 = new TextDecoder("latin1");

/** What netcat must print for each service afterwards, given "hello\n" where it reads input. */
const ANSWERS = {
  echo: { tcp: /^hello\n$/, udp: /^hello\n$/ },
  discard: { tcp: /^$/, udp: /^$/ },
  chargen: {
    tcp:
      /^!"#\$%&'\(\)\*\+,-\.\/0123456789:;<=>\?@ABCDEFGHIJKLMNOPQRSTUVWXYZ\[\\\]\^_`abcdefgh\r\n$/,
    // 0 to 512 characters of the pattern: printable ASCII, CR and LF.
    udp: /^[ -~\r\n]{0,512}$/,
  },
  qotd: { tcp: /\S[^]*\r\n$/, udp: /\S[^]*\r\n$/ },
  daytime: { tcp: /\d\d:\d\d:\d\d/, udp: /\d\d:\d\d:\d\d/ },
  time: { tcp: /^[^]{4}$/, udp: /^[^]{4}$/ },
  whoami: { tcp: /^service: whoami$/m, udp: /^service: whoami$/m },
  size: { tcp: /^Your data was 6 bytes long$/, udp: /^Your data was 6 bytes long$/ },
  banner: { tcp: /^Connection received\n$/, udp: null },
} as const satisfies Record<Own, { tcp: RegExp | null; udp: RegExp | null }>;

/** What the client of one hostile conversation saw. */
interface Seen {
  readonly received: number;
  readonly head: Uint8Array;
}

/**
 * One TCP conversation: `send` writes while the reply is read (so echo
 * cannot deadlock on full buffers), up to `readLimit` bytes (chargen never
 * ends by itself). The peer closing first, or resetting, is fine.
 */
async function converse(
  port: number,
  send: (conn: Deno.TcpConn) => Promise<void>,
  readLimit: number,
): Promise<Seen> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let received = 0;
  const head = new Uint8Array(64);
  const reading = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    while (received < readLimit) {
      const n = await conn.read(buffer);
      if (n === null) return;
      if (received < head.length) {
        head.set(buffer.subarray(0, Math.min(n, head.length - received)), received);
      }
      received += n;
    }
  })();
  const writing = send(conn);
  const timer = setTimeout(() => conn.close(), CONVERSATION_CAP_MS);
  try {
    const results = await Promise.allSettled([writing, reading]);
    for (const r of results) if (r.status === "rejected") assertPeerGone(r.reason);
  } finally {
    clearTimeout(timer);
    // It may be closed already, by the cap; the results show that.
    closeQuietly(conn);
  }
  return { received, head: head.subarray(0, Math.min(received, head.length)) };
}

/** Client-side errors that only mean the server closed or reset first. */
function assertPeerGone(error: unknown): void {
  if (
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.NotConnected
  ) return;
  throw error;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** Random bytes, then half-close. */
async function garbage(port: number): Promise<Seen> {
  return await converse(port, async (conn) => {
    await writeAll(conn, randomBytes(256 * 1024));
    await conn.closeWrite();
  }, 4 * MiB);
}

/** 1 MiB without a newline, then "\n", then half-close. */
async function longLine(port: number): Promise<Seen> {
  const line = new Uint8Array(MiB).fill(0x41);
  return await converse(port, async (conn) => {
    await writeAll(conn, line);
    await writeAll(conn, new Uint8Array([0x0a]));
    await conn.closeWrite();
  }, 4 * MiB);
}

/** Half of a 32 MiB payload: more than loopback buffers hold, so echo blocks writing. */
const HALF_PAYLOAD = new Uint8Array(16 * MiB).fill(0x5a);

/**
 * Writes half of a large payload without reading, for as long as the
 * service takes it, then closes: with the service's answer unread, the
 * kernel resets the connection, under echo's pending write.
 */
async function resetMidWrite(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const writing = writeAll(conn, HALF_PAYLOAD).catch(assertPeerGone);
  await Promise.race([writing, sleep(300)]);
  conn.close();
  await writing.catch((error) => {
    // The close interrupts a write still pending.
    if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
      throw error;
    }
  });
}

/** Garbage datagrams of every size, from a socket that never reads the replies. */
async function garbageDatagrams(port: number): Promise<void> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const target: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  try {
    const sizes = [0, 1, MAX_UDP_PAYLOAD, 512, 1472, 65_000];
    while (sizes.length < GARBAGE_DATAGRAMS) sizes.push(Math.floor(Math.random() * 9000));
    for (const size of sizes) {
      await socket.send(randomBytes(size), target);
      await sleep(0);
    }
  } finally {
    socket.close();
  }
}

Deno.test("muxd serve survives garbage, a 1 MiB line and resets on every service, and still answers netcat", async () => {
  await using muxd = await startMuxd(serveJson(
    ...TCP_SERVICES.map((s) => `tcp://127.0.0.1:0=${s}`),
    ...UDP_SERVICES.map((s) => `udp://127.0.0.1:0=${s}`),
  ));
  const port = (transport: "tcp" | "udp", service: ServiceName) =>
    muxd.ready.sockets.find((s) => s.transport === transport && s.service === service)!.port;

  const lines = new Map<ServiceName, Seen>();
  await Promise.all([
    ...TCP_SERVICES.map(async (service) => {
      const p = port("tcp", service);
      await garbage(p);
      lines.set(service, await longLine(p));
      await resetMidWrite(p);
      await garbage(p);
    }),
    ...UDP_SERVICES.map((service) => garbageDatagrams(port("udp", service))),
  ]);

  // The 1 MiB line went through whole where a service reads all of it.
  assert.equal(lines.get("echo")?.received, MiB + 1, "echo's answer to the 1 MiB line");
  assert.equal(
    new TextDecoder().decode(lines.get("size")?.head),
    `Your data was ${MiB + 1} bytes long`,
  );

  // Every listener still answers netcat as the README shows.
  const answers = await Promise.all([
    ...TCP_SERVICES.map(async (service) => {
      const p = `${port("tcp", service)}`;
      const out = service === "chargen"
        ? await ncHead(["-d", "127.0.0.1", p], 74)
        : (await nc(["-N", "127.0.0.1", p], "hello\n")).stdout;
      return { where: `tcp ${service}`, text: latin1.decode(out), want: ANSWERS[service].tcp };
    }),
    ...UDP_SERVICES.map(async (service) => {
      const r = await nc(["-u", "-w1", "127.0.0.1", `${port("udp", service)}`], "hello\n");
      return {
        where: `udp ${service}`,
        text: latin1.decode(r.stdout),
        want: ANSWERS[service].udp!,
      };
    }),
  ]);
  for (const { where, text, want } of answers) assert.match(text, want, where);

  const events = logEvents(muxd.stderr());
  const closed = eventsOf(events, "connection-closed");
  // Deno reads a reset as end of stream, so only a reset under a pending write shows as one.
  assert.ok(
    closed.some((e) => e.service === "echo" && e.reason === "reset"),
    "echo saw no reset: the reset-mid-write case did not happen",
  );
  const reasons = Object.groupBy(closed, (e) => e.reason);
  console.log(
    `${closed.length} connections closed: ` +
      Object.entries(reasons).map(([r, l]) => `${l!.length} ${r}`).join(", "),
  );
  assert.deepEqual(eventsOf(events, "error"), [], "error events");
  const failed = eventsOf(events, "connection-closed").filter((e) => e.reason === "error");
  assert.deepEqual(failed, [], "connections closed after an error");
  const errors = logRecords(muxd.stderr()).filter((r) => r.level === "ERROR");
  assert.deepEqual(errors.map((r) => r.message), [], "error lines in the log");
  // The garbage reached every UDP service; a busy machine's loopback may drop
  // some of it (a receive buffer holds only three of the largest), as UDP may.
  const datagrams = Object.groupBy(eventsOf(events, "datagram"), (e) => e.service);
  const counts = UDP_SERVICES.map((s) => [s, datagrams[s]?.length ?? 0] as const);
  console.log(
    `datagrams logged of ${GARBAGE_DATAGRAMS + 1} sent to each: ${
      counts.map(([s, n]) => `${s} ${n}`).join(", ")
    }`,
  );
  for (const [service, count] of counts) {
    assert.ok(count >= GARBAGE_DATAGRAMS / 4, `udp ${service} logged only ${count} datagrams`);
  }
});
