/**
 * A UDP client that numbers its datagrams, for the UDP fault tests: it
 * sends 0, 1, 2, ... to an echo in batches, collects the numbers that come
 * back in the order they come, and paces itself on muxd's JSON log (debug
 * level), never on a clock: a batch is done once muxd logged each of its
 * datagrams, and the client holds every reply muxd logged as sent.
 *
 * @module
 */

import type { MuxdProcess } from "../_support/process.ts";
import { waitUntil } from "../_support/wait.ts";

/** How many datagrams go out before the client waits for muxd: well within a socket's buffer. */
const BATCH = 200;

/** How long one batch may take, under load, before the test gives up. */
const BATCH_TIMEOUT_MS = 15_000;

/** The needle of a log line of each event counted. */
export const NEEDLES = {
  datagram: `"properties":{"type":"datagram",`,
  reply: `"properties":{"type":"reply",`,
  drop: `"fault":"drop"`,
  duplicate: `"fault":"duplicate"`,
  reorder: `"fault":"reorder"`,
} as const;

/** Counts events in muxd's growing JSON log, reading each complete line once. */
export class LogCount {
  #muxd: MuxdProcess;
  #read = 0;
  #counts = new Map<keyof typeof NEEDLES, number>();

  /** @param muxd The muxd whose stderr is read. */
  constructor(muxd: MuxdProcess) {
    this.#muxd = muxd;
  }

  /** How many lines so far have the needle of `what`. */
  of(what: keyof typeof NEEDLES): number {
    const text = this.#muxd.stderr();
    const end = text.lastIndexOf("\n") + 1;
    if (end > this.#read) {
      const part = text.slice(this.#read, end);
      for (const [key, needle] of Object.entries(NEEDLES) as [keyof typeof NEEDLES, string][]) {
        let n = this.#counts.get(key) ?? 0;
        for (let at = part.indexOf(needle); at !== -1; at = part.indexOf(needle, at + 1)) n++;
        this.#counts.set(key, n);
      }
      this.#read = end;
    }
    return this.#counts.get(what) ?? 0;
  }

  /** The counts, for a failure's message. */
  describe(): string {
    return Object.keys(NEEDLES).map((k) => `${k} ${this.of(k as keyof typeof NEEDLES)}`)
      .join(", ");
  }
}

/** A client socket on 127.0.0.1, port 0, that collects the numbers echoed back. */
export class NumberedClient implements AsyncDisposable {
  /** The numbers that came back, in the order they came. */
  readonly got: number[] = [];
  #socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  #receiving: Promise<void>;

  constructor() {
    this.#receiving = (async () => {
      try {
        for (;;) {
          const [reply] = await this.#socket.receive();
          this.got.push(new DataView(reply.buffer, reply.byteOffset).getUint32(0));
        }
      } catch (error) {
        if (
          !(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)
        ) {
          throw error;
        }
      }
    })();
  }

  /**
   * Sends 0 to `count - 1` to the echo at 127.0.0.1:`port`, in batches, and
   * waits until muxd has handled each and the client holds every reply:
   * those muxd sent, plus a copy for each duplicate, less each drop.
   *
   * @param muxd The muxd serving echo on `port`, logging JSON at debug level.
   * @param port The echo's port.
   * @param count How many datagrams.
   */
  async exchange(muxd: MuxdProcess, port: number, count: number): Promise<LogCount> {
    const log = new LogCount(muxd);
    const to = { transport: "udp", hostname: "127.0.0.1", port } as const;
    const datagram = new Uint8Array(16);
    const view = new DataView(datagram.buffer);
    for (let start = 0; start < count; start += BATCH) {
      const end = Math.min(count, start + BATCH);
      for (let n = start; n < end; n++) {
        view.setUint32(0, n);
        await this.#socket.send(datagram, to);
      }
      await waitUntil(
        () => log.of("datagram") >= end && this.got.length >= log.of("reply"),
        BATCH_TIMEOUT_MS,
        `muxd to handle datagrams ${start} to ${end - 1}`,
        () => `client got ${this.got.length}; ${log.describe()}`,
      );
    }
    // Every copy of every datagram is either sent or dropped, each said.
    await waitUntil(
      () =>
        log.of("reply") + log.of("drop") === count + log.of("duplicate") &&
        this.got.length === log.of("reply"),
      BATCH_TIMEOUT_MS,
      "every reply",
      () => `client got ${this.got.length}; ${log.describe()}`,
    );
    return log;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#socket.close();
    await this.#receiving;
  }
}
