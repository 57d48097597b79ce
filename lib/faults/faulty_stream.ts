/**
 * A connection's byte stream as a service sees it through its faults:
 * latency and jitter (order kept), bandwidth, slicing, a stall, and the
 * reset or close a trigger sets off.
 *
 * @module
 */

import type { TcpFaultKind } from "../events/fault_events.ts";
import type { BufferPool } from "../services/buffer_pool.ts";
import type { Stream } from "../services/service.ts";
import { writeAll } from "../services/write_all.ts";
import { DelayLine } from "./delay_line.ts";
import { Pacer } from "./pacer.ts";
import { PumpBuffer } from "./pump_buffer.ts";
import type { SocketEnd } from "./socket_end.ts";
import { STUCK_WRITE_MS, watchStuckWrite } from "./stuck_write.ts";
import { type TcpFaultPlan, thousands, triggerWords } from "./tcp_plan.ts";
import type { Trigger } from "./units.ts";
import { Waits } from "./waits.ts";

/** How a fault ended a connection. */
export interface FaultEnd {
  /** A reset (RST) or a close (FIN). */
  readonly kind: "reset" | "close";
  /** Which fault, in words: `reset after 4,096 B`. */
  readonly detail: string;
  /**
   * For a close: whether it half-closed, so that muxd drains what the
   * client still sends; `false` when the socket was closed whole, a write
   * of muxd's waiting on a client that does not read.
   */
  readonly lingers: boolean;
}

/** What a service's reads and writes throw once a fault has reset or closed its connection. */
export class FaultEndedError extends Error {
  /**
   * Says which fault ended the connection.
   *
   * @param detail Which fault, in words: `closed after 500 ms`.
   */
  constructor(detail: string) {
    super(detail);
    this.name = "FaultEndedError";
  }
}

/**
 * The connection as muxd counts it: its bytes so far, whether a write to it
 * is in flight, and where the faults count what they drop and when the
 * service's part ends.
 */
export type CountedStream = Stream & {
  readonly writing: boolean;
  readonly bytesOut: number;
  /** Bytes read from the client that the service never got. */
  droppedIn: number;
  /** Bytes the service wrote, and the out line accepted, that never went out. */
  droppedOut: number;
  /** Marks the end of the service's part: what is read from now on is drained. */
  beginDrain(): void;
};

/** What a {@linkcode FaultyStream} is made of. */
export interface FaultyStreamParts {
  /** The connection, as muxd counts its bytes, and whether a write to it is in flight. */
  readonly source: CountedStream;
  /** Who closes or resets the connection's socket. */
  readonly socket: SocketEnd;
  /** The connection's faults. */
  readonly plan: TcpFaultPlan;
  /** The server's read buffers, which the reader under in latency takes while data keeps coming. */
  readonly buffers: BufferPool;
  /** When the connection was accepted (`performance.now()`), for time triggers. */
  readonly startedMs: number;
  /** Called when a fault acts: a reset, a close, a stall. */
  readonly report: (fault: TcpFaultKind, detail: string) => void;
}

/** A reset or close that fires after so many bytes either way. */
interface ByteTrigger {
  readonly kind: "reset" | "close";
  readonly trigger: Trigger;
  readonly at: number;
}

/**
 * The stream a service of a connection with faults talks to. "In" is what
 * the client sends (muxd reads it), "out" what the service writes.
 *
 * - latency: each chunk reaches the other side `latency ± jitter` ms after
 *   muxd got it, in order; up to {@linkcode DELAY_LINE_BYTES} wait each way,
 *   so latency does not limit throughput. A write is done once its bytes are
 *   in the line; {@linkcode FaultyStream.flush} waits until they are out.
 *   A chunk due at once with nothing ahead of it goes through as it is, and
 *   latency 0 without jitter holds nothing at all. Under in latency a reader
 *   reads ahead for the service, waiting for data with 1,023 bytes of its
 *   own (see {@linkcode PumpBuffer}), and the line keeps a copy of each read.
 * - bandwidth: in, muxd reads at most the rate; out, a write is done once its
 *   bytes have had their time at the rate.
 * - slice: writes leave in pieces of N bytes, slice-delay apart.
 * - stall-after: after N bytes from the client muxd reads no more; writes go on.
 * - reset-after, close-after: after N bytes either way (read from the client
 *   plus written to it: the read or write that reaches N is cut there) or N
 *   ms after accept. A reset resets the socket; a close half-closes it (the
 *   client reads end of stream) and {@linkcode FaultyStream.lingering} is
 *   what muxd then drains. Either way every read and write after it throws
 *   {@linkcode FaultEndedError}, and what the lines held is dropped.
 *
 * What the lines hold when the connection ends, by a fault or otherwise, is
 * counted on the source as `droppedIn` and `droppedOut`; so are bytes a read
 * took past a byte trigger, and the rest of a chunk a trigger cut.
 *
 * When the socket closes (the service is done, the idle sweep, shutdown)
 * every wait and timer ends with it.
 */
