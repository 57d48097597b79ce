/**
 * What the operations on a running server throw besides bind and spec
 * errors: an id that names no listener, and a server that is closing.
 *
 * @module
 */

/** No running listener has the id given to `remove()` or `setFaults()`. */
export class UnknownListenerError extends Error {
  /** The id that was asked for. */
  readonly id: string;

  /**
   * Creates the error; its message names the id.
   *
   * @param id The id that was asked for.
   */
  constructor(id: string) {
    super(
      `no running listener has the id ${JSON.stringify(id)}; ` +
        `the server's sockets list each listener's id`,
    );
    this.name = "UnknownListenerError";
    this.id = id;
  }
}

/** The server is closing or closed: it takes no more changes. */
export class ServerClosedError extends Error {
  /**
   * Creates the error; its message names the operation refused.
   *
   * @param operation What was asked, such as `add()`.
   */
  constructor(operation: string) {
    super(`${operation}: the server is closing or closed`);
    this.name = "ServerClosedError";
  }
}
