/**
 * The error that ends a relayed connection because of its upstream.
 *
 * @module
 */

/**
 * A relay's upstream refused the connection, did not answer in time, could
 * not be reached or went away. The dispatcher reports it as the connection's
 * close reason (`upstream`), with this error's message as the detail.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UpstreamError } from "./upstream_error.ts";
 *
 * const error = new UpstreamError("upstream 127.0.0.1:8080 refused the connection");
 * assert.equal(error.name, "UpstreamError");
 * ```
 */
export class UpstreamError extends Error {
  /**
   * Creates the error.
   *
   * @param message What happened, in one line that names the upstream.
   * @param options The OS error, as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UpstreamError";
  }
}