export class FaultyStream implements Stream {
  readonly #source: CountedStream;
  readonly #socket: SocketEnd;
  readonly #plan: TcpFaultPlan;
  readonly #report: (fault: TcpFaultKind, detail: string) => void;
  readonly #waits = new Waits();
  readonly #inLine: DelayLine | null;
  readonly #outLine: DelayLine | null;
  readonly #pacerIn: Pacer | null;
  readonly #pacerOut: Pacer | null;
  readonly #byteTrigger: ByteTrigger | null;
  readonly #buffers: BufferPool;
  /** Reads go straight to the connection: no in fault acts on them. */
  readonly #plainIn: boolean;
  /** Writes go straight to the connection: no out fault acts on them. */
  readonly #plainOut: boolean;
  readonly #timers: ReturnType<typeof setTimeout>[] = [];
  /** Bytes either way toward the byte trigger. */
  #passed = 0;
  /** Bytes read from the client, toward the stall. */
  #fromClient = 0;
  #stalled = false;
  #pumping = false;
  #writing = false;
  /** Set once the service is done: the reader reads no more on its behalf. */
  #released = false;
  /** Set once the service returned: a write it left waiting puts no more pieces out. */
  #finished = false;
  /** The chunk the out line's writer is writing to the client: its length, 0 for none. */
  #inHand = 0;
  /** `bytesOut` of the source when that chunk's write began. */
  #inHandFrom = 0;
  #lastPiece = -Infinity;
  /** The read from the client in flight, if any. */
  #sourceRead: Promise<number | null> | null = null;
  /** The half-close of a close fault: `null` when done, or what it threw. */
  #fin: Promise<unknown> = Promise.resolve(null);
  #end: FaultEnd | null = null;
  /** Why reads and writes fail from now on: a fault, or the socket's close. */
  #error: unknown = null;

  /**
   * Puts a connection behind its faults; time triggers start counting from its accept.
   *
   * @param parts The connection, its socket, its faults and where to report them.
   */
  constructor(parts: FaultyStreamParts) {
    const { plan } = parts;
    this.#source = parts.source;
    this.#socket = parts.socket;
    this.#plan = plan;
    this.#report = parts.report;
    this.#buffers = parts.buffers;
    this.#inLine = delayLine(plan.latencyInMs, plan);
    this.#outLine = delayLine(plan.latencyOutMs, plan);
    this.#pacerIn = plan.bandwidthIn === null ? null : new Pacer(plan.bandwidthIn);
    this.#pacerOut = plan.bandwidthOut === null ? null : new Pacer(plan.bandwidthOut);
    const byBytes: ByteTrigger[] = [];
    for (
      const [kind, trigger] of [["reset", plan.resetAfter], ["close", plan.closeAfter]] as const
    ) {
      if (trigger === null) continue;
      if (trigger.bytes !== undefined) byBytes.push({ kind, trigger, at: trigger.bytes });
      else {
        const wait = Math.max(0, trigger.ms - (performance.now() - parts.startedMs));
        this.#timers.push(setTimeout(() => this.#fire(kind, trigger), wait));
      }
    }
    // The lower wins; at the same count, the reset.
    this.#byteTrigger = byBytes.length === 0 ? null : byBytes.reduce((a, b) => b.at < a.at ? b : a);
    this.#plainIn = this.#inLine === null && this.#pacerIn === null && plan.stallAfter === null &&
      plan.resetAfter === null && plan.closeAfter === null;
    this.#plainOut = this.#outLine === null && this.#pacerOut === null && plan.slice === null &&
      this.#byteTrigger === null;
    this.#socket.closed.then(() => this.#stop(new Deno.errors.Interrupted("connection closed")));
    if (this.#byteTrigger?.at === 0) this.#fire(this.#byteTrigger.kind, this.#byteTrigger.trigger);
  }

  /** How a fault ended the connection, or `null` while none has. */
  get end(): FaultEnd | null {
    return this.#end;
  }

  /** Reads what the client sent, through the in faults. */
  read(p: Uint8Array): Promise<number | null> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#plainIn) return this.#source.read(p);
    return this.#inLine === null ? this.#readClient(p) : this.#readDelayed(p, this.#inLine);
  }

