/**
 * Relays that relay to themselves: a `forward` whose upstream is its own
 * socket name, or one of a ring of muxd's own forwards, would pass each
 * datagram round the ring without end (each hop leaves from a new socket,
 * so it arrives as a new client), and each TCP connection would open
 * another until `max-conns`. Found in the plan, before anything is bound.
 *
 * Upstreams given as host names are resolved only when muxd runs; a UDP
 * ring through one is stopped there (see `RelayLineage`).
 *
 * Whether IPv4 traffic reaches a `[::]` listener depends on the host:
 * Linux's `net.ipv6.bindv6only` (0 by default: dual-stack), since Deno sets
 * no IPV6_V6ONLY of its own. Where it is not known, `[::]` is taken as
 * dual-stack, which finds every ring there may be.
 *
 * @module
 */

import { formatIPv6, isLoopback, isWildcard, parseIPv6, unmappedIPv4 } from "../spec/ip.ts";
import { formatUpstream } from "../services/upstream.ts";
import { PlanError, type PlannedListener } from "./plan.ts";
import { upstreamOf } from "./upstream_exposure.ts";

/** What the ring check needs to know about the host. */
export interface RelayHost {
  /** The host's addresses, as `Deno.networkInterfaces()` lists them. */
  readonly interfaces: readonly Deno.NetworkInterfaceInfo[];
  /**
   * `net.ipv6.bindv6only`: when `true`, a `[::]` listener takes IPv6 alone,
   * and IPv4 traffic never reaches it.
   * @default false (dual-stack, Linux's default)
   */
  readonly bindV6Only?: boolean;
}

/**
 * A relay on a ring: a {@linkcode PlanError} that also tells whether the
 * ring passes through a `[::]` listener by IPv4, which it does only where
 * `[::]` is dual-stack (`net.ipv6.bindv6only` = 0).
 */
export class RelayLoopError extends PlanError {
  /** `true` when one step of the ring is IPv4 reaching a dual-stack `[::]` listener. */
  readonly dualStack: boolean;

  /**
   * Creates the error.
   *
   * @param listener The relay on the ring.
   * @param reason Why, in plain words.
   * @param dualStack Whether the ring passes through a dual-stack `[::]`.
   */
  constructor(listener: PlannedListener, reason: string, dualStack: boolean) {
    super(listener.spec, listener.source, reason);
    this.dualStack = dualStack;
  }
}

/**
 * Finds the relays whose upstream leads back to themselves through muxd's
 * own listeners: one error for each such relay, naming the ring.
 *
 * Traffic sent to a socket name reaches the listener bound to exactly that
 * name or, failing one, a wildcard listener on its port, when the address
 * is this host's own (loopback, a wildcard, or one of `interfaces`). An
 * IPv4 address reaches a `[::]` listener too unless `bindV6Only`.
 *
 * @param listeners The planned listeners.
 * @param host The host's addresses, and whether `[::]` takes IPv6 alone.
 * @param report The listeners to report, when not all: those being added to
 *   a running server, whose listeners (with their ports as bound) come first in `listeners`.
 * @returns An error for each relay on a ring, in the listeners' order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlan } from "./plan.ts";
 * import { checkRelayLoops } from "./relay_loop.ts";
 *
 * const { plan } = buildPlan([{
 *   text: "udp://127.0.0.1:7253=forward?to=127.0.0.1:7253",
 *   source: { kind: "argument", index: 2 },
 * }]);
 * const host = { interfaces: [] };
 * assert.match(checkRelayLoops(plan.listeners, host)[0].message, /is this listener itself/);
 *
 * // An IPv4 upstream on the port of a [::] relay: a ring only where [::] is dual-stack.
 * const dual = buildPlan([{
 *   text: "tcp://[::]:7253=forward?to=127.0.0.1:7253",
 *   source: { kind: "argument", index: 2 },
 * }]).plan;
 * assert.equal(checkRelayLoops(dual.listeners, host).length, 1);
 * assert.equal(checkRelayLoops(dual.listeners, { ...host, bindV6Only: true }).length, 0);
 * ```
 */
