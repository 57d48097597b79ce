/**
 * Turns of the event loop, shared by everything that could keep it busy.
 *
 * A read or write that the kernel can satisfy at once completes without a
 * turn of the event loop, so a service that streams to a client with room in
 * its socket buffers (chargen) runs write after write while other sockets'
 * accepts and reads wait. Such a service asks {@linkcode Turns.pause} between
 * writes: it costs nothing while the loop has turned recently, and once it
 * has not for {@linkcode TURN_MS}, every caller waits for the same next turn.
 *
 * @module
 */

/** How long, in ms, streaming work may run before the event loop must turn. */
export const TURN_MS = 10;

/** One running server's record of the event loop's turns. Created by `start()`. */
export class Turns {
  #last = performance.now();
  #next: Promise<void> | null = null;

  /**
   * Gives the event loop a turn if it has gone {@linkcode TURN_MS} without one.
   *
   * @returns `undefined` when the caller may go on at once (no promise made:
   *   this runs for every write), else a promise that resolves at the next turn.
   */
  pause = (): Promise<void> | undefined => {
    if (this.#next !== null) return this.#next;
    if (performance.now() - this.#last < TURN_MS) return undefined;
    this.#next = new Promise((resolve) => {
      setTimeout(() => {
        this.#last = performance.now();
        this.#next = null;
        resolve();
      }, 0);
    });
    return this.#next;
  };
}