  /**
   * Writes to the client through the out faults. Resolves to `p.length`
   * where an out fault acts, else to what the connection's own write accepted.
   */
  write(p: Uint8Array): Promise<number> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#plainOut) return this.#source.write(p);
    return this.#writeFaulty(p);
  }

  /** The out path through slice, bandwidth, latency and the byte trigger. */
  async #writeFaulty(p: Uint8Array): Promise<number> {
    const slice = this.#plan.slice;
    const pacer = this.#pacerOut;
    const line = this.#outLine;
    if (slice === null && pacer === null && line === null) return await this.#writeClient(p);
    for (let at = 0; at < p.length;) {
      let n = p.length - at;
      if (slice !== null) {
        n = Math.min(n, slice.bytes);
        await this.#waits.sleep(this.#lastPiece + slice.delayMs - performance.now());
        this.#lastPiece = performance.now();
      }
      if (pacer !== null) {
        n = Math.min(n, pacer.chunk);
        const wait = pacer.delay(n, performance.now());
        if (wait > 0) await this.#waits.sleep(wait);
      }
      // A write the service left waiting when it returned (chargen at its
      // time cap) ends here, as a close ends a write the kernel has not
      // taken: its pieces in the line go out, the rest never was accepted.
      // Here, after the sleeps: the service may have returned during one.
      if (this.#finished) throw new Deno.errors.Interrupted("the service is done");
      const piece = p.subarray(at, at + n);
      if (line === null) await this.#writeClient(piece);
      else {
        if (!this.#writing) this.#writeDelayed(line);
        // Due at once with nothing ahead: out now, uncopied. Else the line
        // keeps a copy: the service may reuse its buffer once this resolves.
        if (line.pass(piece)) await this.#writeClient(piece);
        else await line.room();
      }
      at += n;
    }
    return p.length;
  }

  /** Half-closes once everything written so far is out. */
  async closeWrite(): Promise<void> {
    await this.flush();
    await this.#source.closeWrite();
  }

  /**
   * Waits until everything the service wrote has been written to the client.
   *
   * @returns Once the out line is empty.
   * @throws What ended the connection first: {@linkcode FaultEndedError}, or
   *   the error of a write to the client.
   */
  async flush(): Promise<void> {
    if (this.#error !== null) throw this.#error;
    if (this.#outLine !== null && this.#writing) await this.#outLine.drained();
  }

  /**
   * Tells the stream its service returned, and waits until what muxd
   * accepted of its writes is out: everything the out line holds, each
   * chunk when it is due, as bytes the kernel took go out after a close
   * without faults. A write the service left waiting (chargen at its time
   * cap) puts no more of its pieces in the line. Only the connection's own
   * caps cut this short (the idle limit, shutdown, a fault); what the line
   * then holds is counted as dropped.
   *
   * @returns Once the out line is empty.
   * @throws What ended the connection first, as {@linkcode FaultyStream.flush}.
   */
  async finish(): Promise<void> {
    this.#finished = true;
    if (this.#error !== null) throw this.#error;
    const line = this.#outLine;
    if (line === null || !this.#writing) return;
    // A client that takes nothing for a moment while a write waits on it
    // gets no more: without faults, the close would end that write too.
    const gaveUp = new Deno.errors.Interrupted("the client was not reading");
    const stopWatching = watchStuckWrite(this.#source, () => {
      const held = line.bytes + this.#inHandRest();
      this.#report(
        "latency",
        `dropped ${thousands(held)} B out: the client took nothing for ` +
          `${STUCK_WRITE_MS} ms after the service was done`,
      );
      this.#stop(gaveUp);
    });
    try {
      await line.drained();
    } catch (error) {
      // Given up, and counted: the connection closes as it would have.
      if (error !== gaveUp) throw error;
    } finally {
      stopWatching();
    }
  }

  /** Tells the stream its service is done: the reader reads nothing more for it. */
  release(): void {
    this.#released = true;
  }

  /**
   * The connection as muxd drains it after a close fault: its half-close is
   * the fault's own, and its reads take over from any read in flight.
   *
   * @returns A stream for {@linkcode linger}.
   */
  lingering(): Stream {
    return {
      read: async (p) => {
        // That read's own caller sees it fail with the fault; here it only
        // has to be over before the next one starts.
        if (this.#sourceRead !== null) await Promise.allSettled([this.#sourceRead]);
        return await this.#source.read(p);
      },
      write: (p) => this.#source.write(p),
      closeWrite: async () => {
        const error = await this.#fin;
        if (error !== null) throw error;
      },
    };
  }

  /** The in path with latency: a reader fills the line, the service takes from it. */
  async #readDelayed(p: Uint8Array, line: DelayLine): Promise<number | null> {
    if (!this.#pumping) this.#pump(line);
    let bytes = line.takeDue(p.length);
    if (bytes === undefined) bytes = await line.take(p.length);
    if (bytes === null) return null;
    p.set(bytes);
    return bytes.length;
  }

  /**
   * Reads from the client into the in line until its end, or until the line
   * fails. It waits for data in the connection's own 1,023 bytes, and the
   * line keeps a copy of exactly what each read got.
   */
  async #pump(line: DelayLine): Promise<void> {
    this.#pumping = true;
    const buffers = new PumpBuffer(this.#buffers);
    try {
      while (!this.#released) {
        const buffer = buffers.next;
        const room = this.#readRoom(buffer.length);
        const n = await this.#readClient(buffer.subarray(0, room));
        if (n === null) return line.end();
        // The read that set the byte trigger off: the line it was for is gone.
        if (this.#error !== null) {
          this.#source.droppedIn += n;
          return;
        }
        const pushed = line.push(buffer.slice(0, n));
        buffers.after(n, room);
        await pushed;
      }
    } catch (error) {
      // The service sees it on its next take: a reset, the fault, the close.
      this.#source.droppedIn += failCounted(line, error);
    } finally {
      buffers.release();
    }
  }

  /** The most bytes the next read from the client may take into `length`: the stall, the pacer's chunk and the byte trigger cap it. */
  #readRoom(length: number): number {
    let max = length;
    const stall = this.#plan.stallAfter;
    if (stall !== null) max = Math.min(max, Math.max(0, stall - this.#fromClient));
    if (this.#pacerIn !== null) max = Math.min(max, this.#pacerIn.chunk);
    const trigger = this.#byteTrigger;
    if (trigger !== null) max = Math.min(max, Math.max(1, trigger.at - this.#passed));
    return max;
  }

  /** The in gate: the stall, the bandwidth and the byte trigger, on each read from the client. */
  async #readClient(p: Uint8Array): Promise<number | null> {
    const stall = this.#plan.stallAfter;
    if (stall !== null && this.#fromClient >= stall) return await this.#stall(stall);
    const trigger = this.#byteTrigger;
    const read = this.#source.read(p.subarray(0, this.#readRoom(p.length)));
    this.#sourceRead = read;
    let n: number | null;
    try {
      n = await read;
    } finally {
      this.#sourceRead = null;
    }
    if (this.#error !== null) throw this.#error;
    if (n === null) return null;
    this.#fromClient += n;
    if (this.#pacerIn !== null) {
      const wait = this.#pacerIn.delay(n, performance.now());
      if (wait > 0) await this.#waits.sleep(wait);
    }
    if (trigger === null) return n;
    // A write may have used the budget meanwhile: keep only what is left.
    const kept = Math.min(n, trigger.at - this.#passed);
    this.#passed += kept;
    if (kept < n) this.#source.droppedIn += n - Math.max(0, kept);
    if (this.#passed >= trigger.at) this.#fire(trigger.kind, trigger.trigger);
    return kept > 0 ? kept : await this.#waits.forever();
  }

  /** Stops reading for good: reported once, then waits until the connection ends. */
  #stall(after: number): Promise<never> {
    if (!this.#stalled) {
      this.#stalled = true;
      this.#report("stall", `stopped reading after ${thousands(after)} B`);
    }
    return this.#waits.forever();
  }

  /** The out path with latency: takes each chunk from the line when it is due, and writes it. */
  async #writeDelayed(line: DelayLine): Promise<void> {
    this.#writing = true;
    try {
      for (;;) {
        this.#inHand = 0;
        let bytes = line.takeDue(Infinity);
        if (bytes === undefined) bytes = await line.take(Infinity);
        if (bytes === null) return;
        this.#inHand = bytes.length;
        this.#inHandFrom = this.#source.bytesOut;
        await this.#writeClient(bytes);
      }
    } catch (error) {
      // The chunk in hand went out only in part (its write failed), and the
      // line holds the rest: all dropped, counted (once: #stop counts them
      // when it comes first). The service sees it on its next write or flush.
      this.#source.droppedOut += this.#dropInHand() + failCounted(line, error);
    }
  }

  /**
   * The bytes of the chunk the out line's writer holds that have not gone
   * out, counted as dropped once: the writer holds it no more.
   */
  #dropInHand(): number {
    const rest = this.#inHandRest();
    this.#inHand = 0;
    return rest;
  }

  /** The bytes of the chunk the out line's writer holds that have not gone out. */
  #inHandRest(): number {
    return Math.max(0, this.#inHand - (this.#source.bytesOut - this.#inHandFrom));
  }

  /** The out gate: the byte trigger, on each write to the client. */
  async #writeClient(bytes: Uint8Array): Promise<number> {
    const trigger = this.#byteTrigger;
    if (trigger === null) {
      await writeAll(this.#source, bytes);
      return bytes.length;
    }
    const cut = bytes.subarray(0, Math.max(0, trigger.at - this.#passed));
    this.#passed += cut.length;
    await writeAll(this.#source, cut);
    if (this.#passed >= trigger.at) this.#fire(trigger.kind, trigger.trigger);
    if (this.#error !== null) throw this.#error;
    return bytes.length;
  }

  /** A reset or close trigger fires: report it, end every wait, then reset or half-close. */
  #fire(kind: "reset" | "close", trigger: Trigger): void {
    if (this.#error !== null) return;
    const detail = triggerWords(kind === "reset" ? "reset" : "closed", trigger);
    this.#end = { kind, detail, lingers: kind === "close" };
    // What muxd reads from now on is drained: the service gets none of it.
    this.#source.beginDrain();
    this.#report(kind, detail);
    this.#stop(new FaultEndedError(detail));
    if (kind === "reset") {
      // A listener with reset-after is bound on node:net (needsReset() in
      // lib/plan/plan.ts), whose connections send a real RST.
      this.#socket.reset();
      return;
    }
    this.#fin = this.#source.closeWrite().then(() => null, (error: unknown) => error);
    if (!this.#source.writing) return;
    // The half-close waits behind the write in flight (Deno orders them),
    // and if that write waits on a client that does not read, the FIN would
    // never go. A client that reads, however slowly, lets the write go on:
    // the FIN follows it. One that took nothing for a moment gets the socket
    // closed whole instead, which ends that write (and is a reset if muxd
    // holds bytes of its unread).
    const stopWatching = watchStuckWrite(this.#source, () => {
      this.#end = {
        kind,
        detail: `${detail} (closed whole: the client was not reading)`,
        lingers: false,
      };
      this.#socket.close();
    });
    void this.#fin.then(stopWatching);
  }

  /** Ends every wait, timer and line with `error`; the first call wins. */
  #stop(error: unknown): void {
    if (this.#error !== null) return;
    this.#error = error;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#waits.cancel(error);
    if (this.#inLine !== null) this.#source.droppedIn += failCounted(this.#inLine, error);
    if (this.#outLine !== null) {
      this.#source.droppedOut += this.#dropInHand() + failCounted(this.#outLine, error);
    }
  }
}

/**
 * Fails a line, once.
 *
 * @returns How many bytes it held: dropped now (0 when it had failed already).
 */
function failCounted(line: DelayLine, error: unknown): number {
  const held = line.bytes;
  line.fail(error);
  return held;
}

/**
 * The line of one direction's latency, or `null` where nothing is ever held:
 * no latency that way, or latency 0 without jitter.
 */
function delayLine(latencyMs: number | null, plan: TcpFaultPlan): DelayLine | null {
  if (latencyMs === null || (latencyMs === 0 && plan.jitterMs === 0)) return null;
  return new DelayLine(latencyMs, plan.jitterMs, plan.random);
}
