/**
 * Dispatch: the accept loop of each TCP listener and the receive loop of
 * each UDP socket, with one error boundary per connection or datagram.
 *
 * @module
 */

export { acceptLoop } from "./tcp.ts";
export { receiveLoop } from "./udp.ts";
export {
  type Closable,
  ConnectionTable,
  type OpenConnection,
  type Traffic,
} from "./connections.ts";
export type { DispatchContext } from "./context.ts";
export type { LiveRelay, LiveTraffic } from "./live_traffic.ts";
export { RelayLineage } from "./relay_lineage.ts";
export { RepliesOnTheWay } from "./replies_on_the_way.ts";
export { ACCEPT_REPORT_MS, ACCEPT_RETRY_MS, AcceptPause } from "./accept_pause.ts";
