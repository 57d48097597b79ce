/**
 * The control API: JSON over HTTP that lets a test suite add and remove
 * listeners, turn faults on and off, reset counters and read events while
 * muxd runs, behind a bearer token and the dashboard's Host rule.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { start } from "../../mod.ts";
 * import { serveControl } from "./mod.ts";
 *
 * await using server = await start();
 * await using control = serveControl(server, { hostname: "127.0.0.1", port: 0 });
 * const refused = await fetch(new URL("v1/listeners", control.url)); // no token
 * assert.equal(refused.status, 401);
 * await refused.body?.cancel();
 * ```
 *
 * @module
 */

export { type ControlPlan, planControl } from "./address.ts";
export {
  type ControlAnswer,
  type ControlRequest,
  controlRoutes,
  type JsonStatus,
  type RouteHooks,
} from "./api.ts";
export { CounterResets } from "./resets.ts";
export { HttpBindError } from "../dashboard/http_listener.ts";
export {
  CONTROL_MAX_BODY_BYTES,
  CONTROL_MAX_CLIENTS,
  ControlBindError,
  controlFiles,
  type ControlOptions,
  type ControlServer,
  serveControl,
} from "./server.ts";
export {
  bearerMatches,
  generateToken,
  MIN_TOKEN_LENGTH,
  parseTokenFile,
  readTokenFile,
} from "./token.ts";
export {
  type ErrorBody,
  type ListenerView,
  listenerView,
  type RemovedView,
  removedView,
} from "./views.ts";
export { sseMessage } from "./event_feed.ts";
