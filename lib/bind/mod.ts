/**
 * Binding planned listeners to real sockets, and explaining in plain words
 * why a bind failed.
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
} from "./bind.ts";
export { BindError } from "./bind_error.ts";
