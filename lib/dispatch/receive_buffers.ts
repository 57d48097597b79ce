/**
 * Receive buffers for UDP sockets, shared by every UDP listener of a
 * running server.
 *
 * Each UDP socket waits in `receive()` with a buffer of its own, large
 * enough for any datagram ({@linkcode MAX_DATAGRAM} bytes). Allocated one
 * by one, such buffers come from the allocator's heap: it zeroes each one
 * (so every page of it is resident from the start) and, once the listener
 * is removed and the buffer collected, keeps the freed memory instead of
 * giving it back to the system. Listeners added and removed by the hundred
 * would leave the process holding 64 KiB for each one that was ever open.
 *
 * Slots are therefore cut from slabs of {@linkcode SLOTS_PER_SLAB}, each
 * large enough (32 MiB) that the allocator maps it straight from the
 * system: its pages cost memory only once a datagram lands in them, and a
 * slab that is let go is unmapped when collected. A slot goes back to its
 * slab when its socket's receive loop has ended, for the next listener.
 *
 * @module
 */

import { MAX_DATAGRAM } from "./udp.ts";

/** How many receive buffers one slab holds (512: 32 MiB of address space, no memory until used). */
export const SLOTS_PER_SLAB = 512;

/** The distance between two slots, in bytes: {@linkcode MAX_DATAGRAM} rounded up to 64 KiB. */
const SLOT_BYTES = 64 * 1024;

/** One slab and which of its slots are free. */
interface Slab {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly free: number[];
}

/**
 * The UDP receive buffers of one running server. Created by `start()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_DATAGRAM } from "./udp.ts";
 * import { ReceiveBuffers } from "./receive_buffers.ts";
 *
 * const buffers = new ReceiveBuffers();
 * const first = buffers.take();
 * assert.equal(first.length, MAX_DATAGRAM);
 * buffers.give(first);
 * const again = buffers.take();
 * assert.equal(again.buffer, first.buffer); // the same slab, not a new allocation
 * assert.equal(again.byteOffset, first.byteOffset);
 * ```
 */
export class ReceiveBuffers {
  #slabs: Slab[] = [];

  /** How many slabs are allocated now (each {@linkcode SLOTS_PER_SLAB} buffers). */
  get slabs(): number {
    return this.#slabs.length;
  }

  /**
   * Takes a buffer for one socket's receive loop: a free slot of a slab,
   * or the first slot of a new slab when every slot is taken.
   *
   * @returns {@linkcode MAX_DATAGRAM} bytes; give them back when the loop has ended.
   */
  take(): Uint8Array<ArrayBuffer> {
    let slab = this.#slabs.find((s) => s.free.length > 0);
    if (slab === undefined) {
      // Slots are taken from the end of `free`, so the first slots are used first.
      const free = Array.from({ length: SLOTS_PER_SLAB }, (_, i) => SLOTS_PER_SLAB - 1 - i);
      slab = { bytes: new Uint8Array(SLOTS_PER_SLAB * SLOT_BYTES), free };
      this.#slabs.push(slab);
    }
    const start = slab.free.pop()! * SLOT_BYTES;
    return slab.bytes.subarray(start, start + MAX_DATAGRAM);
  }

  /**
   * Gives a buffer back once no receive is pending on it. A slab whose
   * slots are all free is let go only when another slab has a free slot:
   * a listener added and removed again and again reuses the same slot, even
   * where it is the one that needs a slab of its own (the 513th), instead of
   * allocating 32 MiB each time it comes back. At most one empty slab is
   * kept: a second one finds the first with free slots, and goes.
   *
   * @param buffer A buffer from {@linkcode ReceiveBuffers.take}.
   */
  give(buffer: Uint8Array<ArrayBuffer>): void {
    const at = this.#slabs.findIndex((s) => s.bytes.buffer === buffer.buffer);
    if (at === -1) throw new RangeError("ReceiveBuffers.give(): not a buffer of this pool");
    const slab = this.#slabs[at];
    slab.free.push(buffer.byteOffset / SLOT_BYTES);
    if (
      slab.free.length === SLOTS_PER_SLAB &&
      this.#slabs.some((other) => other !== slab && other.free.length > 0)
    ) {
      this.#slabs.splice(at, 1);
    }
  }
}
