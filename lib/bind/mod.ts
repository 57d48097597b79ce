/**
 * Binding planned listeners to real sockets, and the error that reports a
 * listener that failed (`lib/explain/` says why it failed). TCP listeners
 * whose faults reset connections are bound with node:net, whose
 * connections can send a reset; the rest with `Deno.listen`.
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
export {
  canReset,
  type ResettableConnection,
  type TcpConnection,
  type TcpListener,
} from "./tcp_listener.ts";
export { listenNodeTcp, NodeTcpListener } from "./node_tcp.ts";
export { NodeTcpConn } from "./node_conn.ts";
export {
  type AcceptErrorKind,
  acceptErrorKind,
  errorCode,
  exhaustionAdvice,
} from "./accept_error.ts";