export function checkRelayLoops(
  listeners: readonly PlannedListener[],
  host: RelayHost,
  report: ReadonlySet<PlannedListener> | null = null,
): RelayLoopError[] {
  const own = new Set(host.interfaces.map((row) => canonical(row.address)));
  const dualStack = !(host.bindV6Only ?? false);
  const isOwn = (address: string) => isLoopback(address) || isWildcard(address) || own.has(address);
  // By transport and port, once: a plan may hold thousands of listeners (port ranges).
  const byPort = new Map<string, PlannedListener[]>();
  for (const l of listeners) {
    const key = `${l.transport} ${l.port}`;
    const on = byPort.get(key);
    if (on === undefined) byPort.set(key, [l]);
    else on.push(l);
  }
  const hop = (l: PlannedListener): Hop | null => {
    const to = upstreamOf(l);
    if (to === null || to.host.kind === "name") return null;
    const on = byPort.get(`${l.transport} ${to.port}`) ?? [];
    // ::ffff:127.0.0.1 is 127.0.0.1 on the wire.
    return receiver(on, unmappedIPv4(to.host.address), isOwn, dualStack);
  };
  const next = (l: PlannedListener): PlannedListener | null => hop(l)?.to ?? null;
  // Each relay leads to at most one listener: walk each path once, and a
  // path that meets itself closes a ring (linear in the listeners).
  const ringOf = new Map<PlannedListener, Ring>();
  const done = new Set<PlannedListener>();
  for (const first of listeners) {
    const path = new Map<PlannedListener, number>();
    let at: PlannedListener | null = first;
    while (at !== null && !done.has(at) && !path.has(at)) {
      path.set(at, path.size);
      at = next(at);
    }
    if (at !== null && path.has(at)) {
      const members = [...path.keys()].slice(path.get(at)!);
      const ring = { size: members.length, dualStack: members.some((l) => hop(l)!.dualStack) };
      for (const l of members) ringOf.set(l, ring);
    }
    for (const l of path.keys()) done.add(l);
  }
  const errors: RelayLoopError[] = [];
  for (const start of listeners) {
    const ring = ringOf.get(start);
    if (ring === undefined || (report !== null && !report.has(start))) continue;
    const { size } = ring;
    const to = formatUpstream(upstreamOf(start)!);
    const why = size === 1
      ? `its upstream ${to} is this listener itself`
      : size === 2
      ? `its upstream ${to} is muxd's own ${next(start)!.spec}, which relays back to this listener`
      : `its upstream ${to} is muxd's own ${next(start)!.spec}, whose relays lead back to this ` +
        `listener in ${size - 1} more steps`;
    const what = start.transport === "udp"
      ? "each datagram would go round without end"
      : "each connection would open another, up to max-conns";
    const dual = ring.dualStack
      ? ` ([::] is dual-stack on this host, net.ipv6.bindv6only = 0: it receives IPv4 too)`
      : "";
    errors.push(
      new RelayLoopError(
        start,
        `${why}${dual}: ${what}. Forward to another server`,
        ring.dualStack,
      ),
    );
  }
  return errors;
}

/** A ring found: how many relays it has, and whether one step is IPv4 into a dual-stack `[::]`. */
interface Ring {
  readonly size: number;
  readonly dualStack: boolean;
}

/** One step of a relay: the listener its upstream reaches, and whether by IPv4 on a dual-stack `[::]`. */
interface Hop {
  readonly to: PlannedListener;
  readonly dualStack: boolean;
}

/**
 * Which of the listeners on a port traffic to `address` reaches, or `null`
 * when none of them does. IPv4 traffic reaches a `[::]` listener only when
 * `dualStack`.
 */
function receiver(
  on: readonly PlannedListener[],
  address: string,
  isOwn: (address: string) => boolean,
  dualStack: boolean,
): Hop | null {
  // A listener on the address itself first: one named localhost only may be there.
  const exact = on.find((l) => l.hostname === address) ??
    on.find((l) => boundAt(l).includes(address));
  if (exact !== undefined) return { to: exact, dualStack: false };
  if (!isOwn(address)) return null;
  const v6 = address.includes(":");
  const v4Wildcard = v6 ? undefined : on.find((l) => l.hostname === "0.0.0.0");
  if (v4Wildcard !== undefined) return { to: v4Wildcard, dualStack: false };
  if (!v6 && !dualStack) return null;
  const v6Wildcard = on.find((l) => l.hostname === "::");
  return v6Wildcard === undefined ? null : { to: v6Wildcard, dualStack: !v6 };
}

/**
 * Where a listener named by a host name may bind, when the plan can tell
 * without a lookup: `localhost` binds the first address the resolver gives,
 * 127.0.0.1 or ::1 (glibc gives ::1 first where /etc/hosts maps localhost to
 * both, as Debian's does), so either is taken; none for any other name.
 */
function boundAt(l: PlannedListener): readonly string[] {
  return l.family === null && l.hostname.toLowerCase() === "localhost" ? LOCALHOST : [];
}

/** The addresses `localhost` may resolve to first. */
const LOCALHOST: readonly string[] = ["127.0.0.1", "::1"];

/** An interface's address in the form plans use (RFC 5952 for IPv6). */
function canonical(address: string): string {
  if (!address.includes(":")) return address;
  const bytes = parseIPv6(address);
  return bytes === null ? address : formatIPv6(bytes);
}
