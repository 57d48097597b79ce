/**
 * Binding planned listeners to real sockets, and the error that reports a
 * listener that failed (`lib/explain/` says why it failed).
 *
 * @module
 */

export {
  bindAll,
  bindOne,
  type BindResult,
  type BoundSocket,
  type BoundTcpSocket,
  type BoundUdpSocket,
  type FailedBind,
} from "./bind.ts";
export { BindError } from "./bind_error.ts";
