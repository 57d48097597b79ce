/**
 * The load generator of the quick mode, in Deno: the same runs as the C one
 * (`loadgen.c`), with the same checks, so that `deno task test` needs no C
 * compiler. It is far slower than the C one: its figures check that
 * everything works, they measure nothing worth quoting.
 *
 * @module
 */

import { percentile } from "./stats.ts";
import type {
  ConnRateReport,
  HeldConnections,
  LoadClient,
  TcpEchoReport,
  UdpEchoReport,
} from "./types.ts";
import { CHUNK_BYTES, RATE_MESSAGE_BYTES, windowBytes } from "./c_client.ts";

const PATTERN_BASE = 1 << 20;
const PATTERN_TAIL = 65536;
/** A reply later than this counts as lost, as in loadgen.c. */
const UDP_TIMEOUT_MS = 200;

/** 1 MiB of pseudo-random bytes, plus 64 KiB repeated so any 64 KiB slice is contiguous. */
function makePattern(): Uint8Array {
  const pattern = new Uint8Array(PATTERN_BASE + PATTERN_TAIL);
  let x = 0x9E3779B9;
  for (let i = 0; i < PATTERN_BASE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pattern[i] = x >>> 24;
  }
  pattern.copyWithin(PATTERN_BASE, 0, PATTERN_TAIL);
  return pattern;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** CPU seconds this process has used, from /proc/self/stat. */
function ownCpuSeconds(): number {
  const text = Deno.readTextFileSync("/proc/self/stat");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Reads exactly `into.length` bytes, or returns false at the end of stream. */
async function readFull(conn: Deno.Conn, into: Uint8Array): Promise<boolean> {
  let got = 0;
  while (got < into.length) {
    const n = await conn.read(into.subarray(got));
    if (n === null) return false;
    got += n;
  }
  return true;
}

/**
 * The Deno load generator.
 *
 * @returns The client.
 */
export function denoLoadClient(): LoadClient {
  const pattern = makePattern();
  const at = (offset: number, length: number) => {
    const start = offset % PATTERN_BASE;
    return pattern.subarray(start, start + length);
  };

  return {
    name: "Deno load generator (quick mode)",
    // Deno.connect cannot choose its source address.
    spreadsSources: false,

    async tcpEcho(target, conns, seconds): Promise<TcpEchoReport> {
      const t0 = performance.now();
      const c0 = ownCpuSeconds();
      const deadline = t0 + seconds * 1000;
      const window = windowBytes(conns);
      let bytesAtDeadline = 0;
      let cpuAtDeadline = c0;
      const deadlineTimer = setTimeout(() => cpuAtDeadline = ownCpuSeconds(), seconds * 1000);
      const one = async (index: number) => {
        const base = index * 7919;
        let sent = 0;
        let received = 0;
        let mismatch = false;
        // Where the writer waits for the window to open; the reader wakes it.
        const waiting: { wake: (() => void) | null } = { wake: null };
        const conn = await Deno.connect({ hostname: target.host, port: target.tcpPort });
        // A stalled server must not hold the run: close the socket after the drain time.
        let closed = false;
        const close = () => {
          if (!closed) conn.close();
          closed = true;
        };
        const fence = setTimeout(close, seconds * 1000 + 5000);
        try {
          const reader = (async () => {
            const buffer = new Uint8Array(65536);
            for (;;) {
              const n = await conn.read(buffer);
              if (n === null) return;
              if (!equalBytes(buffer.subarray(0, n), at(base + received, n))) {
                mismatch = true;
                return;
              }
              received += n;
              if (performance.now() < deadline) bytesAtDeadline += n;
              waiting.wake?.();
            }
          })();
          while (performance.now() < deadline && !mismatch) {
            if (sent - received + CHUNK_BYTES > window) {
              await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, 50);
                waiting.wake = () => {
                  clearTimeout(timer);
                  resolve();
                };
              });
              waiting.wake = null;
              continue;
            }
            sent += await conn.write(at(base + sent, CHUNK_BYTES));
          }
          await conn.closeWrite();
          await reader;
        } finally {
          clearTimeout(fence);
          close();
        }
        return { sent, received, mismatch };
      };
      const results = await Promise.allSettled(
        Array.from({ length: conns }, (_, i) => one(i)),
      );
      clearTimeout(deadlineTimer);
      if (cpuAtDeadline === c0) cpuAtDeadline = ownCpuSeconds();
      let errors = 0;
      let mismatches = 0;
      let unanswered = 0;
      for (const r of results) {
        if (r.status === "rejected") {
          errors++;
          continue;
        }
        if (r.value.mismatch) mismatches++;
        unanswered += r.value.sent - r.value.received;
      }
      return {
        bytes: bytesAtDeadline,
        seconds,
        unanswered,
        mismatches,
        errors: errors + (unanswered > 0 ? 1 : 0),
        clientCpu: cpuAtDeadline - c0,
      };
    },

    async connRate(target, concurrency, seconds, _sources): Promise<ConnRateReport> {
      // Deno.connect cannot pick a source address: every connection comes from 127.0.0.1.
      const latencies: number[] = [];
      let errors = 0;
      let offset = 0;
      const t0 = performance.now();
      const c0 = ownCpuSeconds();
      const deadline = t0 + seconds * 1000;
      const worker = async () => {
        const back = new Uint8Array(RATE_MESSAGE_BYTES);
        while (performance.now() < deadline) {
          const started = performance.now();
          const message = at(offset, RATE_MESSAGE_BYTES);
          offset += 61;
          try {
            using conn = await Deno.connect({ hostname: target.host, port: target.tcpPort });
            await conn.write(message);
            if (!(await readFull(conn, back)) || !equalBytes(back, message)) {
              errors++;
              continue;
            }
            latencies.push((performance.now() - started) * 1000);
          } catch (error) {
            if (!(error instanceof Error)) throw error;
            errors++; // refused, reset: counted, and the run goes on
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const elapsed = (performance.now() - t0) / 1000;
      latencies.sort((a, b) => a - b);
      return {
        conns: latencies.length,
        seconds: elapsed,
        errors,
        p50Us: percentile(latencies, 0.5),
        p99Us: percentile(latencies, 0.99),
        clientCpu: ownCpuSeconds() - c0,
      };
    },

    async udpEcho(target, outstanding, seconds): Promise<UdpEchoReport> {
      if (target.udpPort === null) throw new Error("this server has no UDP port");
      const to: Deno.NetAddr = { transport: "udp", hostname: target.host, port: target.udpPort };
      const socket = Deno.listenDatagram({ transport: "udp", hostname: target.host, port: 0 });
      const slots = Array.from(
        { length: outstanding },
        () => ({ seq: 0, sentAt: 0, active: false }),
      );
      const latencies: number[] = [];
      let nextSeq = 1;
      let sent = 0;
      let received = 0;
      let lost = 0;
      let bad = 0;
      let late = 0;
      const t0 = performance.now();
      const c0 = ownCpuSeconds();
      const deadline = t0 + seconds * 1000;
      const lengthOf = (seq: number) => 32 + (seq % 33);
      const request = (seq: number, slot: number) => {
        const bytes = at(seq * 13, lengthOf(seq)).slice();
        const view = new DataView(bytes.buffer);
        view.setUint32(0, seq, true);
        view.setUint32(4, slot, true);
        return bytes;
      };
      const sending = new Set<Promise<void>>();
      let sendErrors = 0;
      const send = (slot: number) => {
        const seq = nextSeq++;
        slots[slot] = { seq, sentAt: performance.now(), active: true };
        sent++;
        const done: Promise<void> = socket.send(request(seq, slot), to).then(
          () => {},
          (error) => {
            // The request also times out and counts as lost.
            if (!(error instanceof Error)) throw error;
            sendErrors++;
          },
        ).finally(() => sending.delete(done));
        sending.add(done);
      };
      const receiving = (async () => {
        for (;;) {
          let data: Uint8Array;
          try {
            [data] = await socket.receive();
          } catch (error) {
            if (
              error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted
            ) {
              return; // closed: the run is over
            }
            throw error;
          }
          if (data.length < 8) {
            bad++;
            continue;
          }
          const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
          const seq = view.getUint32(0, true);
          const slot = view.getUint32(4, true);
          if (
            seq === 0 || seq >= nextSeq || slot >= outstanding || data.length !== lengthOf(seq) ||
            !equalBytes(data, request(seq, slot))
          ) {
            bad++;
            continue;
          }
          if (!slots[slot].active || slots[slot].seq !== seq) {
            late++;
            continue;
          }
          received++;
          latencies.push((performance.now() - slots[slot].sentAt) * 1000);
          slots[slot].active = false;
          if (performance.now() < deadline) send(slot);
        }
      })();
      for (let i = 0; i < outstanding; i++) send(i);
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const now = performance.now();
          let active = 0;
          for (let i = 0; i < outstanding; i++) {
            if (slots[i].active && now - slots[i].sentAt > UDP_TIMEOUT_MS) {
              lost++;
              slots[i].active = false;
              if (now < deadline) send(i);
            }
            if (slots[i].active) active++;
          }
          if (now >= deadline && active === 0) {
            clearInterval(timer);
            resolve();
          }
        }, 10);
      });
      await Promise.all(sending);
      socket.close();
      await receiving;
      if (sendErrors > 0) console.error(`udp: ${sendErrors} sends failed`);
      latencies.sort((a, b) => a - b);
      return {
        sent,
        received,
        lost,
        bad,
        late,
        seconds: (performance.now() - t0) / 1000,
        p50Us: percentile(latencies, 0.5),
        p99Us: percentile(latencies, 0.99),
        clientCpu: ownCpuSeconds() - c0,
      };
    },

    async hold(target, count): Promise<HeldConnections> {
      const conns: Deno.TcpConn[] = [];
      let errors = 0;
      const byte = new Uint8Array([0x78]);
      const back = new Uint8Array(1);
      for (let i = 0; i < count; i++) {
        let conn: Deno.TcpConn | null = null;
        try {
          conn = await Deno.connect({ hostname: target.host, port: target.tcpPort });
          await conn.write(byte);
          if (!(await readFull(conn, back)) || back[0] !== byte[0]) throw new Error("no echo");
          conns.push(conn);
        } catch (error) {
          if (!(error instanceof Error)) throw error;
          conn?.close();
          errors++;
        }
      }
      return {
        held: conns.length,
        errors,
        release: () => {
          for (const conn of conns) conn.close();
          return Promise.resolve();
        },
      };
    },
  };
}
