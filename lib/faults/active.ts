/**
 * A listener's faults while it runs: the parsed faults, the seed of their
 * random choices (the spec's, or one muxd picked and logged), and the
 * random streams drawn from it.
 *
 * @module
 */

import type { Faults } from "./faults.ts";
import { Random, randomSeed } from "./random.ts";

/**
 * The faults of one running socket. A TCP connection draws its own random
 * stream, by the order in which it was accepted, so that the n-th
 * connection gets the same faults in every run with the same seed, however
 * the others interleave. A UDP socket's datagrams share one stream, in the
 * order they arrive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ActiveFaults, faultsFrom } from "./mod.ts";
 *
 * const faults = faultsFrom({ hang: "0.5", seed: "7" }, "tcp")!;
 * const a = new ActiveFaults(faults);
 * const b = new ActiveFaults(faults);
 * assert.equal(a.seed, 7);
 * assert.equal(a.nextConnection().next(), b.nextConnection().next());
 * ```
 */
export class ActiveFaults {
  /** The faults. */
  readonly faults: Faults;
  /** The seed of every random choice. */
  readonly seed: number;
  /** The datagrams' random stream (UDP). */
  readonly datagrams: Random;
  #connections = 0;

  /**
   * Starts the faults of a socket.
   *
   * @param faults The listener's faults.
   * @param seed The seed, when the spec sets none. @default a random one
   */
  constructor(faults: Faults, seed: number = faults.seed ?? randomSeed()) {
    this.faults = faults;
    this.seed = seed;
    this.datagrams = new Random(seed, 0);
  }

  /**
   * The random stream of the next TCP connection.
   *
   * @returns A stream of its own, the same for the n-th connection of every run.
   */
  nextConnection(): Random {
    return new Random(this.seed, ++this.#connections);
  }
}
