/**
 * The JSON the control API answers with: a listener as it is shown, and
 * the error body of every refusal.
 *
 * @module
 */

import type { ListenerOrigin } from "../events/event.ts";
import type { RemoveResult, ServingSocket, ShownFaults } from "../server/running_server.ts";

/** A listener as `GET /v1/listeners` shows it. */
export interface ListenerView {
  /** Its id, such as `tcp-127.0.0.1-7007`. */
  readonly id: string;
  /** Who made it: `config` or `api`. */
  readonly origin: ListenerOrigin;
  /** `tcp` or `udp`. */
  readonly transport: "tcp" | "udp";
  /** The bound socket name, with its real port. */
  readonly local: { readonly address: string; readonly port: number };
  /** The service. */
  readonly service: string;
  /** Its spec, faults included (port 0 stays 0). */
  readonly spec: string;
  /** The wildcard spec a per-address UDP socket stands for, else `null`. */
  readonly wildcard: string | null;
  /** Its faults now and their seed, or `null`. */
  readonly faults: ShownFaults | null;
  /** Who set the faults in force: `config` or `api`. */
  readonly faultsBy: ListenerOrigin;
}

/**
 * A serving socket as the API shows it.
 *
 * @param s The socket.
 * @returns Its view.
 */
export function listenerView(s: ServingSocket): ListenerView {
  return {
    id: s.id,
    origin: s.origin,
    transport: s.transport,
    local: { address: s.local.address, port: s.local.port },
    service: s.service,
    spec: s.spec,
    wildcard: s.wildcard,
    faults: s.faults,
    faultsBy: s.faultsBy,
  };
}

/** What `DELETE /v1/listeners/{id}` answers. */
export interface RemovedView {
  /** The listener closed, as it was. */
  readonly closed: ListenerView;
  /** Its TCP connections open when it stopped accepting. */
  readonly open: number;
  /** Those muxd closed when the drain time ended. */
  readonly forced: number;
}

/**
 * A removal as the API shows it.
 *
 * @param r What `remove()` returned.
 * @returns Its view.
 */
export function removedView(r: RemoveResult): RemovedView {
  return { closed: listenerView(r.socket), open: r.open, forced: r.forced };
}

/** The body of every error answer. */
export interface ErrorBody {
  /** One line saying what is wrong: the first problem, and how many more `problems` holds. */
  readonly error: string;
  /** Each spec's problem, or each bind failure, one line each, when there are several. */
  readonly problems?: readonly string[];
}
